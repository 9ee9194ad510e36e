"""The shipped sensitivity matrix holds up to the 2026-12 audit (../shared/kb-sources/audit_2026-12.md).

Each test is named after the audit finding it would have caught; they read the real tables.
"""
import re

import pytest

from conftest import ROOT
from alkseq.knowledge.coverage import matrix_coverage
from alkseq.knowledge import load_knowledge

TABLE = ROOT / "reference" / "sensitivity.tsv"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _rows(kb):
    return [r for cell in kb.sensitivity.values() for r in cell]


def test_audit_i1171ns_crizotinib_case_reports_claim_no_resistance(kb):
    """CIViC EIDs 1483/1484: the patients responded to crizotinib; the mutation appeared on alectinib."""
    for mutation in ("I1171N", "I1171S"):
        for row in kb.sensitivity_rows(mutation, "crizotinib"):
            if row.citation.source == "PMID:25393796":
                assert row.drug_class == "unknown", row


def test_audit_pmid32600123_keys_only_the_cis_pair(kb):
    """The mesothelioma case shows cis only for L1196M+G1202R; I1171N's phase is not stated."""
    keys = {r.mutation for r in _rows(kb) if r.citation.source == "PMID:32600123"}
    assert keys == {"I1171N", "L1196M", "L1196M+G1202R"}
    assert all("mesothelioma" in r.note for r in _rows(kb) if r.citation.source == "PMID:32600123")


def test_audit_conflicting_cells_say_so_on_every_row(kb):
    """A cell whose sources disagree keeps every row, and each row's note names the conflict."""
    conflicted = 0
    for (mutation, drug), rows in kb.sensitivity.items():
        classed = [r for r in rows if r.drug_class != "unknown"]
        if len({r.drug_class for r in classed}) > 1:
            conflicted += 1
            for row in classed:
                assert row.note.startswith("conflict:"), (mutation, drug, row.line)
    assert conflicted >= 3     # E1210K x brigatinib, G1269A x alectinib, F1174L x crizotinib ...


def test_audit_g1269a_alectinib_keeps_both_sides(kb):
    classes = {r.drug_class for r in kb.sensitivity_rows("G1269A", "alectinib")}
    assert {"resistant", "sensitive"} <= classes


def test_audit_no_stale_counts_in_table_headers(kb):
    """The audit found a header saying 238 rows / 131 cells when there were 243 / 136: headers
    now hold no counts (the validator refuses them) and ``kb coverage`` computes them."""
    for line in TABLE.read_text().splitlines():
        if line.startswith("#"):
            assert not re.search(r"\brows\s*=\s*\d|\bcells\s*=\s*\d", line), line
    cov = matrix_coverage(kb)
    assert cov["rows"] == sum(len(rows) for rows in kb.sensitivity.values())


def test_goal_cells_with_primary_or_clinical_source(kb):
    cov = matrix_coverage(kb)
    assert cov["cells_with_primary_or_clinical"] >= 45, cov["cells_with_primary_or_clinical"]


def test_audit_table_comments_name_sources_not_machines():
    for path in (ROOT / "reference").glob("*.tsv"):
        for line in path.read_text().splitlines():
            if line.startswith("#"):
                assert not re.search(r"/work/|/farm/|/tmp/|search tool", line), (path.name, line)


def test_lorlatinib_g1202r_rests_on_more_than_a_review(kb):
    rows = kb.sensitivity_rows("G1202R", "lorlatinib")
    assert any(r.evidence != "review" and r.citation.directness in ("primary", "primary_abstract")
               and r.drug_class == "sensitive" for r in rows)


def test_ic50_values_are_cellular_numbers_with_a_locator(kb):
    for row in _rows(kb):
        if row.ic50_nm is not None:
            assert row.citation.locator and row.assay, row


def test_eu_brand_lorviqua_is_lorlatinib(kb):
    assert kb.resolve_drug("Lorviqua") == "lorlatinib"
    assert kb.resolve_drug("LORVIQUA") == "lorlatinib"


def test_prior_lorviqua_on_the_command_line():
    from conftest import run_cli
    result = run_cli("lookup", "G1202R", "--prior", "Lorviqua")
    assert result.returncode == 0, result.stderr
    assert "prior lorlatinib" in result.stdout


