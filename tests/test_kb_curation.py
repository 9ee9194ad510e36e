"""The shipped sensitivity matrix holds up to the 2026-12 audit (../shared/kb-sources/audit_2026-12.md).

Each test is named after the audit finding it would have caught; they read the real tables.
"""
import re

import pytest

from conftest import ROOT
from alkseq.knowledge.coverage import matrix_coverage
from alkseq.knowledge.loader import load_knowledge

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
