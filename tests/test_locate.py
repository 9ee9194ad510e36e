"""The genome layer's small-variant API (alkseq.genome.locate) on real loci, and the MAF reader going
through it: REF checked against the shipped ALK sequence, ALK translated from the row's coordinates
and cross-checked against HGVSp_Short, bypass genes from the shipped hotspot table."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, shared_path
from alkseq.errors import BuildMismatchError
from alkseq.genome.locate import (BuildVotes, Located, Reference, Skip, locate_small_variant, maf_alleles,
                                  parse_change)
from alkseq.readers import ReadOptions, maf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_MAF = ROOT / "examples" / "maf" / "two_samples.maf"
G1202R_38 = ("2", 29220747, "C", "T")     # NM_004304.5 c.3604G>A (reference/genome truth table)
G1202R_37 = ("2", 29443613, "C", "T")


# --------------------------------------------------------------------------- the pure API

def test_alk_is_translated_on_nm_004304():
    located = locate_small_variant(Reference("GRCh38"), *G1202R_38, ["ALK"])
    assert isinstance(located, Located)
    assert located.protein_change.short == "G1202R" and located.genomic.hgvs_c == "NM_004304.5:c.3604G>A"
    assert located.codons == (1202,) and located.substitution == (29220747, "C", "T")
    assert located.warnings == () and located.genomic.original == (29220747, "C", "T")


def test_an_annotation_that_disagrees_is_warned_about_and_the_translation_kept():
    located = locate_small_variant(Reference("GRCh38"), *G1202R_38, ["ALK"],
                                   annotation=lambda gene: parse_change("p.G1202K"))
    assert located.protein_change.short == "G1202R"
    assert located.warnings == ("ALK G1202R at 2:29220747: the VEP/snpEff annotation says G1202K; "
                                "alkseq's own translation on NM_004304.5 is kept",)


def test_intronic_alk_and_an_unknown_bypass_variant_are_skips_with_their_reason():
    assert locate_small_variant(Reference("GRCh38"), "2", 29220000, "C", "T", ["ALK"]) == Skip("noncoding", ("ALK",))
    skip = locate_small_variant(Reference("GRCh38"), "7", 140753300, "A", "T", ["BRAF"])
    assert isinstance(skip, Skip) and skip.reason == "unknown_bypass" and skip.genes == ("BRAF",)


def test_bypass_gene_from_the_hotspot_table_and_from_an_annotation():
    hotspot = locate_small_variant(Reference("GRCh38"), "7", 140753336, "A", "T", ["BRAF"])
    assert hotspot.protein_change.short == "V600E" and hotspot.notes[0].startswith("hotspot table:")
    annotated = locate_small_variant(Reference("GRCh38"), "7", 140753300, "A", "T", ["BRAF"],
                                     annotation=lambda gene: parse_change("p.K588N"),
                                     annotation_names=("the MAF's HGVSp_Short", "from the MAF"))
    assert annotated.protein_change.short == "K588N" and annotated.notes == ("from the MAF",)


def test_reference_mismatch_names_the_bases_and_is_exit_4():
    mismatch = Reference("GRCh38").mismatch("2", 29220747, "G")
    assert mismatch is not None and (mismatch.expected, mismatch.observed) == ("C", "G")
    error = mismatch.error("x.vcf", None, "record 12")
    assert isinstance(error, BuildMismatchError) and error.exit_code == 4
    assert error.message == ("REF G at 2:29220747 disagrees with alkseq's ALK sequence for GRCh38 "
                             "(expected C, observed G); most likely the file is not GRCh38")
    assert error.hint == "record 12; check the genome build"
    assert Reference("GRCh38").mismatch(*G1202R_38[:3]) is None
    assert Reference("GRCh38").mismatch(*G1202R_37[:3]) is None      # bases not shipped there: no verdict


def test_build_votes_decide_from_ref_alleles():
    votes = BuildVotes()
    votes.add("2", 29443613, 29443613, "C", ["T"])
    warnings: list[str] = []
    assert votes.decide(warnings) == ("GRCh37", "REF alleles at known positions")
    assert votes.contradiction("GRCh38", "x.vcf") is not None and votes.contradiction("GRCh37", "x.vcf") is None


def test_maf_alleles_become_minimal_alleles():
    assert maf_alleles(100, "-", "ATA") == (101, "", "ATA")      # insertion after Start_Position
    assert maf_alleles(100, "AC", "-") == (100, "AC", "")
    assert maf_alleles(100, "c", "t") == (100, "C", "T")


# --------------------------------------------------------------------------- MAF rows through it

def _variant(tmp_path, replace: dict[str, str], name: str = "case.maf") -> Path:
    """The shipped example MAF with some cells changed (keys: 'line:column' → new value)."""
    lines = EXAMPLE_MAF.read_text().splitlines()
    header = lines[1].split("\t")
    for key, value in replace.items():
        number, column = key.split(":")
        cells = lines[int(number) - 1].split("\t")
        cells[header.index(column)] = value
        lines[int(number) - 1] = "\t".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _names(sample) -> list[str]:
    return [a.name for a in sample.alterations]


def test_example_maf_reads_as_before():
    samples = maf.read(EXAMPLE_MAF, ReadOptions())
    assert [_names(s) for s in samples] == [["ALK G1202R", "BRAF V600E"], ["ALK C1156Y", "ALK I1171N"]]
    assert all(not s.warnings for s in samples)


def test_maf_hgvsp_short_that_disagrees_with_the_coordinates_is_warned_about(tmp_path):
    path = _variant(tmp_path, {"3:HGVSp_Short": "p.G1202K", "3:HGVSp": ""})
    first = maf.read(path, ReadOptions())[0]
    assert _names(first) == ["ALK G1202R", "BRAF V600E"]
    assert first.warnings == (f"{path}:3: ALK G1202R at 2:29220747: the MAF's HGVSp_Short says G1202K; "
                              "alkseq's own translation on NM_004304.5 is kept",)


def test_maf_row_without_a_protein_change_gets_one_from_the_genome_layer(tmp_path):
    path = _variant(tmp_path, {"3:HGVSp_Short": "", "3:HGVSp": "", "4:HGVSp_Short": "", "4:HGVSp": ""})
    first = maf.read(path, ReadOptions())[0]
    assert _names(first) == ["ALK G1202R", "BRAF V600E"]
    alk, braf = first.alterations
    assert alk.notes[-1] == "protein change translated by alkseq on NM_004304.5 from 2:29220747"
    assert braf.notes[-1].startswith("hotspot table: ENST00000288602")


def test_maf_rows_without_coordinates_keep_working(tmp_path):
    blank = {f"{line}:{column}": "" for line in (3, 4, 5, 6)
             for column in ("Chromosome", "Start_Position", "End_Position")}
    samples = maf.read(_variant(tmp_path, {**blank, "3:HGVSp_Short": "p.G1202K", "3:HGVSp": ""}), ReadOptions())
    assert [_names(s) for s in samples] == [["ALK G1202K", "BRAF V600E"], ["ALK C1156Y", "ALK I1171N"]]
    assert all(a.genomic is None for s in samples for a in s.alterations)


def test_maf_with_the_wrong_ncbi_build_is_the_vcf_paths_build_mismatch(tmp_path):
    path = _variant(tmp_path, {f"{line}:NCBI_Build": "GRCh37" for line in (3, 4, 5, 6)})
    with pytest.raises(BuildMismatchError) as caught:
        maf.read(path, ReadOptions())
    assert caught.value.message.startswith("NCBI_Build says GRCh37, but REF alleles at known ALK/hotspot "
                                           "positions match GRCh38 (4 match, 0 mismatch)")
    assert caught.value.hint == "correct NCBI_Build, or pass --build GRCh38"
    result = run_cli("annotate", path)
    assert result.returncode == 4 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and str(path) in result.stderr   # one line, no traceback


def test_maf_ref_that_disagrees_with_the_shipped_sequence_names_the_row(tmp_path):
    path = _variant(tmp_path, {"3:Reference_Allele": "G", "3:Tumor_Seq_Allele1": "G"})
    with pytest.raises(BuildMismatchError) as caught:
        maf.read(path, ReadOptions())
    assert caught.value.line == 3 and "REF G at 2:29220747 disagrees" in caught.value.message


def test_build_option_checks_maf_rows_against_that_build():
    with pytest.raises(BuildMismatchError, match="--build GRCh37 was given"):
        maf.read(EXAMPLE_MAF, ReadOptions(build="GRCh37"))


@pytest.mark.shared
def test_vcf2maf_test_maf_bypass_hotspot_without_hgvsp():
    """vcf2maf's own test MAF (Apache-2.0) has no protein columns: PIK3CA E545K comes from the
    shipped hotspot table via the row's GRCh37 coordinates; the rest keep their classification."""
    sample = maf.read(shared_path("vcf", "vcf2maf_tests", "test.maf"), ReadOptions())[0]
    names = _names(sample)
    assert "PIK3CA E545K" in names and "MET Missense_Mutation" in names
    e545k = next(a for a in sample.alterations if a.name == "PIK3CA E545K")
    assert e545k.genomic.pos == 178936091 and e545k.notes[-1].startswith("hotspot table: ENST00000263967")


@pytest.mark.shared
def test_vcf2maf_vep_maf_agrees_with_the_genome_layer():
    """The same calls annotated by VEP (HGVSp_Short present): nothing to warn about."""
    sample = maf.read(shared_path("vcf", "vcf2maf_tests", "test_output.vep_isoforms.maf"), ReadOptions())[0]
    assert "PIK3CA E545K" in _names(sample)
    assert not [w for w in sample.warnings if "says" in w or "outside the coding" in w]
