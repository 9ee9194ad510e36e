"""The typed model every reader produces and every writer consumes.

Frozen dataclasses only: readers turn files into ``Alteration`` objects, the
interpreter turns alterations + knowledge + ``Context`` into a ``Report``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Literal

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

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Pyl": "O",
}
ONE_TO_THREE = {v: k for k, v in THREE_TO_ONE.items()}


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
    kind: str
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
        return f"{self.gene} {self.label or self.kind}"


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

    mutations: tuple[str, ...]   # short protein changes, sorted by residue
    phase: str = "unknown"       # cis | trans | mixed | unknown
    evidence: PhaseEvidence | None = None

    @property
    def key(self) -> str:
        return "+".join(self.mutations)


@dataclass(frozen=True)
class Context:
    """What the clinic knows beyond the sequencing: prior therapies, histology, pattern."""

    prior_therapies: tuple[str, ...] = ()   # generic names, oldest first
    histology: str | None = None            # adenocarcinoma | squamous | small-cell
    progression: str | None = None          # oligo | systemic | cns
    specimen: str | None = None             # tissue | plasma

    @property
    def current_therapy(self) -> str | None:
        return self.prior_therapies[-1] if self.prior_therapies else None


@dataclass(frozen=True)
class Citation:
    """A source (PMID:…, DOI:…, NCT…, or URL) and where in it the fact was read."""

    source: str
    locator: str = ""
    directness: str = ""

    def __str__(self) -> str:
        return f"{self.source} ({self.locator})" if self.locator else self.source


@dataclass(frozen=True)
class Finding:
    """An alteration after interpretation: its role and what the knowledge says of it."""

    alteration: Alteration
    role: str
    mechanism: str | None = None         # id from reference/mechanisms.tsv
    mechanism_label: str | None = None
    note: str = ""


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


@dataclass(frozen=True)
class NotRecommended:
    therapy: str
    drugs: tuple[str, ...]
    reason: str
    citations: tuple[Citation, ...] = ()
    inferred: bool = False


@dataclass(frozen=True)
class Report:
    """Everything alkseq concludes for one sample; writers render it."""

    sample: str
    context: Context
    findings: tuple[Finding, ...]
    compounds: tuple[Compound, ...]
    mechanism_class: str                 # alk_dependent | bypass | transformation | mixed | none_found
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

    def to_dict(self) -> dict:
        from alkseq.report.json_writer import report_to_dict
        return report_to_dict(self)

    def candidates_frame(self):
        """The ranked candidates as a tidy, typed pandas DataFrame (``alkseq.frames``)."""
        from alkseq.frames import candidates_frame
        return candidates_frame([self])

    def calls_frame(self):
        """The drug-sensitivity matrix as a tidy, typed pandas DataFrame (``alkseq.frames``)."""
        from alkseq.frames import calls_frame
        return calls_frame([self])

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

    def _repr_html_(self) -> str:
        """The HTML writer's report, isolated in an iframe so its styles stay its own."""
        from html import escape

        from alkseq.report import html as html_writer

        page = html_writer.render([self])
        return (f'<iframe srcdoc="{escape(page, quote=True)}" title="alkseq report '
                f'{escape(self.sample, quote=True)}" style="width:100%;height:720px;border:0">'
                "</iframe>")


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
