"""One htslib binding for BCF (``readers/vcf/bcfio``): the reader and the VCF writer open, decode and
write BCF through pysam's ``libcbcf`` alone (no cyvcf2, no numpy), checked against bcftools."""
from __future__ import annotations

import subprocess
import sys

import pytest

from alkseq.errors import InputError
from alkseq.readers.vcf import bcfio
from conftest import ROOT, require_tool

VCF = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"


def bcftools(*args) -> str:
    result = subprocess.run([require_tool("bcftools"), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("compressed,magic", [(True, b"\x1f\x8b"), (False, b"\x1f\x8b")])
def test_write_bcf_is_what_bcftools_reads_back(tmp_path, compressed, magic):
    """Both BCF kinds are BGZF (uncompressed: stored blocks, as ``-O u`` always was); every record and
    header line survives, as bcftools would write it."""
    out = tmp_path / "out.bcf"
    bcfio.write_bcf(VCF, out, compressed=compressed)
    assert out.read_bytes()[:2] == magic
    expected = tmp_path / "bcftools.bcf"
    bcftools("view", "--no-version", "-Ob", "-o", expected, VCF)
    assert bcftools("view", "--no-version", out) == bcftools("view", "--no-version", expected)
    if not compressed:      # stored blocks: larger than the compressed BCF of the same records
        compressed_out = tmp_path / "c.bcf"
        bcfio.write_bcf(VCF, compressed_out, compressed=True)
        assert out.stat().st_size > compressed_out.stat().st_size


def test_text_lines_are_htslibs_vcf_text(tmp_path):
    bcf = tmp_path / "in.bcf"
    bcftools("view", "--no-version", "-Ob", "-o", bcf, VCF)
    lines = list(bcfio.text_lines(bcf, what="cannot read"))
    assert lines == bcftools("view", "--no-version", bcf).rstrip("\n").split("\n")


def test_open_errors_name_the_users_file(tmp_path):
    broken = tmp_path / "scratch.bcf"
    broken.write_bytes(b"BCF\x02\x02" + b"\xff" * 40)
    with pytest.raises(InputError) as caught:
        bcfio.open_bcf(broken, path="given.bcf")
    assert caught.value.path == "given.bcf" and caught.value.message.startswith("cannot read as BCF")


def test_bcf_in_and_out_load_neither_cyvcf2_nor_numpy(tmp_path):
    """The measured reason for this binding (module docstring): cyvcf2's import is numpy's."""
    bcf = tmp_path / "in.bcf"
    bcftools("view", "--no-version", "-Ob", "-o", bcf, VCF)
    code = ("import sys\nfrom alkseq.cli import main\n"
            f"sys.argv = ['alkseq', 'annotate', {str(bcf)!r}, '--format', 'vcf', '-o', {str(tmp_path / 'o.bcf')!r}]\n"
            "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
            "print(sorted(m for m in ('cyvcf2', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "G1202R" in bcftools("query", "-f", "%ALKSEQ_PC\n", tmp_path / "o.bcf")
