"""FHIR R4 output: a Bundle in the shape of HL7 Genomics Reporting (STU2/STU3).

One ``collection`` Bundle per input: per sample a genomic-report DiagnosticReport whose
results are a Variant Observation per finding, a sequence-phase-relationship Observation per
ALK compound, and a TherapeuticImplication per ranked candidate, per therapy argued against
and per drug of the sensitivity matrix (drug, class, evidence level, citations as
relatedArtifacts). Codes are those the Genomics Reporting examples use (LOINC, the IG's
tbd-codes); where alkseq holds no code (genes have no HGNC ids in the knowledge base) the
value is text only, never a guessed code. docs/fhir_phenopacket.md gives the mapping.
Plain dicts, JSON out; tests validate the result with ``fhir.resources`` (R4B models).
"""
from __future__ import annotations

import hashlib

from alkseq.model import Citation, Report
from alkseq.notice import RESEARCH_USE
from alkseq.report.sources import reference_view

SUFFIX = ".fhir.json"
IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
LOINC = "http://loinc.org"
OBS_CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory"}]}
# LOINC codes as used by the Genomics Reporting IG examples (../shared/vendor/fhir)
GENE_STUDIED, PROTEIN_HGVS, CODING_HGVS = "48018-6", "48005-3", "48004-6"
ALLELE_FREQUENCY, READ_DEPTH, COPY_NUMBER = "81258-6", "82121-5", "82155-3"
REF_ALLELE, ALT_ALLELE, CHROMOSOME, START_END = "69547-8", "69551-0", "48000-4", "81254-5"
ASSEMBLY, MEDICATION, EVIDENCE_LEVEL, TREATMENT_CONTEXT = "62374-4", "51963-7", "93044-6", "81259-4"
ASSEMBLIES = {"GRCh37": ("LA14029-5", "GRCh37"), "GRCh38": ("LA26806-2", "GRCh38")}
NSCLC = {"system": "http://snomed.info/sct", "code": "254637007",
         "display": "Non-small cell lung cancer (disorder)"}   # as in the IG's NSCLC example


