"""EML4-ALK variant naming and fusion-description parsing (alkseq.genome.fusion)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from alkseq.errors import AlkseqError, KnowledgeError, ParseError
from alkseq.genome import fusion
from alkseq.genome.fusion import (eml4_alk_variant, eml4_alk_variant_row, load_variant_table,
                                  parse_fusion_description)


@pytest.mark.parametrize("eml4, alk, label", [
    (13, 20, "v1"), (20, 20, "v2"), (6, 20, "v3a/b"), ("6a", 20, "v3a"), ("6b", 20, "v3b"),
    ("E13", "A20", "v1"), (2, 20, "v5a"), (14, 20, "v4"),
])
def test_known_exon_pairs_have_their_label(eml4, alk, label):
    assert eml4_alk_variant(eml4, alk) == label


@pytest.mark.parametrize("eml4, alk", [(99, 20), (13, 19), ("x", 20), (0, 20)])
def test_unknown_exon_pairs_get_no_label(eml4, alk):
    assert eml4_alk_variant(eml4, alk) is None


def test_every_row_cites_a_source():
    table = load_variant_table()
    assert len(table) >= 5
    for row in table.values():
        assert row["source"].startswith(("PMID:", "DOI:"))
        assert row["locator"] and row["directness"]
    assert eml4_alk_variant_row(13, 20)["source"] == "PMID:22912387"


def test_table_is_loaded_once():
    load_variant_table.cache_clear()
    eml4_alk_variant(13, 20)
    eml4_alk_variant(20, 20)
    assert load_variant_table.cache_info().misses == 1


def test_broken_table_is_a_knowledge_error(tmp_path):
    bad = tmp_path / "t.tsv"
    bad.write_text("eml4_exon\talk_exon\tvariant\tsource\tlocator\tdirectness\tnote\n"
                   "13\t20\tv1\tPMID:1\tAbstract\tprimary\t\n13\t20\tv9\tPMID:1\tAbstract\tprimary\t\n")
    with pytest.raises(KnowledgeError, match=r"t.tsv:3: duplicate exon pair"):
        load_variant_table(str(bad))
    missing = tmp_path / "none.tsv"
    with pytest.raises(KnowledgeError):
        load_variant_table(str(missing))
    wrong_header = tmp_path / "h.tsv"
    wrong_header.write_text("a\tb\n1\t2\n")
    with pytest.raises(KnowledgeError, match="header"):
        load_variant_table(str(wrong_header))


def test_reference_dir_finds_the_repo_table():
    assert (fusion._reference_dir() / fusion.VARIANT_TABLE).is_file()


@pytest.mark.parametrize("text, partner, exons, variant", [
    ("EML4(NM_019063)-ALK(NM_004304) fusion (E13;A20)", "EML4", ("13", "20"), "v1"),
    ("EML4-ALK v3", "EML4", ("6", "20"), "v3a/b"),
    ("EML4-ALK.E6aA20", "EML4", ("6a", "20"), "v3a"),
    ("EML4-ALK.E6bA20.AB374362", "EML4", ("6b", "20"), "v3b"),
    ("EML4::ALK e13::e20", "EML4", ("13", "20"), "v1"),
    ("EML4-ALK variant 1", "EML4", ("13", "20"), "v1"),
    ("EML4-ALK variant 2", "EML4", ("20", "20"), "v2"),
    ("EML4-ALK fusion (E20;A20)", "EML4", ("20", "20"), "v2"),
    ("EML4 exon 13 - ALK exon 20", "EML4", ("13", "20"), "v1"),
    ("EML4-ALK v5", "EML4", ("2", "20"), "v5a"),
    ("KIF5B-ALK", "KIF5B", (None, None), None),
    ("EML4-ALK", "EML4", (None, None), None),
])
def test_descriptions(text, partner, exons, variant):
    parsed = parse_fusion_description(text)
    assert parsed["gene"] == "ALK"
    assert parsed["partner"] == partner
    assert (parsed["five_prime_exon"], parsed["three_prime_exon"]) == exons
    assert parsed["variant"] == variant


def test_transcripts_and_breakpoint():
    parsed = parse_fusion_description("EML4(NM_019063)-ALK(NM_004304) fusion (E13;A20)")
    assert parsed["transcripts"] == {"EML4": "NM_019063", "ALK": "NM_004304"}
    assert parsed["breakpoint"] == "EML4 e13::ALK e20"
    assert parsed["five_prime"] == "EML4" and parsed["three_prime"] == "ALK"


def test_stated_label_that_contradicts_the_exons_is_noted_and_exons_win():
    parsed = parse_fusion_description("EML4-ALK v1 (E6;A20)")
    assert parsed["variant"] == "v3a/b"
    assert parsed["variant_stated"] == "v1"
    assert parsed["notes"] and "stated v1" in parsed["notes"][0]


def test_unknown_pair_keeps_stated_label_with_note():
    parsed = parse_fusion_description("EML4-ALK v9 (E99;A20)")
    assert parsed["variant"] == "v9"
    assert "not in the EML4-ALK variant table" in parsed["notes"][0]


def test_alk_as_five_prime_gene():
    parsed = parse_fusion_description("ALK-PTPN3")
    assert parsed["gene"] == "ALK" and parsed["partner"] == "PTPN3"
    assert parsed["five_prime"] == "ALK" and parsed["variant"] is None


@pytest.mark.parametrize("text", ["", "   ", "ALK rearrangement", "fusion", None, "ALK-ALK"])
def test_no_two_genes_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_fusion_description(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_dict_or_a_parse_error(text):
    try:
        parsed = parse_fusion_description(text)
    except AlkseqError:
        return
    assert set(parsed) >= {"gene", "partner", "variant", "breakpoint"}


def test_fusion_kinases_are_listed_once():
    """One list of fusion kinases (genome/fusion.py) for the VCF structural records and the panel reader."""
    from pathlib import Path

    from alkseq.genome.fusion import FUSION_KINASES

    package = Path(__file__).resolve().parents[1] / "alkseq"
    listing = [p.relative_to(package).as_posix() for p in package.rglob("*.py") if '"NTRK1"' in p.read_text()]
    assert listing == ["genome/fusion.py"]
    assert FUSION_KINASES[0] == "ALK"


def test_fusion_at_places_breakpoints_on_the_shipped_transcripts():
    """A breakend pair's two ends → the fusion (genome layer, plain values): EML4 intron 13 × ALK intron 19
    (GRCh38) is EML4 e13::ALK e20, variant 1; no kinase among the genes → None."""
    from alkseq.genome.fusion import fusion_at
    from alkseq.genome.transcript import load_transcript

    eml4, alk = load_transcript("EML4", "GRCh38"), load_transcript("ALK", "GRCh38")
    eml4_exon13 = next(e for e in eml4.exons if e.number == 13)
    alk_exon20 = next(e for e in alk.exons if e.number == 20)
    fusion = fusion_at("GRCh38", "ALK", alk_exon20.end + 100, "EML4", eml4_exon13.end + 100)
    assert (fusion.gene, fusion.partner, fusion.breakpoint, fusion.variant) == ("ALK", "EML4",
                                                                                "EML4 e13::ALK e20", "v1")
    assert fusion.notes == ("ALK breakpoint in intron 19: exon 20 joined",
                            "EML4 breakpoint in intron 13: exon 13 joined")
    assert fusion_at("GRCh38", "EML4", 1, "TP53", 2) is None
