"""The typed model every reader produces and every writer consumes.

Frozen dataclasses only: readers turn files into ``Alteration`` objects, the
interpreter turns alterations + knowledge + ``Context`` into a ``Report``.
"""
from __future__ import annotations

from dataclasses import field, asdict
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:   # what the model is, for mypy and readers: frozen dataclasses
    from dataclasses import dataclass
else:
    def dataclass(cls=None, /, *, frozen: bool = False, **options):
        """``dataclasses.dataclass``, frozen or not (with no other option), made without code
        generation at import.

        The standard decorator compiles six methods per frozen class from source (``exec``:
        ~0.7 ms a class, 14 ms for this module, on every start-up). Here ``dataclasses`` only
        records the fields (``fields``, ``replace``, ``asdict`` and pickling work as ever) and
        the methods are closures over each class's field names, compiled once with this module:
        the same behaviour — keyword or positional ``__init__`` with defaults, factories and
        ``__post_init__``; ``__repr__``, ``__eq__`` and ``__hash__`` over the fields
        (``compare`` and ``repr`` honoured); a frozen record's assignment raises
        ``FrozenInstanceError``, a mutable one is unhashable; a class's own methods win.
        tests/test_model.py compares it with the standard decorator class by class. Other
        modules import it from here for their records.
        """
        if options:
            import dataclasses

            return dataclasses.dataclass(cls, frozen=frozen, **options)

        def make(cls):
            return _fast_dataclass(cls, frozen)

        return make if cls is None else make(cls)


# ---- dataclasses without code generation (the `dataclass` used below) -----------------------


def _tuple_of(names: tuple[str, ...]):
    """obj → (obj.a, obj.b, …) for these names, in C where there are two or more."""
    from operator import attrgetter

    if len(names) > 1:
        return attrgetter(*names)
    if names:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _fast_dataclass(cls, frozen: bool):
    import dataclasses
    from dataclasses import MISSING, FrozenInstanceError

    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)   # fields only, no exec
    params = cls.__dataclass_params__      # what the class now behaves as (a frozen subclass checks it)
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    every = dataclasses.fields(cls)
    names = tuple(f.name for f in every)
    own = cls.__dict__
    qualname = cls.__qualname__
    setter = object.__setattr__

    if "__init__" not in own:
        positional = tuple(f.name for f in every if f.init)
        accepted = frozenset(positional)
        count = len(positional)
        # every field in order, its plain default or MISSING: one dict copy starts an instance
        template = {f.name: f.default for f in every
                    if f.init or f.default is not MISSING or f.default_factory is not MISSING}
        needs = tuple((f.name, f.default_factory) for f in every
                      if f.name in template and f.default is MISSING)
        post_init = hasattr(cls, "__post_init__")
        required = sum(1 for f in every if f.init and f.default is MISSING
                       and f.default_factory is MISSING)
        takes = f"{count + 1}" if required == count else f"from {required + 1} to {count + 1}"

        def __init__(self, *args, **kwargs):
            values = template.copy()
            if args:
                if len(args) > count:
                    raise TypeError(f"{qualname}.__init__() takes {takes} positional "
                                    f"arguments but {len(args) + 1} were given")
                values.update(zip(positional, args))
            if kwargs:
                if not accepted.issuperset(kwargs):
                    name = next(k for k in kwargs if k not in accepted)
                    raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument "
                                    f"'{name}'")
                for name in positional[:len(args)]:
                    if name in kwargs:
                        raise TypeError(f"{qualname}.__init__() got multiple values for "
                                        f"argument '{name}'")
                values.update(kwargs)
            for name, factory in needs:
                if values[name] is MISSING:
                    if factory is MISSING:
                        raise TypeError(f"{qualname}.__init__() missing 1 required positional "
                                        f"argument: '{name}'")
                    values[name] = factory()
            setter(self, "__dict__", values)
            if post_init:
                self.__post_init__()

        __init__.__qualname__ = f"{qualname}.__init__"
        cls.__init__ = __init__

    if "__repr__" not in own:
        shown = tuple(f.name for f in every if f.repr)

        def __repr__(self):
            return f"{self.__class__.__qualname__}(" + ", ".join(
                f"{name}={getattr(self, name)!r}" for name in shown) + ")"

        __repr__.__qualname__ = f"{qualname}.__repr__"
        cls.__repr__ = __repr__

    compared = tuple(f.name for f in every if f.compare)
    if "__eq__" not in own and compared == names:
        def __eq__(self, other):   # the instance dicts hold exactly the fields, in order
            if other.__class__ is self.__class__:
                return self.__dict__ == other.__dict__
            return NotImplemented
    elif "__eq__" not in own:
        fields_of = _tuple_of(compared)

        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return fields_of(self) == fields_of(other)
            return NotImplemented
    if "__eq__" not in own:
        __eq__.__qualname__ = f"{qualname}.__eq__"
        cls.__eq__ = __eq__

    if not frozen:   # eq without frozen: unhashable, unless the class defines its own hash
        if "__hash__" not in own:
            cls.__hash__ = None
        return cls
    if own.get("__hash__", MISSING) is MISSING or (own["__hash__"] is None and "__eq__" in own):
        hashed = _tuple_of(tuple(f.name for f in every
                                 if (f.compare if f.hash is None else f.hash)))

        def __hash__(self):
            return hash(hashed(self))

        __hash__.__qualname__ = f"{qualname}.__hash__"
        cls.__hash__ = __hash__

    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    if "__setattr__" in own or "__delattr__" in own:
        raise TypeError(f"cannot overwrite __setattr__/__delattr__ of frozen {qualname}")
    cls.__setattr__, cls.__delattr__ = __setattr__, __delattr__
    return cls

