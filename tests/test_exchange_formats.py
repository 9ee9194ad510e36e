"""FHIR R4 Genomics Reporting bundles and GA4GH Phenopackets v2, validated with the
maintained model libraries (fhir.resources R4B models; phenopackets protobuf classes), and
compared with the structure of the shared HL7/GA4GH examples (../shared/vendor)."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from alkseq.api import annotate
from conftest import ROOT, run_cli

CASES = yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())
COMPOUND = ROOT / "examples" / "post_lorlatinib_compound" / "panel.tsv"
G1202R_VCF = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"


def _run(case, fmt: str) -> dict:
    result = run_cli("annotate", case["input"], *case["args"], "--format", fmt, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _resource_class(name: str):
    import importlib

    module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
    return getattr(module, name)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fhir_bundle_validates_with_fhir_resources(case):
    from fhir.resources.R4B.bundle import Bundle

    data = _run(case, "fhir")
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    for entry in data["entry"]:                 # each resource against its own model too
        _resource_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    urls = {e["fullUrl"] for e in data["entry"]}
    refs = re.findall(r'"reference": "([^"]+)"', json.dumps(data))
    assert refs and set(refs) <= urls            # every reference resolves inside the bundle


def test_fhir_follows_the_genomics_reporting_shape():
    """As in ../shared/vendor/fhir somaticReportPDFexamples.fsh: a genomic-report whose
    results are variants and therapeutic implications (medication assessed 51963-7, level of
    evidence 93044-6, derivedFrom the variant), gene-studied 48018-6 on each variant."""
    result = run_cli("annotate", G1202R_VCF, "--prior", "crizotinib", "--prior", "alectinib",
                     "--format", "fhir", cwd=ROOT)
    data = json.loads(result.stdout)
    resources = [e["resource"] for e in data["entry"]]
    report = resources[0]
    assert report["resourceType"] == "DiagnosticReport"
    assert report["meta"]["profile"][0].endswith("/genomic-report")
    assert report["code"]["coding"][0]["code"] == "51969-4"
    profiles = [r["meta"]["profile"][0].rsplit("/", 1)[1] for r in resources[1:]]
    assert {"variant", "therapeutic-implication"} <= set(profiles)
    assert len(report["result"]) == len(resources) - 1
    variant = next(r for r in resources if r["meta"]["profile"][0].endswith("/variant")
                   and "G1202R" in r["note"][0]["text"])
    codes = {c["code"]["coding"][0]["code"]: c for c in variant["component"]}
    assert codes["48018-6"]["valueCodeableConcept"]["text"] == "ALK"
    assert codes["48005-3"]["valueCodeableConcept"]["text"] == "ALK:p.Gly1202Arg"
    assert "81258-6" in codes and "62374-4" in codes            # VAF, GRCh38
    top = next(r for r in resources if r["meta"]["profile"][0].endswith("/therapeutic-implication")
               and "candidate 1:" in r["component"][0]["valueCodeableConcept"]["text"])
    parts = {c["code"]["coding"][0]["code"]: c for c in top["component"]}
    assert parts["51963-7"]["valueCodeableConcept"]["text"] == "lorlatinib"
    assert parts["93044-6"]["valueCodeableConcept"]["text"].startswith("alkseq evidence level")
    cites = parts["93044-6"]["extension"]
    assert cites and all(c["valueRelatedArtifact"]["type"] == "citation" for c in cites)
    assert any(c["valueRelatedArtifact"].get("url", "").startswith("https://") for c in cites)
    assert parts["81259-4"]["valueCodeableConcept"]["coding"][0]["code"] == "254637007"
    assert top["derivedFrom"]
    sensitive = [r for r in resources if "LA6677-4" in json.dumps(r.get("component", []))]
    assert sensitive                                            # lorlatinib × G1202R: responsive


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_phenopacket_parses_with_the_phenopackets_schema(case):
    from google.protobuf.json_format import ParseDict
    from phenopackets import Phenopacket

    data = _run(case, "phenopacket")
    packet = ParseDict(data, Phenopacket())            # unknown fields or wrong types raise
    assert packet.meta_data.phenopacket_schema_version == "2.0"
    assert packet.biosamples[0].id == packet.id
    interpretation = packet.interpretations[0]
    from phenopackets import Interpretation

    assert interpretation.progress_status == Interpretation.ProgressStatus.Value("COMPLETED")
    assert "Candidates: 1." in interpretation.summary or "Candidates: none" in interpretation.summary
    prefixes = {r.namespace_prefix for r in packet.meta_data.resources}
    assert interpretation.diagnosis.disease.id.split(":")[0] in prefixes


def test_phenopacket_follows_the_cancer_example_shape():
    """As in ../shared/vendor/phenopackets interpretation.rst: genomicInterpretations of the
    biosample with a variationDescriptor (expressions, vcfRecord) and therapeuticActionability."""
    from google.protobuf.json_format import ParseDict
    from phenopackets import Phenopacket

    result = run_cli("annotate", G1202R_VCF, "--prior", "crizotinib", "--prior", "alectinib",
                     "--format", "phenopacket", cwd=ROOT)
    packet = ParseDict(json.loads(result.stdout), Phenopacket())
    found = packet.interpretations[0].diagnosis.genomic_interpretations
    g1202r = next(g for g in found if g.variant_interpretation.variation_descriptor.label == "ALK G1202R")
    assert g1202r.subject_or_biosample_id == packet.biosamples[0].id
    vi = g1202r.variant_interpretation
    from phenopackets import TherapeuticActionability

    assert vi.therapeutic_actionability == TherapeuticActionability.Value("ACTIONABLE")
    assert vi.variation_descriptor.expressions[0].value == "ALK:p.Gly1202Arg"
    assert vi.variation_descriptor.vcf_record.genome_assembly == "GRCh38"
    assert [a.treatment.agent.label for a in packet.medical_actions] == ["crizotinib", "alectinib"]
    refs = packet.meta_data.external_references
    assert refs and any(r.reference.startswith("https://") for r in refs)


def test_same_input_same_bytes_and_created_only_from_source_date_epoch(tmp_path):
    args = ("annotate", COMPOUND, "--prior", "alectinib", "--format")
    for fmt in ("fhir", "phenopacket"):
        first, second = run_cli(*args, fmt, cwd=ROOT), run_cli(*args, fmt, cwd=ROOT)
        assert first.stdout == second.stdout
    assert '"created"' not in run_cli(*args, "phenopacket", cwd=ROOT).stdout


def test_pdf_is_printed_from_the_html():
    try:
        import weasyprint  # noqa: F401  (the optional 'pdf' extra; needs Pango)
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint is not usable here: {exc}")
    from alkseq.report import pdf

    data = pdf.render_bytes(annotate(COMPOUND, ["alectinib", "lorlatinib"]))
    assert data.startswith(b"%PDF-") and len(data) > 20_000


def test_pdf_from_the_cli(tmp_path):
    out = tmp_path / "r.pdf"
    result = run_cli("annotate", COMPOUND, "--prior", "alectinib", "--format", "pdf", "-o", out,
                     cwd=ROOT)
    if result.returncode != 0 and "needs WeasyPrint" in result.stderr:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
