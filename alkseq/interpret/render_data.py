"""What the writers draw and cite, computed once on the interpreter's side.

Writers render a ``Report`` and nothing else (no knowledge base, no interpreter): so the
report carries the heatmap's per-unit calls under each phase reading, the bibliography of
every source it cites (from ``reference/sources/*.tsv``), the curated mutations the domain
plot marks, and which warnings change the answer. A report made with a ``--knowledge``
overlay therefore draws and cites that overlay's knowledge, whoever renders it.
"""
from __future__ import annotations

from dataclasses import replace

from alkseq.interpret.matrix import DIRECTNESS_RANK, cell_call, patient_call
from alkseq.interpret.matrix import residue_order as _residue
from alkseq.model import Reference, Report, UnitCall

# warnings that change which candidate leads or whether it holds (shown on the top card)
_KEY_WARNING_MARKS = ("phase", "No approved ALK TKI", "No prior therapy given")


def with_render_data(kb, readings: dict[str, list[str]], report: Report) -> Report:
    """``report`` with ``unit_calls``, ``references``, ``curated_mutations``, ``key_warnings``."""
    drugs = [m.drug for m in report.matrix]
    units: list[UnitCall] = []
    singles = sorted({m for unit_list in readings.values() for u in unit_list
                      for m in u.split("+")}, key=_residue)
    for mutation in singles:
        units.append(UnitCall(mutation, "mutation", None, (mutation,),
                              tuple(cell_call(kb, mutation, d) for d in drugs)))
    seen = set()
    for name, unit_list in readings.items():
        for unit in unit_list:
            if "+" in unit and unit not in seen:
                seen.add(unit)
                reading = "cis" if name == "cis" else None
                units.append(UnitCall(unit, "compound", reading, tuple(unit.split("+")),
                                      tuple(cell_call(kb, unit, d) for d in drugs)))
    for name, unit_list in readings.items():
        reading = None if name == "as_phased" else name
        units.append(UnitCall("tumour", "tumour", reading, tuple(singles),
                              tuple(patient_call(kb, unit_list, d) for d in drugs)))
    cited = [c for group in (*(c.citations for c in report.candidates),
                             *(n.citations for n in report.not_recommended),
                             *(m.citations for m in report.matrix),
                             *(call.citations for u in units for call in u.calls))
             for c in group]
    best: dict[str, str] = {}
    for c in cited:
        if c.source not in best or \
                DIRECTNESS_RANK.get(c.directness, 9) < DIRECTNESS_RANK.get(best[c.source], 9):
            best[c.source] = c.directness
    made = kb.derived("references")
    references = []
    for source, directness in best.items():
        reference = made.get((source, directness))
        if reference is None:
            row = kb.sources.get(source)
            reference = made[(source, directness)] = (
                Reference(source, row.citation, row.title, row.year, row.url, directness) if row
                else Reference(source, "", directness=directness))
        references.append(reference)
    key = tuple(w for w in report.warnings if any(mark in w for mark in _KEY_WARNING_MARKS))
    candidates = tuple(_led(c) for c in report.candidates)
    against = tuple(_led(n) for n in report.not_recommended)
    matrix = tuple(_led(m) for m in report.matrix)
    return replace(report, candidates=candidates, not_recommended=against, matrix=matrix,
                   unit_calls=tuple(units), references=tuple(references),
                   curated_mutations=tuple(sorted(kb.matrix_mutations)), key_warnings=key)


def _led(record):
    """``record`` with its citations in ``_lead`` order (itself when they already are)."""
    led = _lead(record.citations)
    if type(record.citations) is tuple and len(led) == len(record.citations) \
            and all(a is b for a, b in zip(led, record.citations)):
        return record
    return replace(record, citations=led)


def _lead(citations) -> tuple:
    """Primary sources first, tertiary ones last (stable otherwise): a tertiary page never
    stands first on a card."""
    return tuple(sorted(citations, key=lambda c: DIRECTNESS_RANK.get(c.directness, 9)))