AlterationKind = Literal[
    "mutation",        # SNV/MNV/indel with a protein consequence (or none known)
    "amplification",   # copy-number gain at or above the amplification threshold
    "gain",            # copy-number gain below the threshold
    "deletion",        # homozygous/deep deletion of a gene
    "loss",            # loss of function (truncating variant or copy loss)
    "fusion",          # rearrangement with a partner gene
    "transformation",  # histologic transformation (small-cell, squamous)
    "expression",      # an expression/IHC finding
    "other",
]

Role = Literal["alk_kinase_domain", "alk_other", "fusion", "bypass", "transformation", "other"]
Phase = Literal["cis", "trans", "mixed", "unknown"]
MechanismClass = Literal["alk_dependent", "bypass", "transformation", "mixed", "none_found"]
# The resistance class a sample's findings add up to, in the order every table and figure lists them.
MECHANISM_CLASSES: tuple[MechanismClass, ...] = ("alk_dependent", "bypass", "transformation", "mixed", "none_found")
# The class one finding adds; an ``alk_other`` finding adds alk_dependent only when it has a curated mechanism
# (the classifier gives that role to mechanisms whose reference/mechanisms.tsv role is alk_dependent).
ROLE_TO_CLASS: dict[str, MechanismClass] = {"alk_kinase_domain": "alk_dependent", "bypass": "bypass",
                                            "transformation": "transformation"}

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Pyl": "O",
}
ONE_TO_THREE = {v: k for k, v in THREE_TO_ONE.items()}


# ALK kinase-domain residues 1116–1392 (the brief: "roughly 1116–1392"): where a mutation is
# read as on-target resistance; one definition for the genome layer, interpreter and figures
ALK_KINASE_DOMAIN = range(1116, 1393)


