"""JSON output following the versioned schema shipped in ``alkseq/schemas/``.

Every JSON alkseq writes is one document shape (schema ``alkseq-report/2.0``), whatever the
input held: an object with the versions, a ``kind`` (annotate, lookup, batch, merge), a
``samples`` list (one entry per interpreted sample, even when there is only one) and a
``failures`` list (batch samples that could not be processed). Pipelines read
``doc["samples"]`` and never branch on the input.
"""
from __future__ import annotations

from alkseq.notice import RESEARCH_USE
from alkseq.model import Report
from alkseq.report.json_text import dumps_indented
from alkseq.sanitise import json_safe
from alkseq.report.sources import citation_dict

SCHEMA_ID = "alkseq-report/2.0"
KINDS = ("annotate", "lookup", "batch", "merge")
SUFFIX = ".json"


def report_to_dict(r: Report) -> dict:
    """One sample's entry of ``samples`` (``#/$defs/sample`` in the schema)."""
    return {
        "alkseq_version": r.alkseq_version,
        "knowledge_version": r.knowledge_version,
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


def failure_to_dict(failure) -> dict:
    return {"sample": failure.sample, "path": failure.path, "message": failure.message,
            "exit_code": failure.exit_code}


def document(reports, *, kind: str = "annotate", failures=()) -> dict:
    """The one JSON document: versions, ``samples`` (always a list) and ``failures``."""
    from alkseq._version import __version__

    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    samples = [report_to_dict(r) for r in reports]
    versions = sorted({s["knowledge_version"] for s in samples})
    return {
        "schema": SCHEMA_ID,
        "kind": kind,
        "alkseq_version": __version__,
        "knowledge_version": versions[0] if len(versions) == 1 else ";".join(versions) or None,
        "research_use": RESEARCH_USE,
        "samples": samples,
        "failures": [failure_to_dict(f) for f in failures],
    }


def dumps(data: dict) -> str:
    return json_safe(dumps_indented(data)) + "\n"


def render(reports: list[Report], *, kind: str = "annotate", failures=(), **_options) -> str:
    """Any number of reports → one ``alkseq-report/2.0`` document (never a bare array)."""
    return dumps(document(reports, kind=kind, failures=failures))


# --------------------------------------------------------------------------- reading back

def report_from_dict(data: dict) -> Report:
    """A ``samples`` entry back into a ``Report`` (for ``alkseq merge``: cohort rows and
    MultiQC files from per-sample JSON, without re-running the interpretation).

    ``report_to_dict(report_from_dict(d)) == d`` for what alkseq wrote; the alteration's
    origin keeps its path and line only, as the JSON does.
    """
    from alkseq.genome.protein import parse_protein_change
    from alkseq.model import (Alteration, Candidate, Citation, Compound, Context, DrugCall,
                              Finding, GenomicVariant, NotRecommended, Origin, PhaseEvidence)

    def citations(items) -> tuple:
        return tuple(Citation(s["source"], s.get("locator", ""), s.get("directness", ""))
                     for s in items or ())

    def finding(a: dict) -> Finding:
        change = None
        if a.get("hgvs_p"):
            change = parse_protein_change(a["hgvs_p"])[1]
            if change.short != a.get("protein_change"):
                change = parse_protein_change(a["protein_change"])[1]
        g = a.get("genomic")
        alteration = Alteration(
            gene=a["gene"], kind=a["kind"], protein_change=change, partner=a.get("partner"),
            fusion_variant=a.get("fusion_variant"), breakpoint=a.get("breakpoint"),
            vaf=a.get("vaf"), depth=a.get("depth"), copy_number=a.get("copy_number"),
            genomic=None if g is None else GenomicVariant(g["build"], g["chrom"], g["pos"],
                                                          g["ref"], g["alt"], g.get("hgvs_c")),
            label=_label(a, change), origin=Origin(**(a.get("origin") or {})),
            notes=tuple(a.get("notes") or ()))
        return Finding(alteration, a["role"], a.get("mechanism"), a.get("mechanism_label"))

    context = data["context"]
    return Report(
        sample=data["sample"],
        context=Context(tuple(context["prior_therapies"]), context.get("histology"),
                        context.get("progression"), context.get("specimen"),
                        **({"lines": tuple(tuple(line) for line in context["lines"])}
                           if "lines" in context else {})),
        findings=tuple(finding(a) for a in data["alterations"]),
        compounds=tuple(Compound(tuple(parse_protein_change(m)[1] for m in c["mutations"]),
                                 c["phase"],
                                 None if c.get("phase_evidence") is None
                                 else PhaseEvidence(**c["phase_evidence"]))
                        for c in data["compounds"]),
        mechanism_class=data["mechanism_class"],
        matrix=tuple(_drug_call(m, citations) for m in data["matrix"]),
        candidates=tuple(_candidate(c, citations) for c in data["candidates"]),
        not_recommended=tuple(NotRecommended(n["therapy"], tuple(n["drugs"]), n["reason"],
                                             citations(n.get("sources")), n.get("inferred", False))
                              for n in data["not_recommended"]),
        warnings=tuple(data["warnings"]), knowledge_version=data["knowledge_version"],
        alkseq_version=data["alkseq_version"], input_path=data["input"]["path"],
        input_format=data["input"]["format"], build=data["input"]["build"],
        advice=tuple(data.get("advice") or ()), history=_history_from(context.get("history")))


def _history_from(h: dict | None):
    from alkseq.model import TreatmentHistory

    if h is None:
        return None
    return TreatmentHistory(lines=(), alk_tkis=tuple((t["drug"], t["generation"], t["line"]) for t in h["alk_tkis"]),
                            chemotherapy_given=h["chemotherapy_given"], setting=h["setting"],
                            next_line=h["next_line"])


def _candidate(c: dict, citations):
    """A candidate from its JSON, for every field the ``Candidate`` of this version has."""
    from dataclasses import fields

    from alkseq.model import Candidate

    names = {f.name for f in fields(Candidate)}
    values = {k: v for k, v in c.items() if k in names}
    values["drugs"] = tuple(c["drugs"])
    values["citations"] = citations(c.get("sources"))
    if "roles" in names:
        values["roles"] = tuple((r["drug"], r["role"]) for r in c.get("roles") or ())
    if "agents_named" in names:
        values["agents_named"] = tuple(c.get("agents_named") or ())
    if "coverage_evidence" in names:
        values["coverage_evidence"] = c.get("coverage_evidence") or ""
    return Candidate(**values)


def _drug_call(m: dict, citations):
    from dataclasses import fields

    from alkseq.model import DrugCall

    values = dict(drug=m["drug"], drug_class=m["class"], ic50_nm=m.get("ic50_nm"),
                  fold_vs_wt=m.get("fold_vs_wt"), evidence=m.get("evidence"),
                  citations=citations(m.get("sources")), inferred=m.get("inferred", False),
                  detail=m.get("detail") or "")
    if m.get("conflict") and "conflict" in {f.name for f in fields(DrugCall)}:
        from alkseq.model import ConflictSide

        values["conflict"] = tuple(ConflictSide(s["mutation"], s["class"], s["evidence"],
                                                s["directness"], tuple(s.get("sources") or ()),
                                                s.get("rows", 1)) for s in m["conflict"])
    return DrugCall(**values)


def _label(a: dict, change) -> str | None:
    """The label that gives back the finding's ``name`` when nothing else does."""
    if change is not None or a["kind"] == "fusion":
        return None
    prefix = f"{a['gene']} ".lstrip()
    name = a.get("name") or ""
    rest = name[len(prefix):] if name.startswith(prefix) else None
    return rest if rest and rest != a["kind"] else None


def read_document(path) -> dict:
    """An alkseq JSON document from a file, checked for the 2.0 shape (InputError if not)."""
    import json
    from pathlib import Path

    from alkseq.errors import InputError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=str(path), line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"not an alkseq {SCHEMA_ID} document (schema: {found})", path=str(path),
                         hint="re-run alkseq annotate --format json with this version")
    return data
