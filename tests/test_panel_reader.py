"""Panel-table reader: header synonyms, units, words, fusions, empty tables, bad rows."""
import pytest

from alkseq.errors import InputError, ParseError
from alkseq.readers import ReadOptions, detect_format, read_input


def _read(tmp_path, text, name="panel.tsv", **options):
    path = tmp_path / name
    path.write_text(text)
    return read_input(path, ReadOptions(**options))


def test_tsv_with_synonyms_and_percent_vaf(tmp_path):
    samples = _read(tmp_path, "Hugo_Symbol\tProtein_Change\tVAF (%)\tCoverage\n"
                              "ALK\tp.Gly1202Arg\t26.9\t550\n")
    assert detect_format(tmp_path / "panel.tsv") == "panel"
    (alt,) = samples[0].alterations
    assert (alt.gene, alt.protein_change.short, alt.vaf, alt.depth) == ("ALK", "G1202R", 0.269, 550)
    assert alt.origin.line == 2


def test_csv_multi_sample_words_and_fusions(tmp_path):
    samples = _read(tmp_path, "sample,gene,alteration,copy_number\n"
                              "A,MET,amplification,14\n"
                              "A,ALK,EML4-ALK v3,\n"
                              "B,NF2,loss,\n"
                              "B,ALK,EML4::ALK e13::e20,\n"
                              "B,,small-cell transformation,\n", name="panel.csv")
    by_sample = {s.sample: s.alterations for s in samples}
    met, fusion = by_sample["A"]
    assert (met.kind, met.copy_number) == ("amplification", 14)
    assert (fusion.gene, fusion.partner, fusion.fusion_variant) == ("ALK", "EML4", "v3")
    nf2, fusion_b, sclc = by_sample["B"]
    assert nf2.kind == "loss"
    assert fusion_b.breakpoint == "EML4 e13::ALK e20" and fusion_b.fusion_variant == "v1"
    assert (sclc.kind, sclc.label) == ("transformation", "small-cell")



def test_a_gene_column_naming_the_fusion(tmp_path):
    """'EML4-ALK' in the gene column (as many panel exports write it) is an ALK fusion with EML4,
    whatever the alteration column says of it; a hyphenated symbol (NKX2-1) stays a gene."""
    (sample,) = _read(tmp_path, "gene\talteration\n"
                                "EML4-ALK\tfusion\n"
                                "EML4::ALK\tE13;A20\n"
                                "KIF5B-ALK\tv1\n"
                                "EML4-ALK\tG1202R\n"
                                "NKX2-1\tamplification\n")
    fusion, exons, kif5b, mutation, nkx = sample.alterations
    assert (fusion.gene, fusion.kind, fusion.partner) == ("ALK", "fusion", "EML4")
    assert (exons.gene, exons.partner, exons.fusion_variant) == ("ALK", "EML4", "v1")
    assert (kif5b.gene, kif5b.partner, kif5b.fusion_variant) == ("ALK", "KIF5B", "v1")
    assert (mutation.gene, mutation.kind, mutation.protein_change.short) == ("ALK", "mutation", "G1202R")
    assert (nkx.gene, nkx.kind) == ("NKX2-1", "amplification")


def test_clinical_report_spellings(tmp_path):
    """A coding and a protein change in one cell (either order) read as the protein change; a copy
    number written after the word fills copy_number (and the gain threshold applies to it)."""
    (sample,) = _read(tmp_path, "gene\talteration\n"
                                "ALK\tc.3604G>A (p.G1202R)\n"
                                "ALK\tp.Leu1196Met (c.3586C>A)\n"
                                "MET\tAmplification (CN=12)\n"
                                "ERBB2\tamplified, 3 copies\n")
    g1202r, l1196m, met, erbb2 = sample.alterations
    assert (g1202r.protein_change.short, g1202r.label) == ("G1202R", "c.3604G>A (p.G1202R)")
    assert l1196m.protein_change.short == "L1196M"
    assert (met.kind, met.copy_number) == ("amplification", 12)
    assert (erbb2.kind, erbb2.copy_number) == ("gain", 3)

def test_amplification_below_threshold_is_a_gain(tmp_path):
    (sample,) = _read(tmp_path, "gene\talteration\tcopy_number\nMET\tamplification\t4\n")
    assert sample.alterations[0].kind == "gain"
    (sample,) = _read(tmp_path, "gene\talteration\tcopy_number\nMET\tamplification\t4\n",
                      amp_threshold=3)
    assert sample.alterations[0].kind == "amplification"


def test_header_only_table_is_a_valid_empty_result(tmp_path):
    (sample,) = _read(tmp_path, "gene\talteration\n", name="PT9.tsv")
    assert sample.sample == "PT9" and sample.alterations == ()


def test_crlf_bom_and_comments(tmp_path):
    path = tmp_path / "win.csv"
    path.write_bytes("\ufeff# exported\r\ngene,alteration\r\nKRAS,G12C\r\n".encode("utf-8"))
    (sample,) = read_input(path)
    assert sample.alterations[0].protein_change.short == "G12C"


@pytest.mark.parametrize("body,line,message", [
    ("ALK\tG1202\n", 2, "not a protein change"),
    ("ALK\tQ61X\n", 2, "ambiguous"),
    ("ALK\tG1202R\nMET\tamplification\textra\n", 3, "cells but the header"),
    ("ALK\tKRAS:G12C\n", 2, "names gene KRAS"),
])
def test_bad_rows_name_file_and_line(tmp_path, body, line, message):
    path = tmp_path / "bad.tsv"
    path.write_text("gene\talteration\n" + body)
    with pytest.raises(ParseError if "cells" not in message else InputError) as info:
        read_input(path)
    assert info.value.line == line and str(path) in info.value.one_line()
    assert message in info.value.one_line()


def test_bad_vaf(tmp_path):
    with pytest.raises(ParseError, match="vaf"):
        _read(tmp_path, "gene\talteration\tvaf\nALK\tG1202R\tabc\n")
    with pytest.raises(ParseError, match="outside"):
        _read(tmp_path, "gene\talteration\tvaf\nALK\tG1202R\t250\n")


def test_missing_required_column(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("gene\tfoo\nALK\tG1202R\n")
    with pytest.raises(InputError, match="cannot tell the input format"):
        read_input(path)
    with pytest.raises(InputError, match="no 'alteration' column"):
        read_input(path, ReadOptions(input_format="panel"))


def test_empty_and_binary_files(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_input(empty)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError):
        read_input(junk)