@dataclass(frozen=True)
class ProteinChange:
    """A protein-level change on one gene, in HGVS p. terms.

    ``kind`` is one of: missense, nonsense, synonymous, deletion, insertion,
    duplication, delins, frameshift, extension, start_loss.
    ``ref`` holds the reference residue(s) at ``start`` (one-letter); for ranges
    ``end``/``end_ref`` give the last residue. ``alt`` holds inserted/substituted
    residues (one-letter, ``*`` for stop).
    """

    kind: str
    start: int
    ref: str
    alt: str = ""
    end: int | None = None
    end_ref: str | None = None
    fs_stop: int | None = None  # frameshift: position of the new stop codon, if known
    # the spelling as read when normalisation changed it (1151Tins → T1151dup); not part of equality
    original: str | None = field(default=None, compare=False)

    @property
    def short(self) -> str:
        """Short one-letter form (G1202R, T1151dup, G1202del, E746_A750del, S1982fs)."""
        span = f"{self.ref}{self.start}"
        if self.end is not None and self.end != self.start:
            span += f"_{self.end_ref}{self.end}"
        if self.kind in ("missense", "nonsense", "synonymous"):
            return f"{self.ref}{self.start}{self.alt if self.kind != 'synonymous' else '='}"
        if self.kind == "deletion":
            return f"{span}del"
        if self.kind == "duplication":
            return f"{span}dup"
        if self.kind == "insertion":
            return f"{span}ins{self.alt}"
        if self.kind == "delins":
            return f"{span}delins{self.alt}"
        if self.kind == "frameshift":
            return f"{self.ref}{self.start}fs"
        if self.kind == "start_loss":
            return f"{self.ref}{self.start}?"
        return f"{span}{self.alt}"

    @property
    def hgvs(self) -> str:
        """HGVS p. with three-letter residues, e.g. p.Gly1202Arg or p.Thr1151dup."""
        def three(seq: str) -> str:
            return "".join(ONE_TO_THREE.get(a, "Xaa") for a in seq)

        span = f"{three(self.ref)}{self.start}"
        if self.end is not None and self.end != self.start:
            span += f"_{three(self.end_ref or '')}{self.end}"
        if self.kind == "missense":
            return f"p.{three(self.ref)}{self.start}{three(self.alt)}"
        if self.kind == "nonsense":
            return f"p.{three(self.ref)}{self.start}Ter"
        if self.kind == "synonymous":
            return f"p.{three(self.ref)}{self.start}="
        if self.kind == "deletion":
            return f"p.{span}del"
        if self.kind == "duplication":
            return f"p.{span}dup"
        if self.kind == "insertion":
            return f"p.{span}ins{three(self.alt)}"
        if self.kind == "delins":
            return f"p.{span}delins{three(self.alt)}"
        if self.kind == "frameshift":
            tail = f"Ter{self.fs_stop}" if self.fs_stop else ""
            return f"p.{three(self.ref)}{self.start}{three(self.alt) if self.alt else ''}fs{tail}"
        if self.kind == "start_loss":
            return f"p.{three(self.ref)}{self.start}?"
        return f"p.{span}"

    @property
    def is_truncating(self) -> bool:
        return self.kind in ("nonsense", "frameshift", "start_loss")

    @property
    def residues(self) -> range:
        return range(self.start, (self.end or self.start) + 1)


