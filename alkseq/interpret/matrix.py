"""Sensitivity calls: one matrix cell, a compound inferred from its parts, a whole patient.

A cell aggregates every curated row for (mutation, drug): the best kind of evidence
decides the working class; when rows of that kind disagree the more conservative class
wins. Whenever the cell's sources disagree at all, the call carries every side
(``DrugCall.conflict``) with its evidence and directness, and says "conflicting". A compound with no compound evidence takes the worst of
its parts and is marked inferred. A patient's call for a drug covers every ALK
mutation unit (a cis compound is one unit; trans mutations are separate units).
"""
from __future__ import annotations

from alkseq.knowledge.kb import KnowledgeBase, SensitivityRow
from alkseq.model import Citation, DrugCall

from alkseq.knowledge.conflicts import cell_conflict, describe_conflict
from alkseq.knowledge.schema import DIRECTNESS_RANK, EVIDENCE_RANK

# worst first: how a patient-level class combines over units
COMBINE_ORDER = ("resistant", "unknown", "intermediate", "sensitive")
CONSERVATIVE = {"resistant": 0, "intermediate": 1, "sensitive": 2}


def residue_order(short: str) -> tuple[int, str]:
    """Sort key for mutation names by their first residue number (G1202R before L1256F)."""
    digits = "".join(ch if ch.isdigit() else " " for ch in short).split()
    return (int(digits[0]) if digits else 0, short)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def cell_call(kb: KnowledgeBase, mutation: str, drug: str) -> DrugCall:
    """The class of one curated cell (a single mutation, a compound key or WT), decided once per process
    and knowledge base (``KnowledgeBase.derived``): a batch worker interprets thousands of samples
    carrying the same few mutations (about a millisecond a sample for the heatmap's cells)."""
    calls = kb.derived("drug calls")
    call = calls.get((mutation, drug))
    if call is None:
        call = calls[(mutation, drug)] = _cell_call(kb, mutation, drug)
    return call


def _cell_call(kb: KnowledgeBase, mutation: str, drug: str) -> DrugCall:
    rows = kb.sensitivity_rows(mutation, drug)
    if rows:
        return _aggregate(mutation, drug, rows)
    if "+" in mutation:
        return _infer_from_parts(kb, mutation, drug)
    return DrugCall(drug, "unknown", detail=f"{mutation}: no curated evidence")


def _aggregate(mutation: str, drug: str, rows: tuple[SensitivityRow, ...]) -> DrugCall:
    classed = [r for r in rows if r.drug_class != "unknown"] or list(rows)
    best_rank = min(EVIDENCE_RANK[r.evidence] for r in classed)
    best = [r for r in classed if EVIDENCE_RANK[r.evidence] == best_rank]
    classes = {r.drug_class for r in best}
    if len(classes) > 1 and "unknown" in classes:
        classes.discard("unknown")
    drug_class = min(classes, key=lambda c: CONSERVATIVE.get(c, 3))
    conflict = cell_conflict(rows)
    detail = ""
    if conflict:
        how = (f"the more conservative '{drug_class}' of the best evidence kind is used"
               if len(classes) > 1 else
               f"'{drug_class}' follows the best evidence kind ({best[0].evidence.replace('_', ' ')})")
        detail = f"{mutation}: conflicting — {describe_conflict(conflict)}; {how}"
    with_ic50 = sorted((r for r in rows if r.ic50_nm is not None),
                       key=lambda r: (DIRECTNESS_RANK.get(r.citation.directness, 9), r.line))
    ic50 = fold = None
    if with_ic50:
        pick = with_ic50[0]
        ic50 = pick.ic50_nm
        fold = pick.fold_vs_wt or (ic50 / pick.wt_ic50_nm if ic50 is not None and pick.wt_ic50_nm else None)
    citations = _unique(r.citation for r in sorted(
        rows, key=lambda r: (EVIDENCE_RANK[r.evidence], DIRECTNESS_RANK.get(r.citation.directness, 9))))
    return DrugCall(drug, drug_class, ic50, fold, best[0].evidence, citations, False, detail,
                    conflict)


def _infer_from_parts(kb: KnowledgeBase, compound: str, drug: str) -> DrugCall:
    parts = [cell_call(kb, part, drug) for part in compound.split("+")]
    drug_class = combine_classes(p.drug_class for p in parts)
    names = compound.split("+")
    detail = "inferred from parts (no compound evidence): " + "; ".join(
        f"{name} {p.drug_class}" for name, p in zip(names, parts))
    citations = _unique(c for p in parts for c in p.citations)
    evidence = max((p.evidence for p in parts if p.evidence),
                   key=lambda e: EVIDENCE_RANK[e], default=None)
    return DrugCall(drug, drug_class, None, None, evidence, citations, True, detail,
                    tuple(side for p in parts for side in p.conflict))


def combine_classes(classes) -> str:
    classes = list(classes)
    for name in COMBINE_ORDER:
        if name in classes:
            return name
    return "unknown"


def patient_call(kb: KnowledgeBase, units: list[str], drug: str) -> DrugCall:
    """A drug against every unit (mutation or cis compound) the patient carries."""
    known = kb.derived("drug calls")
    key = (tuple(units), drug, "patient")
    call = known.get(key)
    if call is None:
        call = known[key] = _patient_call(kb, units, drug)
    return call


def _patient_call(kb: KnowledgeBase, units: list[str], drug: str) -> DrugCall:
    calls = [cell_call(kb, unit, drug) for unit in units]
    if len(calls) == 1:
        call = calls[0]
        return call
    drug_class = combine_classes(c.drug_class for c in calls)
    details = [f"{unit}: {c.drug_class}" + (f" (IC50 {_fmt(c.ic50_nm)} nM)" if c.ic50_nm else "")
               + (" [inferred]" if c.inferred else "") + (" [conflicting]" if c.conflict else "")
               for unit, c in zip(units, calls)]
    worst = next(c for c in calls if c.drug_class == drug_class)
    evidence = max((c.evidence for c in calls if c.evidence),
                   key=lambda e: EVIDENCE_RANK[e], default=None)
    return DrugCall(drug, drug_class, worst.ic50_nm, worst.fold_vs_wt, evidence,
                    _unique(ci for c in calls for ci in c.citations),
                    any(c.inferred for c in calls), "; ".join(details),
                    tuple(side for c in calls for side in c.conflict))


def _unique(citations) -> tuple[Citation, ...]:
    seen: dict[tuple[str, str], Citation] = {}
    for c in citations:
        seen.setdefault((c.source, c.locator), c)
    return tuple(seen.values())


# Wording of calls lives in alkseq.interpret.wording; kept importable from here for callers.
from alkseq.interpret.wording import call_facts, describe_call  # noqa: E402,F401
