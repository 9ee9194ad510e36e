"""TSV: one row per candidate (and per argued-against therapy), columns declared once."""
from __future__ import annotations

from alkseq.model import Report
from alkseq.report.cells import safe_cell
from alkseq.report.basis import evidence_fields, phase_basis, reading_needed
from alkseq.report.sources import cited_as

SUFFIX = ".tsv"

# (column, value for a candidate row, value for a not-recommended row)
COLUMNS = (
    ("sample", lambda r, c: r.sample, lambda r, n: r.sample),
    ("mechanism_class", lambda r, c: r.mechanism_class, lambda r, n: r.mechanism_class),
    ("rank", lambda r, c: c.rank, lambda r, n: ""),
    ("recommendation", lambda r, c: "candidate", lambda r, n: "not_recommended"),
    ("therapy", lambda r, c: c.therapy, lambda r, n: n.therapy),
    ("drugs", lambda r, c: ";".join(c.drugs), lambda r, n: ";".join(n.drugs)),
    ("category", lambda r, c: c.category, lambda r, n: ""),
    ("evidence_level", lambda r, c: c.evidence_level, lambda r, n: ""),
    # what the answer rests on (issue #17): phase reading, phase basis, evidence, key warnings
    ("phase_reading", lambda r, c: reading_needed(r, c), lambda r, n: ""),
    ("phase_basis", lambda r, c: "; ".join(phase_basis(r)), lambda r, n: "; ".join(phase_basis(r))),
    ("evidence", lambda r, c: "; ".join(f"{k}: {v}" for k, v in evidence_fields(c)),
     lambda r, n: ""),
    ("key_warnings", lambda r, c: " | ".join(r.key_warnings), lambda r, n: " | ".join(r.key_warnings)),
    ("recommendation_strength", lambda r, c: c.recommendation_strength, lambda r, n: ""),
    ("coverage_evidence", lambda r, c: c.coverage_evidence, lambda r, n: ""),
    ("option", lambda r, c: c.option, lambda r, n: ""),
    ("roles", lambda r, c: ";".join(f"{d}:{role}" for d, role in c.roles), lambda r, n: ""),
    ("agents_named", lambda r, c: (";".join(c.agents_named) or "none named")
     if c.therapy_class else "", lambda r, n: ""),
    ("inferred", lambda r, c: str(c.inferred).lower(), lambda r, n: str(n.inferred).lower()),
    ("status", lambda r, c: c.status, lambda r, n: ""),
    ("rationale", lambda r, c: c.rationale, lambda r, n: n.reason),
    ("sources", lambda r, c: _sources(r, c.citations), lambda r, n: _sources(r, n.citations)),
    ("alterations", lambda r, c: _alterations(r), lambda r, n: _alterations(r)),
    ("knowledge_version", lambda r, c: r.knowledge_version, lambda r, n: r.knowledge_version),
)


def _sources(r: Report, citations) -> str:
    return "; ".join(cited_as(c, r.references) for c in citations)


def _alterations(r: Report) -> str:
    return "; ".join(f.alteration.name for f in r.findings)


def render(reports: list[Report], **_options) -> str:
    lines = ["\t".join(name for name, _, _ in COLUMNS)]
    for r in reports:
        for c in r.candidates:
            lines.append("\t".join(safe_cell(get(r, c)) for _, get, _ in COLUMNS))
        for n in r.not_recommended:
            lines.append("\t".join(safe_cell(get(r, n)) for _, _, get in COLUMNS))
    return "\n".join(lines) + "\n"
