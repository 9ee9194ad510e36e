"""GA4GH Phenopackets v2 output: one Phenopacket per sample (a JSON array for several).

The re-biopsy is a ``biosample``; each finding is a ``GenomicInterpretation`` of it inside
one ``Interpretation`` (progressStatus COMPLETED, as the schema's cancer example), with
``therapeuticActionability`` ACTIONABLE for the alterations the first candidate rests on;
prior therapies are ``medicalActions``; the ranked candidates, key warnings and the
research-use sentence are the interpretation's ``summary``; cited works are
``metaData.externalReferences``. Ontology terms are only those read in the schema's own
examples (``../shared/vendor/phenopackets``) or the HL7 NSCLC example; drugs carry the
knowledge base's generic names in a local ``alkseq.drug`` namespace (it holds no RxNorm/NCIt
codes). ``metaData.created`` is written only when SOURCE_DATE_EPOCH is set, so the same input
gives the same bytes. docs/fhir_phenopacket.md gives the mapping; tests parse the output with
the ``phenopackets`` protobuf classes.
"""
from __future__ import annotations

import os

from alkseq.model import Report
from alkseq.notice import RESEARCH_USE
from alkseq.report.sources import reference_view

SUFFIX = ".phenopacket.json"
SCHEMA_VERSION = "2.0"
NSCLC = {"id": "SNOMEDCT:254637007", "label": "Non-small cell lung cancer (disorder)"}
BIOPSY = {"id": "NCIT:C15189", "label": "Biopsy"}
RESOURCES = (
    {"id": "snomedct", "name": "SNOMED CT", "namespacePrefix": "SNOMEDCT",
     "url": "http://snomed.info/sct", "iriPrefix": "http://snomed.info/id/", "version": ""},
    {"id": "ncit", "name": "NCI Thesaurus", "namespacePrefix": "NCIT",
     "url": "http://purl.obolibrary.org/obo/ncit.owl",
     "iriPrefix": "http://purl.obolibrary.org/obo/NCIT_", "version": ""},
)


def _drug(name: str) -> dict:
    return {"id": f"alkseq.drug:{name}", "label": name}


def _descriptor(f, sample: str, index: int) -> dict:
    a = f.alteration
    descriptor: dict = {"id": f"{sample}:finding:{index + 1}", "label": a.name,
                        "description": f"alkseq role {f.role}"
                        + (f"; mechanism {f.mechanism_label}" if f.mechanism_label else ""),
                        "moleculeContext": "genomic"}
    expressions = []
    if a.protein_change is not None:
        expressions.append({"syntax": "hgvs.p", "value": f"{a.gene}:{a.protein_change.hgvs}"})
    if a.genomic is not None and a.genomic.hgvs_c:
        expressions.append({"syntax": "hgvs.c", "value": a.genomic.hgvs_c})
    if expressions:
        descriptor["expressions"] = expressions
    g = a.genomic
    if g is not None:
        descriptor["vcfRecord"] = {"genomeAssembly": g.build or "", "chrom": g.chrom,
                                   "pos": str(g.pos), "ref": g.ref, "alt": g.alt}
    extensions = []
    for name, value in (("vaf", a.vaf), ("depth", a.depth), ("copy_number", a.copy_number),
                        ("fusion_partner", a.partner), ("fusion_variant", a.fusion_variant),
                        ("breakpoint", a.breakpoint)):
        if value is not None:
            extensions.append({"name": name, "value": f"{value:g}" if isinstance(value, float)
                               else str(value)})
    if extensions:
        descriptor["extensions"] = extensions
    return descriptor


def to_phenopacket(r: Report) -> dict:
    # a targeted candidate (ALK TKI, combination, matched drug) acts on the ALK and bypass
    # findings; chemotherapy or local therapy alone does not make them actionable
    targeted = any(c.category in ("alk_tki", "combination", "targeted") for c in r.candidates)
    interpretations = []
    for i, f in enumerate(r.findings):
        actionable = targeted and f.role in ("alk_kinase_domain", "fusion", "bypass")
        interpretations.append({
            "subjectOrBiosampleId": r.sample,
            "interpretationStatus": "CONTRIBUTORY" if f.role != "other" else "UNKNOWN_STATUS",
            "variantInterpretation": {
                "therapeuticActionability": "ACTIONABLE" if actionable else "UNKNOWN_ACTIONABILITY",
                "variationDescriptor": _descriptor(f, r.sample, i)}})
    lines = [f"{c.rank}. {c.therapy} (alkseq level {c.evidence_level}, {c.category}"
             + (f", only if {c.reading}" if c.reading else "") + ")" for c in r.candidates]
    summary = " ".join(["Candidates: " + ("; ".join(lines) if lines else "none") + ".",
                        *(f"Phase: {'+'.join(c.names)} {c.phase}." for c in r.compounds),
                        *r.key_warnings, RESEARCH_USE])
    known = {ref.source: ref for ref in r.references}
    cited = dict.fromkeys(c.source for group in (*(c.citations for c in r.candidates),
                                                 *(n.citations for n in r.not_recommended),
                                                 *(m.citations for m in r.matrix))
                          for c in group)
    references = []
    for source in cited:
        view = reference_view(source, known.get(source))
        ref = {"id": source, "description": view["citation"]}
        if view["url"]:
            ref["reference"] = view["url"]
        references.append(ref)
    meta: dict = {"createdBy": f"alkseq {r.alkseq_version} (knowledge {r.knowledge_version})",
                  "submittedBy": "alkseq", "resources": list(RESOURCES),
                  "phenopacketSchemaVersion": SCHEMA_VERSION,
                  "externalReferences": references}
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        import datetime

        meta["created"] = datetime.datetime.fromtimestamp(
            int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    biosample: dict = {"id": r.sample, "procedure": {"code": BIOPSY},
                       "description": "re-biopsy at progression"
                       + (f" ({r.context.specimen})" if r.context.specimen else "")}
    if r.input_path:
        biosample["files"] = [{"uri": f"file://{r.input_path}" if r.input_path.startswith("/")
                               else r.input_path,
                               "fileAttributes": {"fileFormat": r.input_format or "",
                                                  "genomeAssembly": r.build or ""}}]
    packet = {
        "id": r.sample,
        "biosamples": [biosample],
        "interpretations": [{
            "id": f"{r.sample}:alkseq",
            "progressStatus": "COMPLETED",
            "diagnosis": {"disease": NSCLC, "genomicInterpretations": interpretations},
            "summary": summary}],
        "diseases": [{"term": NSCLC}],
        "medicalActions": [{"treatment": {"agent": _drug(d)}}
                           for d in r.context.prior_therapies],
        "metaData": meta,
    }
    return packet


def render(reports: list[Report], **_options) -> str:
    from alkseq.report.json_text import dumps_indented
    from alkseq.sanitise import json_safe

    data = [to_phenopacket(r) for r in reports]
    return json_safe(dumps_indented(data[0] if len(data) == 1 else data)) + "\n"
