"""JSON output following the versioned schema shipped in ``alkseq/schemas/``."""
from __future__ import annotations

import json

from alkseq.notice import RESEARCH_USE
from alkseq.model import Report
from alkseq.sanitise import json_safe
from alkseq.report.sources import citation_dict

SCHEMA_ID = "alkseq-report/1.0"
SUFFIX = ".json"


def report_to_dict(r: Report) -> dict:
    return {
        "schema": SCHEMA_ID,
        "alkseq_version": r.alkseq_version,
        "knowledge_version": r.knowledge_version,
        "research_use": RESEARCH_USE,
        "sample": r.sample,
        "input": {"path": r.input_path, "format": r.input_format, "build": r.build},
        "context": {"prior_therapies": list(r.context.prior_therapies),
                    "histology": r.context.histology, "progression": r.context.progression,
                    "specimen": r.context.specimen,
                    "lines": [list(line) for line in r.context.lines],
                    "history": _history(r.history)},
        "mechanism_class": r.mechanism_class,
        "alterations": [_finding(f) for f in r.findings],
        "compounds": [{
            "mutations": list(c.names), "phase": c.phase,
            "phase_evidence": None if c.evidence is None else {
                "source": c.evidence.source, "both": c.evidence.both,
                "first_only": c.evidence.first_only, "second_only": c.evidence.second_only,
                "neither": c.evidence.neither, "spanning": c.evidence.spanning,
                "detail": c.evidence.detail},
        } for c in r.compounds],
        "matrix": [{
            "drug": m.drug, "class": m.drug_class, "ic50_nm": m.ic50_nm,
            "fold_vs_wt": None if m.fold_vs_wt is None else round(m.fold_vs_wt, 3),
            "evidence": m.evidence, "sources": [citation_dict(c) for c in m.citations],
            "inferred": m.inferred, "detail": m.detail,
            "conflict": [{"mutation": s.mutation, "class": s.drug_class, "evidence": s.evidence,
                          "directness": s.directness, "sources": list(s.sources), "rows": s.rows}
                         for s in m.conflict],
        } for m in r.matrix],
        "candidates": [{
            "rank": c.rank, "therapy": c.therapy, "drugs": list(c.drugs), "category": c.category,
            "evidence_level": c.evidence_level, "rationale": c.rationale,
            "sources": [citation_dict(s) for s in c.citations], "inferred": c.inferred,
            "status": c.status, "reading": c.reading,
            "recommendation_strength": c.recommendation_strength,
            "coverage_evidence": c.coverage_evidence or None,
            "roles": [{"drug": d, "role": role} for d, role in c.roles],
            "therapy_class": c.therapy_class, "agents_named": list(c.agents_named),
            "option": c.option,
        } for c in r.candidates],
        "not_recommended": [{
            "therapy": n.therapy, "drugs": list(n.drugs), "reason": n.reason,
            "sources": [citation_dict(s) for s in n.citations], "inferred": n.inferred,
        } for n in r.not_recommended],
        "advice": list(r.advice),
        "warnings": list(r.warnings),
    }


def _history(h) -> dict | None:
    if h is None:
        return None
    return {"setting": h.setting, "next_line": h.next_line,
            "chemotherapy_given": h.chemotherapy_given,
            "alk_tkis": [{"drug": d, "generation": g, "line": n} for d, g, n in h.alk_tkis]}


def _finding(f) -> dict:
    a = f.alteration
    g = a.genomic
    return {
        "gene": a.gene, "kind": a.kind,
        "protein_change": a.protein_change.short if a.protein_change else None,
        "hgvs_p": a.protein_change.hgvs if a.protein_change else None,
        "name": a.name, "role": f.role, "mechanism": f.mechanism,
        "mechanism_label": f.mechanism_label,
        "vaf": a.vaf, "depth": a.depth, "copy_number": a.copy_number,
        "partner": a.partner, "fusion_variant": a.fusion_variant, "breakpoint": a.breakpoint,
        "genomic": None if g is None else {"build": g.build, "chrom": g.chrom, "pos": g.pos,
                                           "ref": g.ref, "alt": g.alt, "hgvs_c": g.hgvs_c},
        "origin": {"path": a.origin.path, "line": a.origin.line},
        "notes": list(a.notes),
    }


def render(reports: list[Report], **_options) -> str:
    """One report → one JSON object; several (a MAF with many samples) → a JSON array."""
    data = [report_to_dict(r) for r in reports]
    return json_safe(json.dumps(data[0] if len(data) == 1 else data, indent=2,
                                ensure_ascii=False, allow_nan=False)) + "\n"
