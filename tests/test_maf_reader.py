"""MAF and cBioPortal SV/CNA reader on real files: fixtures in tests/data and shared examples."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import SHARED as SHARED_ROOT, shared_path
from alkseq.errors import AlkseqError, InputError, ParseError, SampleNotFoundError
from alkseq.readers import ReadOptions, _head, maf

DATA = Path(__file__).parent / "data"
SHARED = SHARED_ROOT / "vendor" / "cats_ccat" / "samples" / "cBioPortal2cats" / "input"


def read(path, **options):
    return maf.read(path, ReadOptions(**options))


def by_name(sample):
    return {a.name: a for a in sample.alterations}


# --------------------------------------------------------------------------- sniffing

@pytest.mark.parametrize("name", ["maf_two_samples.maf", "maf_bad_row.maf", "maf_sv_fusions.txt",
                                  "maf_cna_discrete_wide.txt"])
def test_sniff_accepts_fixtures(name):
    path = DATA / name
    assert maf.sniff(_head(path), path)


@pytest.mark.parametrize("text", [
    b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n",
    b"gene\tprotein_change\nALK\tG1202R\n",
    b"<?xml version='1.0'?><variant-report/>",
    b"",
    b"Hugo_Symbol\tEntrez_Gene_Id\tS1\nALK\t238\tmutated\n",   # not discrete values
])
def test_sniff_rejects_other_content(text):
    assert not maf.sniff(text, None)


# --------------------------------------------------------------------------- mutations

def test_two_samples_one_sampledata_each():
    samples = read(DATA / "maf_two_samples.maf")
    assert [s.sample for s in samples] == ["TUMOR-A", "TUMOR-B"]
    assert all(s.input_format == "maf" and s.build == "GRCh38" for s in samples)


def test_protein_change_vaf_depth_and_genomic_record():
    tumour_a = by_name(read(DATA / "maf_two_samples.maf")[0])
    g1202r = tumour_a["ALK G1202R"]
    assert g1202r.kind == "mutation"
    assert g1202r.protein_change.hgvs == "p.Gly1202Arg"
    assert g1202r.vaf == pytest.approx(50 / 400) and g1202r.depth == 400
    assert g1202r.genomic.chrom == "2" and g1202r.genomic.pos == 29220747
    assert (g1202r.genomic.ref, g1202r.genomic.alt, g1202r.genomic.build) == ("C", "T", "GRCh38")
    assert g1202r.genomic.hgvs_c == "c.3604G>A"
    assert g1202r.origin.line == 4 and g1202r.origin.reader == "maf"


def test_silent_skipped_splice_kept_filtered_skipped():
    tumour_a = read(DATA / "maf_two_samples.maf")[0]
    names = [a.name for a in tumour_a.alterations]
    assert not any(name.startswith("TP53") for name in names)          # Silent row
    assert "ALK splice site c.3000+1T>C" in names                        # Splice_Site kept
    assert not any(name.startswith("KRAS") for name in names)           # FILTER=germline_risk


def test_include_filtered_keeps_filtered_row():
    tumour_a = read(DATA / "maf_two_samples.maf", include_filtered=True)[0]
    assert "KRAS G12C" in by_name(tumour_a)


def test_unparseable_protein_change_is_a_row_warning_not_a_drop():
    tumour_a = read(DATA / "maf_two_samples.maf")[0]
    assert any("maf_two_samples.maf:7" in w and "p.Q1234X" in w for w in tumour_a.warnings)
    kept = [a for a in tumour_a.alterations if a.origin.line == 7]
    assert len(kept) == 1 and kept[0].protein_change is None and kept[0].label == "p.Q1234X"


def test_hgvsp_fallback_and_depth_from_counts():
    tumour_b = by_name(read(DATA / "maf_two_samples.maf")[1])
    assert tumour_b["ALK L1196M"].protein_change.short == "L1196M"      # HGVSp column
    assert tumour_b["ALK L1196M"].vaf == pytest.approx(0.1)
    nf2 = tumour_b["NF2 S100fs"]
    assert nf2.protein_change.is_truncating
    assert nf2.genomic.ref == "-" and nf2.genomic.alt == "T"             # MAF insertion as written


def test_sample_option_selects_one_and_unknown_sample_is_an_input_error():
    samples = read(DATA / "maf_two_samples.maf", sample="TUMOR-B")
    assert [s.sample for s in samples] == ["TUMOR-B"]
    with pytest.raises(SampleNotFoundError, match="TUMOR-A") as caught:
        read(DATA / "maf_two_samples.maf", sample="NOPE")
    assert caught.value.exit_code == 3


def test_bad_row_names_file_and_line():
    with pytest.raises(ParseError) as caught:
        read(DATA / "maf_bad_row.maf")
    assert "maf_bad_row.maf:3" in str(caught.value)
    assert caught.value.exit_code == 3


def test_build_option_overrides_with_warning(tmp_path):
    # rows labelled GRCh37 whose REF alleles are GRCh38's: --build GRCh38 overrides the column
    mislabelled = tmp_path / "mislabelled.maf"
    mislabelled.write_text((DATA / "maf_two_samples.maf").read_text().replace("\tGRCh38\t", "\tGRCh37\t"))
    sample = read(mislabelled, build="GRCh38")[0]
    assert sample.build == "GRCh38"
    assert any("overrides NCBI_Build GRCh37" in w for w in sample.warnings)


def test_build_option_the_ref_alleles_contradict_is_a_build_mismatch():
    from alkseq.errors import BuildMismatchError

    with pytest.raises(BuildMismatchError, match="--build GRCh37 was given, but REF alleles"):
        read(DATA / "maf_two_samples.maf", build="GRCh37")


def test_gzipped_maf(tmp_path):
    target = tmp_path / "two.maf.gz"
    target.write_bytes(gzip.compress((DATA / "maf_two_samples.maf").read_bytes()))
    assert maf.sniff(_head(target), target)
    assert [s.sample for s in read(target)] == ["TUMOR-A", "TUMOR-B"]


def write(tmp_path, text, name="t.maf"):
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = ("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tt_depth"
          "\tt_alt_count\tNCBI_Build\n")


@pytest.mark.parametrize("row, message", [
    ("ALK\tMissense_Mutation\tS\tp.G1202R\t10\t20\tGRCh37\n", "exceeds t_depth"),
    ("ALK\tMissense_Mutation\tS\tp.G1202R\tmany\t2\tGRCh37\n", "t_depth 'many'"),
    ("ALK\tMissense_Mutation\tS\tp.G1202R\t10\t2\thg17\n", "unknown NCBI_Build"),
    ("\tMissense_Mutation\tS\tp.G1202R\t10\t2\tGRCh37\n", "empty Hugo_Symbol"),
    ("ALK\tMissense_Mutation\tS\tp.G1202R\t10\t2\tGRCh37\textra\n", "cells but the header"),
])
def test_bad_rows_raise_input_errors_with_line(tmp_path, row, message):
    path = write(tmp_path, HEADER + row)
    with pytest.raises(InputError, match=message) as caught:
        read(path)
    assert caught.value.line == 2 and caught.value.path == str(path)


def test_header_without_required_columns(tmp_path):
    with pytest.raises(InputError, match="not a MAF"):
        read(write(tmp_path, "gene\tchange\nALK\tG1202R\n"))


def test_not_utf8_and_missing_file(tmp_path):
    latin = tmp_path / "latin.maf"
    latin.write_bytes(HEADER.encode() + "ALK\tMissense_Mutation\tS\u00e9\tp.G1202R\t10\t2\tGRCh37\n"
                      .encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read(latin)
    with pytest.raises(InputError, match="cannot read"):
        read(tmp_path / "missing.maf")


def test_no_barcode_column_uses_file_stem(tmp_path):
    path = write(tmp_path, "Hugo_Symbol\tHGVSp_Short\nALK\tp.I1171N\n", name="patient7.maf")
    samples = read(path)
    assert [s.sample for s in samples] == ["patient7"]
    assert samples[0].alterations[0].name == "ALK I1171N"


def test_protein_change_alternative_columns(tmp_path):
    path = write(tmp_path, "Hugo_Symbol\tTumor_Sample_Barcode\tProtein_Change\tVariant_Classification\n"
                           "ALK\tS\tG1269A\tMissense_Mutation\nALK\tS\t\tSilent\n")
    sample = read(path)[0]
    assert [a.name for a in sample.alterations] == ["ALK G1269A"]


# --------------------------------------------------------------------------- SV and CNA

def test_structural_variants():
    samples = {s.sample: s for s in read(DATA / "maf_sv_fusions.txt")}
    sv1 = samples["SV-1"].alterations[0]
    assert (sv1.gene, sv1.kind, sv1.partner, sv1.fusion_variant) == ("ALK", "fusion", "EML4", "v2")
    assert sv1.breakpoint == "EML4 e20::ALK e20"
    assert samples["SV-1"].build == "GRCh37"
    sv2 = by_name(samples["SV-2"])
    assert sv2["KIF5B-ALK fusion"].fusion_variant is None
    assert sv2["MET exon skipping"].kind == "other"


def test_discrete_cna_wide():
    samples = {s.sample: s for s in read(DATA / "maf_cna_discrete_wide.txt")}
    cna1 = {a.gene: a.kind for a in samples["CNA-1"].alterations}
    assert cna1 == {"MET": "amplification", "NF2": "deletion", "EGFR": "gain"}
    cna2 = samples["CNA-2"].alterations
    assert [(a.gene, a.kind, a.label) for a in cna2] == [("NF2", "other", "shallow deletion")]


def test_discrete_cna_long_and_bad_value(tmp_path):
    path = write(tmp_path, "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\nMET\t4233\tL1\t2\n"
                           "ALK\t238\tL1\t0\n", name="cna.txt")
    sample = read(path)[0]
    assert [(a.gene, a.kind) for a in sample.alterations] == [("MET", "amplification")]
    bad = write(tmp_path, "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\nMET\t4233\tL1\t7\n",
                name="bad.txt")
    with pytest.raises(ParseError, match=r"bad.txt:2"):
        read(bad)


# --------------------------------------------------------------------------- shared examples

def shared(name):
    return shared_path("vendor", "cats_ccat", "samples", "cBioPortal2cats", "input", name)


def test_shared_cbioportal_maf():
    path = shared("data_snv.maf")
    assert maf.sniff(_head(path), path)
    samples = {s.sample: s for s in read(path)}
    assert set(samples) == {"P01_Pri", "P02_Pri"}
    assert [a.name for a in samples["P01_Pri"].alterations] == ["ATM E2444K"]
    assert samples["P02_Pri"].build == "GRCh37"


def test_shared_cbioportal_structural_variants():
    samples = read(shared("data_structural_variants.txt"))
    fusions = [a for s in samples for a in s.alterations]
    assert len(fusions) == 2
    assert all(a.partner == "EML4" and a.fusion_variant == "v3b" for a in fusions)


def test_shared_cbioportal_discrete_cna():
    samples = {s.sample: s for s in read(shared("data_cna_discrete.txt"))}
    assert {(a.gene, a.kind) for a in samples["P01_Pri"].alterations} == {
        ("CDK4", "amplification"), ("RAD51C", "deletion")}
    assert samples["P12_Rec"].alterations == ()


def test_shared_malformed_fusion_file_is_not_claimed():
    path = shared_path("vendor", "cats_ccat", "samples", "cats2cBioPortal", "output", "data_fusion.txt")
    assert not maf.sniff(_head(path), path)
    with pytest.raises(InputError, match="legacy fusion file"):
        read(path)


# --------------------------------------------------------------------------- robustness

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["ALK", "p.G1202R", "x", "", "12", "-1", "2", "S1",
                                          "Missense_Mutation", "GRCh37", "A", "-", "\u00e9"]),
                         min_size=1, max_size=8), max_size=5))
def test_random_rows_raise_only_alkseq_errors(tmp_path, rows):
    path = tmp_path / "fuzz.maf"
    path.write_text(HEADER + "".join("\t".join(row) + "\n" for row in rows))
    try:
        read(path)
    except AlkseqError:
        pass