@dataclass(frozen=True)
class GenomicVariant:
    """The record a call came from, as written and as normalised."""

    build: str | None
    chrom: str
    pos: int
    ref: str
    alt: str
    hgvs_c: str | None = None
    # the record's own (pos, REF, ALT) as read (before normalisation), and the records one merged change
    # came from (substitutions in one ALK codon): data for writers, not part of equality
    original: tuple[int, str, str] | None = field(default=None, compare=False)
    merged_from: tuple[tuple[int, str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Origin:
    """Where an alteration was read: file, line/record and the text it was read from."""

    path: str | None = None
    line: int | None = None
    text: str | None = None
    reader: str | None = None


@dataclass(frozen=True)
class PhaseTag:
    """Phase as written in a VCF: the phase set and which haplotype carries the ALT."""

    phase_set: str
    haplotype: int  # 0 or 1: index of the ALT-carrying allele in a phased GT
    source: str = "vcf"  # vcf_ps | mutect2_pgt | mnv


@dataclass(frozen=True)
class Alteration:
    """One finding in one gene, whatever file it came from."""

    gene: str
    kind: AlterationKind
    protein_change: ProteinChange | None = None
    partner: str | None = None          # fusion partner (for ALK fusions: the 5' gene)
    fusion_variant: str | None = None   # EML4-ALK variant label, e.g. "v1", "v3a/b"
    breakpoint: str | None = None       # e.g. "EML4 e13::ALK e20"
    vaf: float | None = None
    depth: int | None = None
    copy_number: float | None = None
    focal: bool | None = None
    genomic: GenomicVariant | None = None
    phase: PhaseTag | None = None
    label: str | None = None            # free-text as read (e.g. "EML4-ALK v3")
    origin: Origin = field(default_factory=Origin)
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Human name: 'ALK G1202R', 'MET amplification', 'EML4-ALK fusion v3a/b'."""
        if self.protein_change is not None:
            return f"{self.gene} {self.protein_change.short}"
        if self.kind == "fusion":
            base = f"{self.partner}-{self.gene}" if self.partner else f"{self.gene}"
            text = f"{base} fusion"
            return f"{text} {self.fusion_variant}" if self.fusion_variant else text
        return f"{self.gene} {self.label or self.kind}".strip()


@dataclass(frozen=True)
class PhaseEvidence:
    """Why a pair of mutations was called cis/trans: source and read counts."""

    source: str  # vcf | reads | vaf_hint | user | none
    both: int | None = None
    first_only: int | None = None
    second_only: int | None = None
    neither: int | None = None
    spanning: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Compound:
    """Two or more ALK kinase-domain mutations and whether they sit on one allele."""

    mutations: tuple[ProteinChange, ...]   # normalised protein changes, sorted by residue
    phase: Phase = "unknown"       # cis | trans | mixed | unknown
    evidence: PhaseEvidence | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The members' short forms (G1202R, T1151dup), in order."""
        return tuple(m.short for m in self.mutations)

    @property
    def key(self) -> str:
        return "+".join(self.names)


@dataclass(frozen=True)
class Context:
    """What the clinic knows beyond the sequencing: prior therapies, histology, pattern.

    ``lines`` is the treatment history as lines of therapy, oldest first; drugs given together
    are one line (``("carboplatin", "pemetrexed")``). ``prior_therapies`` is the same history
    flattened to drugs. Give either: the other is derived (a flat list is one drug per line).
    """

    prior_therapies: tuple[str, ...] = ()   # generic names, oldest first
    histology: str | None = None            # adenocarcinoma | squamous | small-cell
    progression: str | None = None          # oligo | systemic | cns
    specimen: str | None = None             # tissue | plasma
    lines: tuple[tuple[str, ...], ...] = ()  # lines of therapy, oldest first

    def __post_init__(self) -> None:
        if self.lines and not self.prior_therapies:
            object.__setattr__(self, "prior_therapies",
                               tuple(d for line in self.lines for d in line))
        elif self.prior_therapies and not self.lines:
            object.__setattr__(self, "lines", tuple((d,) for d in self.prior_therapies))

    @property
    def current_therapy(self) -> str | None:
        return self.prior_therapies[-1] if self.prior_therapies else None

    @property
    def current_line(self) -> tuple[str, ...]:
        """The most recent line (the one the tumour is progressing on)."""
        return self.lines[-1] if self.lines else ()


@dataclass(frozen=True)
class TreatmentHistory:
    """The history as the rules see it: every ALK TKI given with its generation, chemotherapy,
    and which line is being chosen now (len(lines) + 1)."""

    lines: tuple[tuple[str, ...], ...] = ()
    alk_tkis: tuple[tuple[str, str, int], ...] = ()   # (drug, generation, line number), oldest first
    chemotherapy_given: bool = False
    setting: str = "tki_naive"   # tki_naive | after_1g | after_2g | after_3g | after_next
    next_line: int = 1

    @property
    def last_alk_tki(self) -> tuple[str, str] | None:
        """(drug, generation) of the latest ALK TKI given, or None: the one the patient progressed on."""
        return (self.alk_tkis[-1][0], self.alk_tkis[-1][1]) if self.alk_tkis else None


@dataclass(frozen=True)
class Citation:
    """A source (PMID:…, DOI:…, NCT…, or URL) and where in it the fact was read."""

    source: str
    locator: str = ""
    directness: str = ""

    def __str__(self) -> str:
        return f"{self.source} ({self.locator})" if self.locator else self.source


def cited_once(citations) -> tuple[Citation, ...]:
    """One citation per source, in order of first mention, its locators joined: a list of sources
    names each once. Directness stays "tertiary" only if every mention was tertiary."""
    by_source: dict[str, list[Citation]] = {}
    for c in citations:
        by_source.setdefault(c.source, []).append(c)
    out = []
    for source, cited in by_source.items():
        if len(cited) == 1 and type(cited[0].locator) is str:   # named once: already itself
            out.append(cited[0])
            continue
        where = "; ".join(dict.fromkeys(c.locator for c in cited if c.locator))
        kinds = [c.directness for c in cited]
        directness = "tertiary" if all(k == "tertiary" for k in kinds) else \
            next((k for k in kinds if k and k != "tertiary"), "")
        out.append(Citation(source, where, directness))
    return tuple(out)


@dataclass(frozen=True)
class Finding:
    """An alteration after interpretation: its role and what the knowledge says of it."""

    alteration: Alteration
    role: Role
    mechanism: str | None = None         # id from reference/mechanisms.tsv
    mechanism_label: str | None = None
    note: str = ""

    @property
    def mechanism_class(self) -> MechanismClass | None:
        """The resistance class this finding adds (alk_dependent, bypass, transformation), or None."""
        if self.role in ROLE_TO_CLASS:
            return ROLE_TO_CLASS[self.role]
        return "alk_dependent" if self.role == "alk_other" and self.mechanism else None


@dataclass(frozen=True)
class ConflictSide:
    """One side of a disagreement between sources on a matrix cell: the class they give and
    how strong the best of them is (shown beside the call, never silently resolved)."""

    mutation: str
    drug_class: str                      # sensitive | intermediate | resistant
    evidence: str                        # best evidence kind on this side
    directness: str                      # best directness on this side
    sources: tuple[str, ...] = ()
    rows: int = 1


def describe_conflict(sides) -> str:
    """'resistant (preclinical, curated_summary; PMID:1) vs sensitive (review, review; PMID:2)'
    (here, beside ConflictSide, so the validator, the engine and the writers share it)."""
    return " vs ".join(
        f"{s.drug_class} ({s.evidence.replace('_', ' ')}, {s.directness.replace('_', ' ')}; "
        f"{', '.join(s.sources)})" for s in sides)


@dataclass(frozen=True)
class DrugCall:
    """One drug against the patient's ALK mutations: the matrix row the answer is built on."""

    drug: str
    drug_class: str                      # sensitive | intermediate | resistant | unknown
    ic50_nm: float | None = None
    fold_vs_wt: float | None = None
    evidence: str | None = None          # best evidence kind behind the call
    citations: tuple[Citation, ...] = ()
    inferred: bool = False
    detail: str = ""                     # per-mutation breakdown for inferred/multi-mutation calls
    conflict: tuple[ConflictSide, ...] = ()  # sources disagree: every side (empty when they agree)

    @property
    def conflicting(self) -> bool:
        return bool(self.conflict)


@dataclass(frozen=True)
class Candidate:
    """One ranked next-line option, with what it rests on."""

    rank: int
    therapy: str
    drugs: tuple[str, ...]
    category: str          # alk_tki | combination | targeted | chemotherapy | chemo_immunotherapy | local_therapy | trial
    evidence_level: str    # A..E (see reference/README.md)
    rationale: str
    citations: tuple[Citation, ...] = ()
    inferred: bool = False
    status: str = "approved"  # approved | investigational | preclinical
    reading: str | None = None  # for phase-dependent answers: "cis" | "trans"
    # how strongly a source recommends this option for this line:
    # guideline | trial | cohort | case | preclinical | expert (expert opinion or inferred)
    recommendation_strength: str = "expert"
    # drugs only: best evidence that the drug(s) cover the alterations found (ALK mutations for
    # the ALK-directed part, the mechanism for the mechanism-directed part):
    # guideline | clinical | case_report | preclinical | review | inferred | none | "" (not applicable)
    coverage_evidence: str = ""
    roles: tuple[tuple[str, str], ...] = ()  # (drug, alk_directed | mechanism_directed | chemotherapy | immunotherapy | antiangiogenic)
    therapy_class: str | None = None          # id in reference/therapy_classes.tsv for class-level options
    agents_named: tuple[str, ...] = ()        # class-level: agents the sources name (empty: none named)
    option: str = "standard"                  # standard | alternative | mechanism_directed | trial | local


@dataclass(frozen=True)
class NotRecommended:
    """An option argued against for this patient, and why."""

    therapy: str
    drugs: tuple[str, ...]
    reason: str
    citations: tuple[Citation, ...] = ()
    inferred: bool = False


@dataclass(frozen=True)
class UnitCall:
    """One row of the sensitivity heatmap: a mutation, a compound unit or the whole tumour
    under one phase reading, called against every ALK TKI (in the matrix's drug order)."""

    unit: str                          # G1202R | G1202R+L1196M | "tumour"
    kind: str                          # mutation | compound | tumour
    reading: str | None                # None (as phased) | "cis" | "trans"
    mutations: tuple[str, ...]         # the ALK mutations the row covers
    calls: tuple[DrugCall, ...]


@dataclass(frozen=True)
class Reference:
    """A cited work as the sources tables give it, for a report's numbered references."""

    source: str                        # PMID:… | DOI:… | NCT… | URL:…
    citation: str                      # authors, journal, year;volume:pages as curated
    title: str = ""
    year: str = ""
    url: str = ""
    directness: str = ""               # the most direct use of it in this report


@dataclass(frozen=True)
class Report:
    """Everything alkseq concludes for one sample; writers render it."""

    sample: str
    context: Context
    findings: tuple[Finding, ...]
    compounds: tuple[Compound, ...]
    mechanism_class: MechanismClass
    matrix: tuple[DrugCall, ...]
    candidates: tuple[Candidate, ...]
    not_recommended: tuple[NotRecommended, ...]
    warnings: tuple[str, ...]
    knowledge_version: str
    alkseq_version: str
    input_path: str | None = None
    input_format: str | None = None
    build: str | None = None
    advice: tuple[str, ...] = ()
    # what writers draw and cite, so they never consult the knowledge base themselves
    unit_calls: tuple[UnitCall, ...] = ()
    references: tuple[Reference, ...] = ()
    curated_mutations: tuple[str, ...] = ()   # the knowledge base's matrix mutations (hotspots)
    key_warnings: tuple[str, ...] = ()        # the warnings that change the answer
    amp_threshold: float | None = None        # copy number called amplification when read
    history: TreatmentHistory | None = None

    def mutation_calls(self, short: str) -> tuple[DrugCall, ...]:
        """One ALK mutation's own call per drug (the heatmap's row for it), for writers that
        annotate each variant: the report's data, never a second look at the knowledge base."""
        for unit in self.unit_calls:
            if unit.kind == "mutation" and unit.unit == short:
                return unit.calls
        return ()

    def __repr__(self) -> str:
        """One line: sample, mechanism class, key alterations, the first candidate."""
        keys = list(dict.fromkeys(f.alteration.name for f in self.findings if f.role != "other"))
        shown = ", ".join(keys[:4]) + (f" +{len(keys) - 4} more" if len(keys) > 4 else "")
        top = self.candidates[0] if self.candidates else None
        first = (f"1. {top.therapy[:60]}{'…' if len(top.therapy) > 60 else ''} "
                 f"[{top.evidence_level}]") if top else "no candidate"
        return (f"<Report {self.sample!r}: {self.mechanism_class}; {shown or 'no key alterations'}; "
                f"{first}; {len(self.candidates)} candidates, {len(self.not_recommended)} argued "
                f"against; knowledge {self.knowledge_version}>")


@dataclass(frozen=True)
class Failure:
    """A sample that could not be processed, kept as a row instead of sinking a batch."""

    sample: str
    path: str | None
    message: str
    exit_code: int = 1


def as_plain(obj):
    """dataclass → plain dict/list, for JSON; leaves other values as they are."""
    return asdict(obj)


def fmt_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def call_facts(call: "DrugCall") -> list[str]:
    """The numbers behind a call, shared by rationales and the HTML heatmap's hover text."""
    bits = []
    if call.ic50_nm is not None:
        bits.append(f"IC50 {fmt_number(call.ic50_nm)} nM")
    if call.fold_vs_wt is not None:
        bits.append(f"{fmt_number(call.fold_vs_wt)}× WT")
    if call.evidence:
        bits.append("best evidence: " + call.evidence.replace("_", " "))
    if call.conflict:
        bits.append("conflicting: " + describe_conflict(call.conflict))
    return bits

