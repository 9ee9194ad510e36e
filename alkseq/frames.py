"""Tidy, typed pandas DataFrames of reports and batches, for notebooks.

One row per observation (a candidate, a drug call, a sample), one column per variable, with
dtypes that say what a column is: ordered categoricals for evidence levels and drug classes
(so ``sort_values`` and ``<`` follow their meaning), nullable integers and floats for counts
and IC50s, ``bool`` flags, and ``;``-joined strings where a cell lists drugs or sources.
pandas is imported here and only when a frame is asked for.
"""
from __future__ import annotations

from alkseq.model import MECHANISM_CLASSES

EVIDENCE_LEVELS = ("A", "B", "C", "D", "E")          # A guideline … E review/inferred
DRUG_CLASSES = ("sensitive", "intermediate", "resistant", "unknown")
STATUSES = ("ok", "error")


def _typed(rows: list[dict], dtypes: dict):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(dtypes))
    for column, dtype in dtypes.items():
        if isinstance(dtype, tuple):          # an ordered categorical over these values
            frame[column] = pd.Categorical(frame[column], categories=list(dtype), ordered=True)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def _sources(citations) -> str:
    return ";".join(dict.fromkeys(c.source for c in citations))


CANDIDATE_DTYPES = {
    "sample": "string", "rank": "Int64", "therapy": "string", "drugs": "string",
    "category": "category", "evidence_level": EVIDENCE_LEVELS, "status": "category",
    "reading": "string", "inferred": "bool", "n_sources": "Int64", "sources": "string",
    "rationale": "string",
}
CALL_DTYPES = {
    "sample": "string", "drug": "string", "drug_class": DRUG_CLASSES, "ic50_nm": "Float64",
    "fold_vs_wt": "Float64", "evidence": "category", "inferred": "bool", "n_sources": "Int64",
    "sources": "string", "detail": "string",
}
SAMPLE_DTYPES = {
    "sample": "string", "status": STATUSES, "error": "string", "exit_code": "Int64",
    "path": "string", "input_format": "category", "build": "category",
    "prior_therapies": "string", "mechanism_class": MECHANISM_CLASSES,
    "alk_mutations": "string", "n_alk_mutations": "Int64", "compounds": "string",
    "top_candidate": "string", "top_evidence_level": EVIDENCE_LEVELS,
    "n_candidates": "Int64", "n_not_recommended": "Int64", "n_warnings": "Int64",
    "knowledge_version": "string",
}


def candidates_frame(reports):
    """One row per ranked candidate of each report (``rank`` 1 is the first choice)."""
    return _typed([{
        "sample": r.sample, "rank": c.rank, "therapy": c.therapy, "drugs": ";".join(c.drugs),
        "category": c.category, "evidence_level": c.evidence_level, "status": c.status,
        "reading": c.reading, "inferred": c.inferred, "n_sources": len(c.citations),
        "sources": _sources(c.citations), "rationale": c.rationale,
    } for r in reports for c in r.candidates], CANDIDATE_DTYPES)


def calls_frame(reports):
    """One row per drug of each report's sensitivity matrix (the call for all its ALK
    mutations together; ``detail`` breaks a multi-mutation call down)."""
    return _typed([{
        "sample": r.sample, "drug": m.drug, "drug_class": m.drug_class, "ic50_nm": m.ic50_nm,
        "fold_vs_wt": m.fold_vs_wt, "evidence": m.evidence, "inferred": m.inferred,
        "n_sources": len(m.citations), "sources": _sources(m.citations), "detail": m.detail,
    } for r in reports for m in r.matrix], CALL_DTYPES)


def _alk_mutations(report) -> list[str]:
    return list(dict.fromkeys(f.alteration.protein_change.short for f in report.findings
                              if f.role == "alk_kinase_domain"
                              and f.alteration.protein_change is not None))


def samples_frame(results):
    """One row per batch sample (``batch.SampleResult``), failed ones included."""
    rows = []
    for result in results:
        report, failure = result.report, result.failure
        top = report.candidates[0] if report is not None and report.candidates else None
        mutations = _alk_mutations(report) if report is not None else []
        rows.append({
            "sample": result.sample, "status": "ok" if failure is None else "error",
            "error": failure.message if failure else None,
            "exit_code": failure.exit_code if failure else 0, "path": result.path,
            "input_format": report.input_format if report else None,
            "build": report.build if report else None,
            "prior_therapies": ";".join(report.context.prior_therapies if report else result.prior),
            "mechanism_class": report.mechanism_class if report else None,
            "alk_mutations": ";".join(mutations) if report else None,
            "n_alk_mutations": len(mutations) if report else None,
            "compounds": "; ".join(f"{c.key} ({c.phase})" for c in report.compounds) if report else None,
            "top_candidate": top.therapy if top else None,
            "top_evidence_level": top.evidence_level if top else None,
            "n_candidates": len(report.candidates) if report else None,
            "n_not_recommended": len(report.not_recommended) if report else None,
            "n_warnings": len(report.warnings) if report else None,
            "knowledge_version": result.knowledge_version,
        })
    return _typed(rows, SAMPLE_DTYPES)
