"""Join alterations, knowledge and clinical context into one ``Report``. Pure: no I/O.

Order of work: normalise → classify findings → decide ALK mutation units from phase →
call every ALK TKI against all units → add mechanism-matched therapies → apply the
clinical rules → merge, rank and explain.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from alkseq.interpret import classify as C
from alkseq.interpret.matrix import EVIDENCE_RANK, describe_call, patient_call
from alkseq.knowledge.kb import KnowledgeBase, Rule
from alkseq.knowledge.schema import EVIDENCE_LEVEL
from alkseq.model import (Alteration, Candidate, Citation, Compound, Context, DrugCall, Finding,
                          NotRecommended, PhaseEvidence, Report)
from alkseq.normalise import is_alk_kinase_mutation, normalise_alterations

RESEARCH_USE = ("Research use only: decision support for experts, not a medical device; "
                "verify every suggestion against the cited sources and current guidelines.")
LEVEL_ORDER = "ABCDE"


@dataclass
class _Draft:
    """A candidate while it is being assembled from several generators."""

    therapy: str
    drugs: tuple[str, ...]
    category: str
    priority: int
    evidence_level: str
    rationale: list[str]
    citations: list[Citation]
    inferred: bool = False
    status: str = "approved"
    reading: str | None = None
    sort_hint: float = 0.0
    generators: set[str] = field(default_factory=set)


def _draft_key(therapy: str, drugs, category: str) -> tuple:
    """Candidates merge when they give the same drugs; local therapy never merges with a drug."""
    if category == "local_therapy" or not drugs:
        return (category, therapy)
    return tuple(sorted(drugs))


def _units(mutations: list[str], compounds: list[Compound]) -> dict[str, list[str]]:
    """ALK mutation units per reading: {'as_phased': [...]} or {'cis': [...], 'trans': [...]}.

    Cis compounds join their mutations into one unit; a mixed pair adds the compound as an
    extra unit beside its singles; an unknown-phase pair is joined in the 'cis' reading only.
    """
    by_residue = sorted(mutations, key=_residue)
    cis: list[list[str]] = []
    ambiguous: list[list[str]] = []
    extra_units: list[str] = []
    for comp in compounds:
        members = [m for m in comp.mutations if m in by_residue]
        if len(members) < 2:
            continue
        if comp.phase == "cis":
            cis.append(members)
        elif comp.phase == "mixed":
            extra_units.append("+".join(sorted(members, key=_residue)))
        elif comp.phase == "unknown":
            ambiguous.append(members)

    def grouped(joined: list[list[str]]) -> list[str]:
        parent = {m: m for m in by_residue}

        def find(m: str) -> str:
            while parent[m] != m:
                m = parent[m]
            return m
        for members in joined:
            for m in members[1:]:
                parent[find(m)] = find(members[0])
        groups: dict[str, list[str]] = {}
        for m in by_residue:  # residue order is kept inside each group
            groups.setdefault(find(m), []).append(m)
        units = ["+".join(group) for group in groups.values()]
        return units + [u for u in extra_units if u not in units]

    if ambiguous:
        return {"cis": grouped(cis + ambiguous), "trans": grouped(cis)}
    return {"as_phased": grouped(cis)}


def _residue(short: str) -> tuple[int, str]:
    digits = "".join(ch if ch.isdigit() else " " for ch in short).split()
    return (int(digits[0]) if digits else 0, short)


def _generation(kb: KnowledgeBase, drug: str | None) -> str | None:
    found = kb.drugs.get(drug) if drug else None
    return found.generation if found else None


def _current_tki(kb: KnowledgeBase, context: Context) -> str | None:
    for drug in reversed(context.prior_therapies):
        if kb.is_alk_tki(drug):
            return drug
    return None


class _Builder:
    def __init__(self, kb: KnowledgeBase, context: Context):
        self.kb = kb
        self.context = context
        self.drafts: dict[tuple, _Draft] = {}
        self.not_recommended: dict[tuple, NotRecommended] = {}
        self.advice: list[str] = []
        self.warnings: list[str] = []
        self.current_tki = _current_tki(kb, context)

    # -- helpers -----------------------------------------------------------------------
    def resolve_therapy(self, ref: str) -> tuple[str, tuple[str, ...], str | None]:
        """(display name, drugs, category from therapies.tsv) for a therapy id or drug(+drug)."""
        current = self.current_tki
        therapy = self.kb.therapies.get(ref)
        if therapy is not None:
            drugs = tuple(current if d == "@current_tki" else d for d in therapy.drugs
                          if d != "@current_tki" or current)
            name = therapy.name
            if "@current_tki" in therapy.drugs:
                name = name.replace("@current_tki", current or "the current ALK TKI")
            return name, drugs, therapy.category
        parts = [p.strip() for p in ref.split("+")]
        drugs = tuple(current if p == "@current_tki" else p for p in parts
                      if p != "@current_tki" or current)
        name = " + ".join(current or "current ALK TKI" if p == "@current_tki" else p
                          for p in parts)
        return name, drugs, None

    def add(self, therapy: str, drugs: tuple[str, ...], category: str, priority: int,
            level: str, rationale: str, citations, *, inferred=False, status="approved",
            reading=None, sort_hint=0.0, generator="") -> None:
        key = _draft_key(therapy, drugs, category)
        draft = self.drafts.get(key)
        if draft is None:
            self.drafts[key] = _Draft(therapy, tuple(drugs), category, priority, level,
                                      [rationale], list(citations), inferred, status, reading,
                                      sort_hint, {generator})
            return
        draft.priority = min(draft.priority, priority)
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(draft.evidence_level):
            draft.evidence_level = level
        if rationale not in draft.rationale:
            draft.rationale.append(rationale)
        draft.citations += [c for c in citations if c not in draft.citations]
        draft.inferred = draft.inferred and inferred
        draft.generators.add(generator)

    def argue_against(self, therapy: str, drugs: tuple[str, ...], reason: str, citations,
                      inferred=False) -> None:
        key = tuple(sorted(drugs)) if drugs else (therapy,)
        if key in self.not_recommended:
            old = self.not_recommended[key]
            if reason not in old.reason:
                self.not_recommended[key] = NotRecommended(
                    old.therapy, old.drugs, f"{old.reason} {reason}",
                    old.citations + tuple(c for c in citations if c not in old.citations),
                    old.inferred and inferred)
            return
        self.not_recommended[key] = NotRecommended(therapy, tuple(drugs), reason,
                                                   tuple(citations), inferred)

    def drug_status(self, drugs) -> str:
        statuses = {self.kb.drugs[d].alk_status for d in drugs if d in self.kb.drugs}
        for status in ("preclinical", "investigational"):
            if status in statuses:
                return status
        return "approved"


def _alk_tki_candidates(b: _Builder, readings: dict[str, list[str]]) -> tuple[list[DrugCall], bool]:
    """Call every ALK TKI against the units of every reading; returns (matrix, approved_covers)."""
    kb, context = b.kb, b.context
    matrix: list[DrugCall] = []
    approved_covers = False
    covering = ("sensitive", "intermediate")
    for drug in sorted(kb.alk_tkis(), key=lambda d: (d.generation, d.drug)):
        calls = {name: patient_call(kb, units, drug.drug) for name, units in readings.items()}
        matrix.append(_matrix_row(drug.drug, calls))
        covered = [name for name, call in calls.items() if call.drug_class in covering]
        status = drug.alk_status
        prior = drug.drug in context.prior_therapies
        if not covered:
            resistant = [c for c in calls.values() if c.drug_class == "resistant"]
            if resistant:
                call = resistant[0]
                units = readings[next(n for n, c in calls.items() if c is call)]
                b.argue_against(drug.drug, (drug.drug,),
                                f"{drug.drug.capitalize()}: {describe_call(call, units)}.",
                                call.citations, call.inferred)
            continue
        name = covered[0]
        call, units = calls[name], readings[name]
        if prior:
            if drug.drug == b.current_tki or call.inferred or call.drug_class != "sensitive":
                b.argue_against(
                    drug.drug, (drug.drug,),
                    f"The tumour progressed on {drug.drug}"
                    + (" (the current TKI): a mutation it should cover points to another "
                       "mechanism as well." if drug.drug == b.current_tki else
                       "; no direct evidence that the mutations found re-sensitise to it."),
                    call.citations, call.inferred)
                continue
        level = "E" if call.inferred else EVIDENCE_LEVEL.get(call.evidence or "review", "E")
        priority = 20 if status == "approved" else 60
        category = "alk_tki" if status == "approved" else "trial"
        priority += 3 if call.drug_class == "intermediate" else 0
        priority += 4 if call.inferred else 0
        reading = None
        rationale = f"{drug.drug.capitalize()} is {describe_call(call, units)}"
        if len(covered) < len(calls):
            reading = name
            priority += 10
            rationale += (f"; covers the mutations only if they are in {name} "
                          "(phase unknown: phase them with --bam or a phased VCF)")
        elif len(calls) > 1:
            rationale += "; covers them whether in cis or in trans"
        if prior:
            priority += 2
            rationale += (f"; the tumour progressed on {drug.drug} earlier, but evidence shows "
                          "these mutations re-sensitise to it")
        if status != "approved":
            rationale += f" — {status} agent: consider a clinical trial"
        elif reading is None:
            approved_covers = True  # an approved TKI the patient can still receive covers all
        b.add(drug.drug.capitalize(), (drug.drug,), category, priority, level, rationale + ".",
              call.citations, inferred=call.inferred, status=status, reading=reading,
              sort_hint=call.fold_vs_wt or 0.0, generator="matrix")
    return matrix, approved_covers


def _matrix_row(drug: str, calls: dict[str, DrugCall]) -> DrugCall:
    if len(calls) == 1:
        return next(iter(calls.values()))
    from alkseq.interpret.matrix import combine_classes

    cis, trans = calls.get("cis"), calls.get("trans")
    worst = combine_classes(c.drug_class for c in calls.values())
    pick = cis if cis and cis.drug_class == worst else trans
    detail = "; ".join(f"if {name}: {c.drug_class}" + (f" ({c.detail})" if c.detail else "")
                       for name, c in calls.items())
    return DrugCall(drug, worst, pick.ic50_nm, pick.fold_vs_wt, pick.evidence,
                    tuple(dict.fromkeys(c for call in calls.values() for c in call.citations)),
                    any(c.inferred for c in calls.values()), detail,
                    tuple(dict.fromkeys(s for call in calls.values() for s in call.conflict)))


def _mechanism_candidates(b: _Builder, findings: list[Finding], matrix: list[DrugCall]) -> None:
    kb = b.kb
    resistant = {c.drug for c in matrix if c.drug_class == "resistant"}
    for finding in findings:
        if not finding.mechanism:
            continue
        for mt in kb.mechanism_therapies.get(finding.mechanism, ()):
            name, drugs, category = b.resolve_therapy(mt.therapy)
            category = mt.category or category or "targeted"
            clash = [d for d in drugs if d in resistant]
            if clash:
                b.argue_against(name, drugs, f"{name}: the ALK mutations found are resistant to "
                                f"{', '.join(clash)}.", mt.citations)
                continue
            status = b.drug_status(drugs)
            if category == "trial" or status != "approved":
                priority = 60
            elif category in ("chemotherapy", "chemo_immunotherapy"):
                priority = 10 if finding.role == "transformation" else 40
            else:
                priority = 15
            b.add(name, drugs, category, priority, EVIDENCE_LEVEL[mt.evidence],
                  f"{finding.alteration.name} ({finding.mechanism_label}): {mt.rationale}",
                  mt.citations, status=status, generator="mechanism")


def _rule_applies(rule: Rule, b: _Builder, classes: set[str], approved_covers: bool,
                  has_alk_mutation: bool) -> bool:
    context, kb = b.context, b.kb
    for cond, value in rule.when.items():
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if cond == "always":
            continue
        if cond == "mechanism_class":
            current = C.mechanism_class(classes)
            if not (current in values or (current == "mixed" and classes & set(values))):
                return False
        elif cond == "prior_includes_any":
            if not set(values) & set(context.prior_therapies):
                return False
        elif cond == "prior_excludes_all":
            if set(values) & set(context.prior_therapies):
                return False
        elif cond == "last_alk_tki_generation":
            if _generation(kb, b.current_tki) not in values:
                return False
        elif cond == "no_alk_tki_given":
            if (b.current_tki is None) != (str(value).lower() == "true"):
                return False
        elif cond == "progression":
            if context.progression not in values:
                return False
        elif cond == "histology":
            if context.histology not in values:
                return False
        elif cond == "specimen":
            if context.specimen not in values:
                return False
        elif cond == "no_approved_alk_tki_covers":
            wanted = str(value).lower() == "true"
            if (has_alk_mutation and not approved_covers) != wanted:
                return False
        else:  # unknown conditions are rejected by the loader; never match silently
            return False
    return True


def _rule_candidates(b: _Builder, classes: set[str], matrix: list[DrugCall],
                     approved_covers: bool, has_alk_mutation: bool) -> None:
    kb = b.kb
    calls = {c.drug: c for c in matrix}
    for rule in kb.rules:
        if not _rule_applies(rule, b, classes, approved_covers, has_alk_mutation):
            continue
        level = EVIDENCE_LEVEL[rule.evidence]
        if rule.action == "advise":
            b.advice.append(rule.text + " [" + "; ".join(str(c.source) for c in rule.citations) + "]")
            continue
        if rule.action == "not_recommend":
            if rule.therapy == "@current_tki" and not b.current_tki:
                continue
            name, drugs, _ = b.resolve_therapy(rule.therapy or "")
            if rule.drugs:
                name, drugs = rule.name or name, rule.drugs
            b.argue_against(name, drugs, rule.text, rule.citations)
            continue
        name, drugs, category = b.resolve_therapy(rule.therapy or "")
        category = rule.category or category or "targeted"
        rationale = rule.text
        resistant = [d for d in drugs if has_alk_mutation and calls.get(d)
                     and calls[d].drug_class == "resistant"]
        if category == "local_therapy":
            # continuing the current TKI is the point of local therapy for oligoprogression
            if resistant:
                rationale += (f" Note: the ALK mutations found are resistant to {', '.join(resistant)}"
                              "; continuing it assumes the resistant clone is confined to the "
                              "treated sites.")
        else:
            if any(d in b.context.prior_therapies and kb.is_alk_tki(d) for d in drugs):
                continue
            if resistant:
                continue  # the matrix already argues against it, with the numbers
        for d in drugs:
            if has_alk_mutation and d in calls and calls[d].drug_class == "unknown":
                rationale += f" (No curated evidence yet for {d} against the mutations found.)"
        b.add(name, drugs, category, rule.priority, level,
              rationale, rule.citations, status=b.drug_status(drugs), generator=f"rule:{rule.id}")


def interpret(alterations, context: Context, kb: KnowledgeBase, *, compounds=(),
              sample: str = "sample", input_path: str | None = None,
              input_format: str | None = None, build: str | None = None,
              reader_warnings=()) -> Report:
    """Everything alkseq concludes for one sample."""
    from alkseq import __version__

    alterations, warnings = normalise_alterations(list(alterations), kb.alk_protein)
    warnings = list(reader_warnings) + warnings
    findings = C.classify(kb, alterations, context)
    kd = [f.alteration.protein_change.short for f in findings if f.role == "alk_kinase_domain"]
    kd = sorted(dict.fromkeys(kd), key=_residue)
    compounds = [c for c in compounds if len(c.mutations) >= 2]
    if len(kd) >= 2 and not compounds:
        compounds = [Compound(tuple(kd), "unknown",
                              PhaseEvidence("none", detail="no phase information in the input"))]
    readings = _units(kd, compounds) if kd else {}
    if "cis" in readings and readings["cis"] != readings["trans"]:
        warnings.append(
            "ALK mutations " + ", ".join(kd) + " have unknown phase: the answer depends on "
            "whether they are in cis (one allele) or trans (separate clones); candidates say "
            "which reading they need. Phase them with --bam or a phased VCF.")
    for comp in compounds:
        if comp.evidence is not None and comp.evidence.source == "vaf_hint" and \
                comp.phase in ("cis", "trans"):
            warnings.append(f"Phase of {'+'.join(comp.mutations)} ({comp.phase}) rests on a VAF "
                            "hint only, not on reads or phased calls; confirm with --bam.")
    b = _Builder(kb, context)
    matrix: list[DrugCall] = []
    approved_covers = False
    if readings:
        matrix, approved_covers = _alk_tki_candidates(b, readings)
        if not approved_covers:
            warnings.append("No approved ALK TKI that the tumour has not already progressed on has "
                            "evidence of covering every ALK mutation found.")
    classes = C.mechanism_classes(kb, findings)
    _mechanism_candidates(b, findings, matrix)
    _rule_candidates(b, classes, matrix, approved_covers, bool(kd))
    if not context.prior_therapies:
        warnings.append("No prior therapy given (--prior): drugs the tumour progressed on "
                        "cannot be ranked down.")
    if context.progression is None:
        warnings.append("Progression pattern not given (--progression oligo|systemic|cns): "
                        "local therapy for oligoprogression is not considered.")
    for f in findings:
        if f.alteration.gene == "ALK" and f.role == "alk_other" and f.alteration.protein_change:
            warnings.append(f"ALK {f.alteration.protein_change.short} lies outside the kinase "
                            "domain (1116–1392): not interpreted as a resistance mutation.")

    candidates = _rank(b)
    # a therapy argued against never also stands as a candidate with the same drugs
    blocked = {tuple(sorted(n.drugs)) for n in b.not_recommended.values() if n.drugs}
    candidates = [c for c in candidates if tuple(sorted(c.drugs)) not in blocked or not c.drugs
                  or c.category == "local_therapy"]
    candidates = [Candidate(i, c.therapy, c.drugs, c.category, c.evidence_level, c.rationale,
                            c.citations, c.inferred, c.status, c.reading)
                  for i, c in enumerate(candidates, start=1)]
    return Report(
        sample=sample, context=context, findings=tuple(findings), compounds=tuple(compounds),
        mechanism_class=C.mechanism_class(classes), matrix=tuple(matrix),
        candidates=tuple(candidates), not_recommended=tuple(b.not_recommended.values()),
        warnings=tuple(dict.fromkeys(warnings)), knowledge_version=kb.version,
        alkseq_version=__version__, input_path=input_path, input_format=input_format,
        build=build, advice=tuple(dict.fromkeys(b.advice)),
    )


def _rank(b: _Builder) -> list[Candidate]:
    drafts = sorted(b.drafts.values(), key=lambda d: (
        d.priority, LEVEL_ORDER.index(d.evidence_level), d.inferred, d.sort_hint, d.therapy))
    return [Candidate(0, d.therapy, d.drugs, d.category, d.evidence_level,
                      " ".join(d.rationale), tuple(d.citations), d.inferred, d.status, d.reading)
            for d in drafts]


def lookup_report(kb: KnowledgeBase, mutation_text: str, context: Context | None = None
                  ) -> Report:
    """`alkseq lookup G1202R+L1196M`: '+' joins mutations in cis (one compound)."""
    from alkseq.errors import ParseError
    from alkseq.genome.protein import parse_protein_change

    context = context or Context()
    alterations = []
    for part in mutation_text.split("+"):
        gene, change = parse_protein_change(part)
        if gene not in (None, "ALK"):
            raise ParseError(f"'{part.strip()}' names {gene}; lookup is for ALK mutations")
        alterations.append(Alteration(gene="ALK", kind="mutation", protein_change=change,
                                      label=part.strip()))
    normalised, _ = normalise_alterations(alterations, kb.alk_protein)
    outside = [a for a in normalised if not is_alk_kinase_mutation(a)]
    if outside:
        raise ParseError(f"{outside[0].protein_change.short} is outside the ALK kinase domain "
                         "(residues 1116–1392)")
    shorts = tuple(sorted({a.protein_change.short for a in normalised}, key=_residue))
    compounds = (Compound(shorts, "cis", PhaseEvidence("user", detail="'+' in the query")),) \
        if len(shorts) > 1 else ()
    return interpret(normalised, context, kb, compounds=compounds,
                     sample=mutation_text, input_format="lookup")
