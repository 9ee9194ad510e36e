"""`alkseq kb import civic`: a CIViC export (nightly TSV or JSON list) → validated overlay + diff.

The TSV cases are files these tests write with the public ClinicalEvidenceSummaries.tsv
columns; their PMIDs 99999901… are synthetic (not real claims). The shared snapshot
(../shared/kb-sources/civic_alk_evidence.json) is read when present and must be present in CI.
"""
import csv
import json
import os

import pytest

from alkseq.knowledge import load_knowledge, validate_knowledge
from alkseq.knowledge.civic import cis_groups, read_civic
from alkseq.knowledge.civic_import import cited_eids, plan_import
from conftest import SHARED, run_cli

SNAPSHOT = SHARED / "kb-sources" / "civic_alk_evidence.json"

COLUMNS = ["molecular_profile", "molecular_profile_id", "disease", "doid", "phenotypes",
           "therapies", "therapy_interaction_type", "evidence_type", "evidence_direction",
           "evidence_level", "significance", "evidence_statement", "citation_id", "source_type",
           "asco_abstract_id", "citation", "nct_ids", "rating", "evidence_status", "evidence_id",
           "variant_origin", "last_review_date", "evidence_civic_url",
           "molecular_profile_civic_url", "is_flagged"]
NSCLC = "Lung Non-small Cell Carcinoma"


def _item(eid, profile, therapies, significance, level="D", statement="", disease=NSCLC,
          pmid="25727400", interaction="", direction="Supports", status="accepted"):
    return {"molecular_profile": profile, "disease": disease, "therapies": therapies,
            "therapy_interaction_type": interaction, "evidence_type": "Predictive",
            "evidence_direction": direction, "evidence_level": level, "significance": significance,
            "evidence_statement": statement or f"synthetic test statement {eid}",
            "citation_id": pmid, "source_type": "PubMed",
            "citation": f"Synthetic et al., 2025, Test J." if pmid.startswith("9999") else "",
            "rating": "3", "evidence_status": status, "evidence_id": str(eid),
            "variant_origin": "Somatic", "is_flagged": "false"}


ITEMS = [
    _item(90001, "EML4::ALK Fusion AND ALK G1202R", "Ensartinib", "Resistance"),
    _item(90002, "EML4::ALK Fusion AND ALK L1196M AND ALK G1202R", "Brigatinib", "Resistance",
          level="C", pmid="99999901",
          statement="At progression, G1202R was found in cis with L1196M (same reads)."),
    _item(90003, "EML4::ALK Fusion AND ALK I1171N AND ALK D1203N", "Lorlatinib", "Resistance",
          level="C", pmid="99999902", statement="I1171N and D1203N were both detected."),
    _item(90004, "ALK G1269A AND v::ALK Fusion", "Alectinib", "Sensitivity/Response", level="B",
          pmid="99999903"),
    _item(90005, "EML4::ALK Fusion AND ALK V1180L", "Crizotinib, Alectinib", "Resistance",
          level="C", pmid="99999904", interaction="Sequential"),
    _item(90006, "EML4::ALK Fusion AND ALK F1174V", "Crizotinib, Ceritinib", "Resistance",
          pmid="99999905", interaction="Substitutes"),
    _item(1354, "ALK G1269A AND v::ALK Fusion", "Alectinib", "Sensitivity/Response",
          disease="Cancer", statement="EML4-ALK with G1269A in Ba/F3 cells (synthetic)"),
    _item(90007, "ALK F1174L", "Crizotinib", "Resistance", disease="Neuroblastoma"),
    _item(1355, "ALK G1269A AND v::ALK Fusion", "Ceritinib", "Sensitivity/Response",
          disease="Cancer", status="rejected", statement="EML4-ALK (synthetic)"),
    _item(90008, "EML4::ALK Fusion AND ALK L1198F", "Lorlatinib", "Sensitivity/Response",
          direction="Does Not Support", pmid="99999906"),
]


def _write_tsv(path, items):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n",
                                extrasaction="ignore", restval="")
        writer.writeheader()
        writer.writerows(items)
    return path