def test_emt_mechanism_can_match_a_reported_emt(kb):
    emt = next(m for m in kb.mechanisms if m.mechanism == "emt")
    assert emt.protein_match and re.search(emt.protein_match, "EMT", re.I)


# --------------------------------------------------------------------------- 2026.12.1 gaps

def test_map2k1_k57n_after_lorlatinib_is_bypass_with_its_citation(tmp_path):
    """Crystal 2014 (an ALK-positive resistant tumour with a MAP2K1 activating mutation) makes
    MAP2K1 K57N a bypass finding; the class option it triggers cites the same paper."""
    import json

    from conftest import run_cli
    panel = tmp_path / "map2k1_panel.csv"
    panel.write_text("Sample ID,Gene,Alteration,Copy number,VAF (%)\n"
                     "PT1,ALK,EML4-ALK fusion (variant 1),,\n"
                     "PT1,MAP2K1,p.K57N,,12.0\n")
    result = run_cli("annotate", panel, "--prior", "alectinib", "--prior", "lorlatinib",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    sample = json.loads(result.stdout)["samples"][0]
    text = json.dumps(sample)
    assert '"mechanism": "map2k1_mutation"' in text and '"role": "bypass"' in text
    mek = [c for c in sample["candidates"] if c["therapy"].startswith("MEK inhibitor")]
    assert mek, [c["therapy"] for c in sample["candidates"]]
    assert "DOI:10.1126/science.1254721" in {s["source"] for s in mek[0]["sources"]}
    shown = run_cli("annotate", panel, "--prior", "alectinib", "--prior", "lorlatinib")
    assert "MAP2K1 K57N · bypass · MAP2K1 (MEK1) activating mutation" in shown.stdout
    assert "Mechanism class: bypass" in shown.stdout


def test_map2k1_row_matches_only_the_sourced_activating_alleles(kb):
    row = next(m for m in kb.mechanisms if m.mechanism == "map2k1_mutation")
    assert {c.source for c in row.citations} == {"DOI:10.1126/science.1254721", "PMID:18632602"}
    assert re.search(row.protein_match, "K57N") and re.search(row.protein_match, "Q56P")
    assert not re.search(row.protein_match, "K57E")      # not named by a source read


def test_mek_inhibitor_class_applies_to_every_mapk_mechanism(kb):
    mek = kb.therapy_classes["mek_inhibitor"]
    assert {"mechanism:kras_amplification", "mechanism:mek_reactivation",
            "mechanism:map2k1_mutation"} <= set(mek.applies_when)
    assert "DOI:10.1126/science.1254721" in {c.source for c in mek.citations}
    assert mek.agents_named == ()          # "none named": no source names the MEK inhibitor


def test_gilteritinib_code_name_resolves(kb):
    assert kb.resolve_drug("ASP2215") == "gilteritinib"
    assert kb.resolve_drug("NVL-655") == "neladalkib"
    assert kb.resolve_drug("TPX-0131") == "tpx-0131"


def test_audit_c1156y_l1198f_notes_do_not_claim_the_word_cis(kb):
    """Audit 2026-12: CIViC EIDs 843/844 say 'double mutation', not 'cis'."""
    rows = [r for r in kb.sensitivity_rows("C1156Y+L1198F", "lorlatinib")
            + kb.sensitivity_rows("C1156Y+L1198F", "crizotinib")
            if r.citation.source == "PMID:26698910"]
    assert len(rows) == 4
    for row in rows:
        assert "in cis" not in row.note and "double mutation" in row.note


def test_audit_wt_rows_follow_one_rule(kb):
    """Audit 2026-12 (minor): WT rows were 'sensitive' in some items and 'unknown' in others. The rule
    (sensitivity.tsv header): 'sensitive' only where the source states the wild-type's sensitivity."""
    stated = {("ceritinib", "CIViC EID 1343"), ("ceritinib", "CIViC EID 1340"),
              ("brigatinib", "CIViC EID 1291")}
    for (mutation, drug), rows in kb.sensitivity.items():
        if mutation != "WT":
            continue
        for row in rows:
            assert row.drug_class in ("sensitive", "unknown"), row
            assert (row.drug_class == "sensitive") == ((drug, row.citation.locator) in stated), row
