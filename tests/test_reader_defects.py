"""Regressions for the reader defects the outside material found (issue #15 items 3–6, 9; #16 stdin).

Each test writes its own input; bcftools, when it is used, is the real one.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from alkseq.errors import InputError
from alkseq.genome.transcript import load_transcript
from alkseq.readers import ReadOptions, read_input
from alkseq.readers import vcf as vcf_reader

COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
GRCH38_CHR2 = "##contig=<ID=chr2,length=242193529>"


def vcf_text(*header_lines: str, samples=("TUMOR",), records=(), fileformat=True) -> str:
    lines = (["##fileformat=VCFv4.2"] if fileformat else []) + [GRCH38_CHR2, *header_lines,
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">']
    lines.append(COLUMNS + ("\tFORMAT\t" + "\t".join(samples) if samples else ""))
    return "\n".join([*lines, *records]) + "\n"


def alk_record(codon_base: int = 1, sample="0/1:60,40:100", samples=1, codon=1202) -> str:
    """A G1202R-style SNV at the first base of an ALK codon (REF from the shipped sequence)."""
    from alkseq.genome.transcript import ShippedSequence

    tx = load_transcript("ALK", "GRCh38")
    pos = tx.genomic_of((codon - 1) * 3 + codon_base)
    ref = ShippedSequence("GRCh38").fetch("chr2", pos, pos)
    alt = {"A": "C", "C": "G", "G": "T", "T": "A"}[ref]
    return "\t".join(["chr2", str(pos), ".", ref, alt, ".", "PASS", ".", "GT:AD:DP",
                      *([sample] * samples)])


def read_one(path: Path, **options):
    samples = read_input(path, ReadOptions(**options))
    assert len(samples) == 1
    return samples[0]


# --------------------------------------------------------------------------- item 5: false rejections

def test_rtg_command_line_with_structured_text_inside_is_plain_text(tmp_path):
    """RTG vcffilter writes ``##CL=... "##FORMAT=<ID=PS..."``: not a structured line (bcftools reads it)."""
    path = tmp_path / "rtg.vcf"
    path.write_text(vcf_text('##CL=vcffilter -i in.vcf.gz --keep-expr "##FORMAT=<ID=PS,Number=1" -o -',
                             records=[alk_record()]))
    sample = read_one(path)
    assert [a.name for a in sample.alterations] == ["ALK G1202R"]
    assert not any("closing" in w for w in sample.warnings)


def test_unterminated_unused_info_line_is_a_warning(tmp_path):
    path = tmp_path / "open.vcf"
    path.write_text(vcf_text('##INFO=<ID=AVGPOST,Number=1,Type=Float,Description="Average posterior',
                             records=[alk_record()]))
    sample = read_one(path)
    assert sample.alterations
    assert any("header line 3" in w and "closing '>'" in w for w in sample.warnings), sample.warnings


def test_record_without_a_usable_position_is_skipped_with_a_warning(tmp_path):
    """htslib reads POS 'abc' as 0 and goes on; alkseq skips the record and says so."""
    path = tmp_path / "pos.vcf"
    path.write_text(vcf_text(records=["chr2\tabc\t.\tC\tT\t.\tPASS\t.\tGT:AD:DP\t0/1:5,5:10", alk_record()]))
    sample = read_one(path)
    assert sample.alterations
    assert any("without a usable position" in w and "line 7" in w for w in sample.warnings), sample.warnings