def _diff(out):
    with open(out / "civic-diff.tsv") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_tsv_export_maps_onto_a_validated_overlay_and_a_diff(tmp_path):
    export = _write_tsv(tmp_path / "01-Dec-2026-ClinicalEvidenceSummaries.tsv", ITEMS)
    out = tmp_path / "civic-overlay"
    result = run_cli("kb", "import", "civic", export, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "10 evidence items" in result.stdout
    kb, problems = validate_knowledge(None, str(out))
    assert problems == [], "\n".join(map(str, problems))
    rows = {(r.mutation, r.drug): r for cell in kb.sensitivity.values() for r in cell
            if r.path.startswith(str(out))}
    # a single mutation; the cis pair the statement names is a compound
    assert rows[("G1202R", "ensartinib")].drug_class == "resistant"
    assert rows[("G1202R", "ensartinib")].evidence == "preclinical"
    compound = rows[("L1196M+G1202R", "brigatinib")]
    assert compound.evidence == "case_report" and compound.citation.locator == "CIViC EID 90002"
    assert compound.citation.directness == "curated_summary"
    # substitutes: one row per drug; the contradicting row says 'conflict:'
    assert rows[("F1174V", "crizotinib")].drug_class == rows[("F1174V", "ceritinib")].drug_class
    assert rows[("G1269A", "alectinib")].note.startswith("conflict: shipped rows say resistant")
    assert rows[("G1269A", "alectinib")].evidence == "clinical"
    # never keyed: co-occurring without cis, sequential therapies, 'does not support', other disease
    assert ("I1171N+D1203N", "lorlatinib") not in rows and ("I1171N", "lorlatinib") not in rows
    assert ("V1180L", "crizotinib") not in rows and ("L1198F", "lorlatinib") not in rows
    assert ("F1174L", "crizotinib") not in rows
    assert all(r.ic50_nm is None for r in rows.values())  # numbers are never parsed from text
    # the new papers are in the overlay's bibliography; known ones are not repeated
    with open(out / "sources" / "civic.tsv") as handle:
        sources = {r["source"]: r for r in csv.DictReader(
            (l for l in handle if not l.startswith("#")), delimiter="\t")}
    assert "PMID:99999901" in sources and "PMID:25727400" not in sources
    assert sources["PMID:99999901"]["year"] == "2025"

    kinds = {}
    for entry in _diff(out):
        kinds.setdefault(entry["kind"], []).append(entry)
    assert {(e["mutation"], e["drug"]) for e in kinds["new"]} == {
        ("G1202R", "ensartinib"), ("L1196M+G1202R", "brigatinib"), ("F1174V", "crizotinib"),
        ("F1174V", "ceritinib")}
    assert [(e["mutation"], e["civic_class"], e["shipped_class"]) for e in kinds["contradicting"]] \
        == [("G1269A", "sensitive", "resistant")]
    changed = kinds["changed"]
    assert [(e["evidence_id"], e["shipped_class"], e["civic_class"]) for e in changed] == \
        [("1354", "resistant", "sensitive")]
    assert {e["evidence_id"] for e in kinds["retired"]} == {"1355"}
    not_keyed = {e["evidence_id"]: e["reason"] for e in kinds["not_keyed"]}
    assert "in cis" in not_keyed["90003"] and "sequential" in not_keyed["90005"]
    assert "does not support" in not_keyed["90008"]
    assert "90007" not in not_keyed  # neuroblastoma: out of scope, counted in the summary
    summary = (out / "civic-import.txt").read_text()
    assert "is not lung cancer (1)" in summary and "changed 1" in summary

    # usable with --knowledge: the imported compound answers a lookup
    result = run_cli("lookup", "L1196M+G1202R", "--knowledge", out, "--format", "json")
    assert result.returncode == 0, result.stderr
    brigatinib = next(m for m in json.loads(result.stdout)["samples"][0]["matrix"] if m["drug"] == "brigatinib")
    assert any(s["source"] == "PMID:99999901" for s in brigatinib["sources"])


def test_cis_is_read_only_where_the_statement_says_it():
    assert cis_groups("G1202R (AF=3.07%) in cis with L1196M, suggesting the combination of "
                      "concurrent I1171N, L1196M, and G1202R", ["I1171N", "L1196M", "G1202R"]) \
        == [{"G1202R", "L1196M"}]
    assert cis_groups("L1196M and G1202R in cis on one allele", ["L1196M", "G1202R"]) == \
        [{"L1196M", "G1202R"}]
    assert cis_groups("an EML4-ALK C1156Y–L1198F double mutation", ["C1156Y", "L1198F"]) == []
    assert cis_groups("I1171N and D1203N were in trans", ["I1171N", "D1203N"]) == []
    assert cis_groups("I1171N and D1203N were not in cis", ["I1171N", "D1203N"]) == []


def test_refusals_leave_nothing_behind(tmp_path):
    export = _write_tsv(tmp_path / "e.tsv", ITEMS[:1])
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    result = run_cli("kb", "import", "civic", export, "-o", occupied)
    assert result.returncode == 6 and "not an empty directory" in result.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("molecular_profile\tdisease\nALK G1202R\tNSCLC\n")
    result = run_cli("kb", "import", "civic", bad, "-o", tmp_path / "o1")
    assert result.returncode == 3 and "bad.tsv:1" in result.stderr and "missing column" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    (tmp_path / "bad.json").write_text('[{"id": 1,')
    result = run_cli("kb", "import", "civic", tmp_path / "bad.json", "-o", tmp_path / "o2")
    assert result.returncode == 3 and "not valid JSON" in result.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "bad.tsv", "e.tsv", "occupied"]


