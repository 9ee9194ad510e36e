"""Foundation Medicine XML reader on real files: fixtures in tests/data and shared examples."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import SHARED as SHARED_ROOT, shared_path
from alkseq.errors import AlkseqError, InputError, ParseError, SampleNotFoundError
from alkseq.readers import ReadOptions, _head, foundation

DATA = Path(__file__).parent / "data"
SHARED = SHARED_ROOT / "vendor" / "foundation"
MAIN = DATA / "foundation_eml4_alk_met_nf2.xml"


def read(path, **options):
    return foundation.read(path, ReadOptions(**options))


def by_gene_kind(sample):
    return {(a.gene, a.kind): a for a in sample.alterations}


def test_sniff():
    for name in ("foundation_eml4_alk_met_nf2.xml", "foundation_bulk_two_cases.xml",
                 "foundation_doctype_entity.xml"):
        assert foundation.sniff(_head(DATA / name), DATA / name)
    assert not foundation.sniff(b"##fileformat=VCFv4.2\n", None)
    assert not foundation.sniff(b"Hugo_Symbol\tTumor_Sample_Barcode\n", None)
    assert not foundation.sniff(b"<html><body>variant-report</body></html>", None)


def test_sample_name_build_and_metadata():
    [sample] = read(MAIN)
    assert sample.sample == "TEST-F1-ALK-01"
    assert sample.input_format == "foundation"
    assert sample.build == "GRCh37"
    assert "GRCh37" in sample.metadata["build_note"]
    assert sample.metadata["quality_control"] == "Pass"
    assert sample.metadata["test_type"] == "FoundationOneDx"
    assert sample.metadata["msi_status"] == "MSS"


def test_eml4_alk_with_alk_as_other_gene():
    [sample] = read(MAIN)
    fusion = by_gene_kind(sample)[("ALK", "fusion")]
    assert fusion.partner == "EML4"
    assert fusion.fusion_variant == "v1"
    assert fusion.breakpoint == "EML4 e13::ALK e20"
    assert fusion.name == "EML4-ALK fusion v1"
    assert fusion.label == "EML4(NM_019063)-ALK(NM_004304) fusion (E13;A20)"
    assert "supporting-read-pairs=90" in fusion.notes
    assert fusion.origin.line == 30 and fusion.origin.reader == "foundation"


def test_short_variants():
    [sample] = read(MAIN)
    alterations = {a.name: a for a in sample.alterations}
    g1202r = alterations["ALK G1202R"]
    assert g1202r.protein_change.hgvs == "p.Gly1202Arg"
    assert g1202r.vaf == pytest.approx(0.125) and g1202r.depth == 640
    assert "status=known" in g1202r.notes
    nf2 = alterations["NF2 R57*"]
    assert nf2.protein_change.is_truncating and nf2.kind == "mutation"
    keap1 = alterations["KEAP1 G333C"]
    assert "equivocal" in keap1.notes and "status=unknown (VUS)" in keap1.notes
    splice = alterations["TP53 splice site 376-1G>A"]
    assert splice.protein_change is None


def test_unparseable_protein_effect_warns_with_line_and_keeps_the_call():
    [sample] = read(MAIN)
    flt3 = [a for a in sample.alterations if a.gene == "FLT3"]
    assert len(flt3) == 1 and flt3[0].protein_change is None
    assert any(f"{MAIN}:22" in w and "E604_F605ins7" in w for w in sample.warnings)


def test_copy_number():
    [sample] = read(MAIN)
    alterations = by_gene_kind(sample)
    met = alterations[("MET", "amplification")]
    assert met.copy_number == 12 and met.name == "MET amplification"
    cdk4 = alterations[("CDK4", "amplification")]
    assert "equivocal" in cdk4.notes and cdk4.label == "amplification (equivocal)"
    assert any("below alkseq's threshold 6" in n for n in cdk4.notes)
    assert alterations[("CDKN2A", "deletion")].copy_number == 0


def test_bulk_wrapper_gives_several_samples():
    samples = read(DATA / "foundation_bulk_two_cases.xml")
    assert [s.sample for s in samples] == ["BULK-A", "BULK-B"]
    bulk_a = samples[0].alterations[0]
    assert (bulk_a.gene, bulk_a.kind, bulk_a.partner) == ("ALK", "fusion", None)
    assert "ALK rearrangement, partner not stated" in bulk_a.notes
    bulk_b = by_gene_kind(samples[1])
    assert bulk_b[("ALK", "fusion")].fusion_variant == "v3a/b"
    assert bulk_b[("ALK", "fusion")].partner == "EML4"
    assert bulk_b[("ALK", "mutation")].protein_change.short == "L1196M"
    only_b = read(DATA / "foundation_bulk_two_cases.xml", sample="BULK-B")
    assert [s.sample for s in only_b] == ["BULK-B"]
    with pytest.raises(SampleNotFoundError, match="BULK-A"):
        read(DATA / "foundation_bulk_two_cases.xml", sample="X")


def test_malformed_xml_is_input_error_with_line():
    with pytest.raises(InputError) as caught:
        read(DATA / "foundation_malformed.xml")
    assert caught.value.line == 7 and "malformed XML" in caught.value.message


def test_doctype_entity_is_refused_without_expansion():
    started = time.perf_counter()
    with pytest.raises(InputError, match="DOCTYPE or ENTITY"):
        read(DATA / "foundation_doctype_entity.xml")
    assert time.perf_counter() - started < 1.0


def test_billion_laughs_is_refused_fast(tmp_path):
    entities = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    path = tmp_path / "laughs.xml"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "ha">{entities}]>'
                    "<variant-report><samples><sample name='&l9;'/></samples></variant-report>")
    with pytest.raises(InputError, match="DOCTYPE"):
        read(path)


def write(tmp_path, body, root_attrs=""):
    path = tmp_path / "case.xml"
    path.write_text('<?xml version="1.0"?>\n<variant-report xmlns="http://foundationmedicine.com/'
                    f'compbio/variant-report-external" {root_attrs}>\n{body}\n</variant-report>\n')
    return path


@pytest.mark.parametrize("body, error, message", [
    ('<short-variants><short-variant gene="ALK" protein-effect="G1202R" allele-fraction="12%"/>'
     "</short-variants>", ParseError, "allele-fraction='12%'"),
    ('<short-variants><short-variant gene="ALK" protein-effect="G1202R" allele-fraction="1.7"/>'
     "</short-variants>", ParseError, "outside 0"),
    ('<short-variants><short-variant gene="ALK" depth="-3"/></short-variants>', ParseError,
     "not a count"),
    ('<short-variants><short-variant protein-effect="G1202R"/></short-variants>', InputError,
     "without @gene"),
    ('<copy-number-alterations><copy-number-alteration type="amplification"/>'
     "</copy-number-alterations>", InputError, "without @gene"),
    ("<rearrangements><rearrangement type='fusion'/></rearrangements>", InputError,
     "rearrangement without"),
])
def test_bad_values_name_the_line(tmp_path, body, error, message):
    path = write(tmp_path, body)
    with pytest.raises(error, match=message) as caught:
        read(path)
    assert caught.value.line == 3


def test_file_stem_names_an_unnamed_sample_and_final_report_name(tmp_path):
    path = write(tmp_path, "<short-variants/>")
    assert read(path)[0].sample == "case"
    report = tmp_path / "final.xml"
    report.write_text("<ResultsReport><ResultsPayload><FinalReport><SampleName>FR-9</SampleName>"
                      "</FinalReport><variant-report/></ResultsPayload></ResultsReport>")
    assert read(report)[0].sample == "FR-9"


@pytest.mark.parametrize("data, message", [
    (b'<?xml version="1.0" encoding="foo"?><variant-report/>', "unknown encoding"),
    (b'<?xml version="1.0" encoding="utf-16"?><variant-report/>', "malformed XML"),
    (b"<variant-report><x:y/></variant-report>", "unbound prefix"),
    (b"\x1f\x8b\x08broken", "gzip"),
])
def test_unreadable_xml_is_input_error(tmp_path, data, message):
    path = tmp_path / "odd.xml"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read(path)


def test_byte_order_mark_and_gzip(tmp_path):
    path = tmp_path / "bom.xml"
    path.write_bytes(b"\xef\xbb\xbf" + MAIN.read_bytes())
    assert foundation.sniff(_head(path), path)
    assert read(path)[0].sample == "TEST-F1-ALK-01"
    import gzip
    packed = tmp_path / "report.xml.gz"
    packed.write_bytes(gzip.compress(MAIN.read_bytes()))
    assert foundation.sniff(_head(packed), packed)
    assert len(read(packed)[0].alterations) == 9


def test_no_variant_report(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text("<ResultsReport><ResultsPayload/></ResultsReport>")
    with pytest.raises(InputError, match="no variant-report"):
        read(path)


def test_non_alk_rearrangements(tmp_path):
    body = ('<rearrangements>'
            '<rearrangement targeted-gene="NF1" other-gene="N/A" type="truncation" status="likely"/>'
            '<rearrangement targeted-gene="RET" other-gene="KIF5B" type="fusion" '
            'description="KIF5B-RET fusion (K15;R12)"/>'
            '<rearrangement targeted-gene="ALK" other-gene="PTPN3" type="fusion" '
            'description="ALK-PTPN3 fusion"/>'
            '</rearrangements>')
    alterations = read(write(tmp_path, body))[0].alterations
    nf1, ret, alk = alterations
    assert (nf1.gene, nf1.kind) == ("NF1", "loss")
    assert (ret.gene, ret.kind, ret.partner) == ("RET", "fusion", "KIF5B")
    assert (alk.gene, alk.partner, alk.fusion_variant) == ("ALK", "PTPN3", None)
    assert any("5' gene" in n for n in alk.notes)


# --------------------------------------------------------------------------- shared examples

def shared(name):
    return shared_path("vendor", "foundation", name)


def test_shared_synthetic_lung_with_eml4_alk():
    [sample] = read(shared("oncounify_synthetic/SYN-F1-0002.xml"))
    assert sample.sample == "SQ-SYN0000002-1"
    alterations = by_gene_kind(sample)
    fusion = alterations[("ALK", "fusion")]
    assert (fusion.partner, fusion.fusion_variant) == ("EML4", "v1")
    assert fusion.vaf == pytest.approx(0.214)
    assert alterations[("CDKN2A", "deletion")].copy_number == 0
    assert alterations[("EGFR", "mutation")].protein_change.short == "E746_A750del"


def test_shared_liquid_and_crc_examples():
    for name, gene in (("oncounify_synthetic/SYN-F1L-0003.xml", "AR"),
                       ("oncounify_synthetic/SYN-F1-0001.xml", "MYC")):
        [sample] = read(shared(name))
        assert (gene, "amplification") in by_gene_kind(sample)
        assert not any(a.kind == "fusion" for a in sample.alterations)


@pytest.mark.parametrize("name", ["lifeomic_sample.xml", "lifeomic_foundation-ingest_sample.xml"])
def test_shared_heme_reports_both_spellings(name):
    [sample] = read(shared(name))
    assert sample.sample == "SA-1612348"
    assert len(sample.alterations) == 54          # 48 short variants + 5 CNAs + 1 rearrangement
    nf1 = [a for a in sample.alterations if a.gene == "NF1" and a.kind == "loss"]
    assert len(nf1) == 1
    assert any("quality-control status is 'Qualified'" in w for w in sample.warnings)


# --------------------------------------------------------------------------- robustness

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(alphabet="<>/=\"' abcdeilmnoprstv-!&;[]", max_size=200)
       .map(str.encode))
def test_random_bytes_raise_only_alkseq_errors(tmp_path, data):
    path = tmp_path / "fuzz.xml"
    path.write_bytes(b"<variant-report>" + data)
    try:
        read(path)
    except AlkseqError:
        pass