def _loinc(code: str, display: str | None = None) -> dict:
    coding = {"system": LOINC, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _tbd(code: str, display: str) -> dict:
    return {"coding": [{"system": TBD, "code": code, "display": display}]}


def _text(value: str) -> dict:
    return {"text": value}


def _component(code: dict, **value) -> dict:
    return {"code": code, **value}


def _id(*parts) -> str:
    """A stable resource id (FHIR ids: letters, digits, '-', '.', at most 64)."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def _artifacts(citations: tuple[Citation, ...], r: Report) -> list[dict]:
    known = {ref.source: ref for ref in r.references}
    out = []
    for c in citations:
        view = reference_view(c.source, known.get(c.source))
        artifact = {"type": "citation", "label": c.source,
                    "display": view["citation"] + (f" ({c.locator})" if c.locator else "")}
        if view["url"]:
            artifact["url"] = view["url"]
        out.append({"url": "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact",
                    "valueRelatedArtifact": artifact})
    return out


def _variant(f, r: Report, rid: str) -> dict:
    a = f.alteration
    genes = [a.partner, a.gene] if a.kind == "fusion" and a.partner else [a.gene]
    components = [_component(_loinc(GENE_STUDIED, "Gene studied [ID]"),
                             valueCodeableConcept=_text(g)) for g in genes]
    if a.protein_change is not None:
        components.append(_component(_loinc(PROTEIN_HGVS, "Amino acid change (pHGVS)"),
                                     valueCodeableConcept=_text(f"{a.gene}:{a.protein_change.hgvs}")))
    g = a.genomic
    if g is not None:
        if g.hgvs_c:
            components.append(_component(_loinc(CODING_HGVS, "DNA change (c.HGVS)"),
                                         valueCodeableConcept=_text(g.hgvs_c)))
        components.append(_component(_loinc(CHROMOSOME, "Chromosome"),
                                     valueCodeableConcept=_text(g.chrom)))
        components.append(_component(_loinc(START_END, "Genomic allele start-end"),
                                     valueRange={"low": {"value": g.pos},
                                                 "high": {"value": g.pos + max(len(g.ref), 1) - 1}}))
        components.append(_component(_loinc(REF_ALLELE, "Genomic ref allele [ID]"), valueString=g.ref))
        components.append(_component(_loinc(ALT_ALLELE, "Genomic alt allele [ID]"), valueString=g.alt))
        if g.build in ASSEMBLIES:
            code, display = ASSEMBLIES[g.build]
            components.append(_component(_loinc(ASSEMBLY, "Human reference sequence assembly version"),
                                         valueCodeableConcept={"coding": [{
                                             "system": LOINC, "code": code, "display": display}]}))
    if a.vaf is not None:
        components.append(_component(_loinc(ALLELE_FREQUENCY, "Sample variant allelic frequency [NFr]"),
                                     valueQuantity={"value": a.vaf, "system": "http://unitsofmeasure.org",
                                                    "code": "1"}))
    if a.depth is not None:
        components.append(_component(_loinc(READ_DEPTH, "Allelic read depth"),
                                     valueQuantity={"value": a.depth}))
    if a.copy_number is not None:
        components.append(_component(_loinc(COPY_NUMBER, "Genomic structural variant copy number"),
                                     valueQuantity={"value": a.copy_number}))
    notes = [f"alkseq role: {f.role}"] + ([f"mechanism: {f.mechanism_label}"]
                                          if f.mechanism_label else [])
    return {"resourceType": "Observation", "id": rid,
            "meta": {"profile": [IG + "variant"]}, "status": "final", "category": [OBS_CATEGORY],
            "code": _loinc("69548-6", "Genetic variant assessment"),
            "valueCodeableConcept": _loinc("LA9633-4", "Present"),
            "note": [{"text": a.name + " — " + "; ".join(notes)}], "component": components}


def _phase(c, r: Report, rid: str, variants: dict[str, str]) -> dict:
    ev = c.evidence
    detail = (ev.source + (f": {ev.detail}" if ev.detail else "")) if ev else "none"
    return {"resourceType": "Observation", "id": rid,
            "meta": {"profile": [IG + "sequence-phase-relationship"]}, "status": "final",
            "category": [OBS_CATEGORY], "code": _loinc("82120-7", "Allelic phase"),
            "valueCodeableConcept": _text(c.phase),
            "derivedFrom": [_ref(variants[m]) for m in c.names
                            if m in variants],
            "note": [{"text": f"{'+'.join(c.names)}: phase {c.phase} ({detail})"}]}


def _implication(rid: str, drugs, therapy: str, implication: str, level: str | None,
                 note: str, citations, r: Report, derived: list[str], *,
                 responsive: bool = False) -> dict:
    value = _text(implication)
    if responsive:
        value = {"coding": [{"system": LOINC, "code": "LA6677-4", "display": "Responsive"}],
                 "text": implication}
    components = [_component(_tbd("therapeutic-implication", "Therapeutic Implication"),
                             valueCodeableConcept=value),
                  _component(_loinc(TREATMENT_CONTEXT, "Phenotypic treatment context"),
                             valueCodeableConcept={"coding": [NSCLC],
                                                   "text": "ALK-positive NSCLC" + (
                                                       " after " + ", ".join(r.context.prior_therapies)
                                                       if r.context.prior_therapies else "")})]
    for drug in drugs or (therapy,):
        components.append(_component(_loinc(MEDICATION, "Medication assessed"),
                                     valueCodeableConcept=_text(drug)))
    if level:
        evidence = _component(_loinc(EVIDENCE_LEVEL, "Level of evidence"),
                              valueCodeableConcept=_text(level))
        artifacts = _artifacts(citations, r)
        if artifacts:
            evidence["extension"] = artifacts
        components.append(evidence)
    out = {"resourceType": "Observation", "id": rid,
           "meta": {"profile": [IG + "therapeutic-implication"]}, "status": "final",
           "category": [OBS_CATEGORY], "code": _tbd("therapeutic-implication",
                                                    "Therapeutic Implication"),
           "component": components, "note": [{"text": note}],
           "derivedFrom": [_ref(d) for d in derived]}
    if not level and citations:
        out["extension"] = _artifacts(citations, r)
    return out


def report_entries(r: Report, index: int) -> list[dict]:
    """One sample's resources: the DiagnosticReport first, then its observations."""
    key = (r.sample, index)
    variants = {}
    resources = []
    for i, f in enumerate(r.findings):
        rid = _id(*key, "variant", i)
        resources.append(_variant(f, r, rid))
        if f.alteration.protein_change is not None:
            variants[f.alteration.protein_change.short] = rid
    alk = [res["id"] for res, f in zip(resources, r.findings) if f.role != "other"]
    for i, c in enumerate(r.compounds):
        resources.append(_phase(c, r, _id(*key, "phase", i), variants))
    for c in r.candidates:
        reading = f"; only if the ALK mutations are in {c.reading}" if c.reading else ""
        resources.append(_implication(
            _id(*key, "candidate", c.rank), c.drugs, c.therapy,
            f"candidate {c.rank}: {c.therapy} ({c.category.replace('_', ' ')}, {c.status}"
            f"{', inferred' if c.inferred else ''}{reading})",
            f"alkseq evidence level {c.evidence_level}", c.rationale, c.citations, r, alk))
    for i, n in enumerate(r.not_recommended):
        resources.append(_implication(
            _id(*key, "against", i), n.drugs, n.therapy, f"argued against: {n.therapy}", None,
            n.reason, n.citations, r, alk))
    for m in r.matrix:
        facts = [f"IC50 {m.ic50_nm:g} nM" if m.ic50_nm is not None else "",
                 f"{m.fold_vs_wt:.3g}x WT" if m.fold_vs_wt is not None else "", m.detail]
        resources.append(_implication(
            _id(*key, "matrix", m.drug), (m.drug,), m.drug,
            f"{m.drug_class}{' (inferred)' if m.inferred else ''} for the ALK mutations found",
            f"best evidence: {m.evidence}" if m.evidence else "no curated evidence",
            "; ".join(x for x in facts if x) or m.drug_class, m.citations, r,
            [variants[u] for u in variants], responsive=m.drug_class == "sensitive"))
    top = r.candidates[0] if r.candidates else None
    conclusion = (f"First candidate: {top.therapy} (alkseq level {top.evidence_level}). "
                  if top else "No candidate. ") + f"Mechanism class: {r.mechanism_class}. " \
        + " ".join(r.key_warnings) + (" " if r.key_warnings else "") + RESEARCH_USE
    report = {"resourceType": "DiagnosticReport", "id": _id(*key, "report"),
              "meta": {"profile": [IG + "genomic-report"]}, "status": "final",
              "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                        "code": "GE", "display": "Genetics"}]}],
              "code": _loinc("51969-4", "Genetic analysis report"),
              "identifier": [{"system": "urn:alkseq:sample", "value": r.sample}],
              "result": [_ref(res['id']) for res in resources],
              "conclusion": conclusion}
    return [report, *resources]


def to_bundle(reports: list[Report]) -> dict:
    entries = [res for i, r in enumerate(reports) for res in report_entries(r, i)]
    return {"resourceType": "Bundle", "id": _id("bundle", *(r.sample for r in reports)),
            "meta": {"tag": [{"system": "urn:alkseq", "code": "research-use-only",
                              "display": RESEARCH_USE}]},
            "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{_uuid(res['id'])}", "resource": res}
                      for res in entries]}


def _ref(rid: str) -> dict:
    """A reference to another entry of the Bundle, by its fullUrl."""
    return {"reference": f"urn:uuid:{_uuid(rid)}"}


def _uuid(hex_id: str) -> str:
    h = (hex_id + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def render(reports: list[Report], **_options) -> str:
    from alkseq.report.json_text import dumps_indented
    from alkseq.sanitise import json_safe

    return json_safe(dumps_indented(to_bundle(reports))) + "\n"