def test_json_list_form_reads_like_the_tsv(tmp_path):
    items = [{"id": 90001, "status": "ACCEPTED", "significance": "RESISTANCE",
              "evidenceType": "PREDICTIVE", "evidenceLevel": "D", "evidenceRating": 3,
              "evidenceDirection": "SUPPORTS", "description": "synthetic",
              "molecularProfile": {"name": "EML4::ALK Fusion AND ALK G1202R"},
              "therapies": [{"name": "Ensartinib"}],
              "disease": {"name": NSCLC},
              "source": {"citationId": "25727400", "sourceType": "PUBMED",
                         "publicationYear": 2015, "title": "t"}}]
    path = tmp_path / "civic.json"
    path.write_text(json.dumps(items))
    tsv = read_civic(_write_tsv(tmp_path / "civic.tsv", ITEMS[:1]))[0]
    js = read_civic(path)[0]
    for name in ("evidence_id", "profile", "disease", "therapies", "evidence_type", "direction",
                 "level", "significance", "citation_id", "source_type", "status"):
        assert getattr(js, name) == getattr(tsv, name), name


def _snapshot():
    if not SNAPSHOT.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SNAPSHOT} is missing: CI must have ../shared")
        pytest.skip("../shared/kb-sources not here (developer clone)")
    return read_civic(SNAPSHOT)


def test_shared_snapshot_imports_and_flags_what_the_audit_found(tmp_path):
    items = _snapshot()
    assert len(items) == 146
    out = tmp_path / "overlay"
    result = run_cli("kb", "import", "civic", SNAPSHOT, "-o", out)
    assert result.returncode == 0, result.stderr
    assert validate_knowledge(None, str(out))[1] == []
    diff = _diff(out)
    unsupported = {(e["evidence_id"], e["mutation"], e["drug"]): e["reason"]
                   for e in diff if e["kind"] == "unsupported"}
    # EID 1483: crizotinib (PR) then alectinib; CIViC names both drugs, no interaction
    assert "2 therapies" in unsupported[("1483", "I1171N", "alectinib")]
    # the mesothelioma case is not lung cancer
    assert "not lung cancer" in unsupported[("11114", "L1196M+G1202R", "lorlatinib")]
    # C1156Y-L1198F: the statement does not say cis
    assert "in cis" in unsupported[("843", "C1156Y+L1198F", "lorlatinib")]


def test_the_audit_defect_i1171n_crizotinib_from_eid_1483_is_caught(tmp_path):
    """Re-introduce the audit's mismatch (I1171N x crizotinib resistant citing CIViC EID 1483):
    validation cannot read the source, but the CIViC diff shows the item does not give it."""
    items = _snapshot()
    overlay = tmp_path / "defect"
    overlay.mkdir()
    (overlay / "sensitivity.tsv").write_text(
        "mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\tlocator\t"
        "directness\tnote\nI1171N\tcrizotinib\tresistant\t\t\t\tpatient (audit defect)\tcase_report\t"
        "PMID:25393796\tCIViC EID 1483\tcurated_summary\tHIP1-ALK; PR on crizotinib\n")
    kb = load_knowledge(overlay=str(overlay))
    result = plan_import(items, kb)
    hits = [e for e in result.diff if e["kind"] == "unsupported" and e["evidence_id"] == "1483"
            and (e["mutation"], e["drug"]) == ("I1171N", "crizotinib")]
    assert hits and "the class of any one drug is not stated" in hits[0]["reason"]


def test_cited_eids():
    assert cited_eids("CIViC EID 1354") == [1354]
    assert cited_eids("CIViC EIDs 32/33") == [32, 33]
    assert cited_eids("Table 2") == []
