"""One generated genome VCF read every way alkseq can read it must give the same findings.

Paths: tabix-indexed .vcf.gz, streamed BGZF .vcf.gz (no index), plain .vcf (Python line
prefilter), plain .vcf through the numpy prefilter, plain gzip, and BCF (cyvcf2/htslib) when
bcftools is installed. The file comes from ``benchmarks/generate.py`` (planted ALK, MET and
EML4-ALK records among random background records).
"""
from __future__ import annotations

import gzip
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from alkseq.readers import ReadOptions, read_input
from alkseq.readers import vcf as vcf_reader

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("alkseq_bench_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """A 60,000-record genome VCF, plain and bgzipped + tabix-indexed; returns (plain, gz, expected)."""
    import pysam

    directory = tmp_path_factory.mktemp("paths")
    generate = _generator()
    plain = directory / "genome.vcf"
    expected = generate.write_vcf(plain, 60_000, "genome", seed=3)
    gz = directory / "genome.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    return plain, gz, expected


def findings(path, **options):
    (sample,) = read_input(path, ReadOptions(**options))
    return sample, sorted((a.name, a.vaf, a.depth, a.copy_number, a.genomic.pos if a.genomic else None,
                           a.phase.haplotype if a.phase else None) for a in sample.alterations)


def test_expected_findings_planted(genome):
    plain, _gz, expected = genome
    sample, found = findings(plain)
    names = [f[0] for f in found]
    for name in expected:
        assert any(n.startswith(name) for n in names), (name, names)
    assert sample.build == "GRCh38"
    assert [c.phase for c in sample.compounds] == ["cis"]          # G1202R + L1196M share phase set 1000


def test_every_path_gives_the_same_findings(genome, tmp_path, monkeypatch):
    plain, gz, _ = genome
    sample, reference = findings(gz)
    assert sample.metadata["mode"] == "indexed"
    unindexed = tmp_path / "streamed.vcf.gz"
    shutil.copy(gz, unindexed)
    results = {"indexed": (sample, reference)}
    results["streamed .vcf.gz"] = findings(unindexed)
    results["plain .vcf (python prefilter)"] = findings(plain)
    plain_gzip = tmp_path / "plain_gzip.vcf.gz"
    plain_gzip.write_bytes(gzip.compress(plain.read_bytes()))
    results["plain gzip"] = findings(plain_gzip)
    monkeypatch.setattr(vcf_reader, "_NUMPY_MIN_BYTES", 0)          # force the vectorised prefilter
    results["plain .vcf (numpy prefilter)"] = findings(plain)
    results["streamed .vcf.gz (numpy prefilter)"] = findings(unindexed)
    if shutil.which("bcftools"):
        bcf = tmp_path / "genome.bcf"
        subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf), str(gz)], check=True)
        results["bcf (htslib)"] = findings(bcf)
    for name, (sample, found) in results.items():
        assert found == reference, name
        assert sample.metadata["records_in_known_genes"] == results["indexed"][0].metadata["records_in_known_genes"], name
    assert results["streamed .vcf.gz"][0].metadata["mode"] == "streamed"


def test_streamed_lines_are_true_line_numbers(genome):
    plain, _gz, _ = genome
    (sample,) = read_input(plain, ReadOptions())
    lines = plain.read_text().split("\n")
    for alteration in sample.alterations:
        if alteration.origin and alteration.origin.line:
            chrom, pos = lines[alteration.origin.line - 1].split("\t")[:2]
            assert (chrom, int(pos)) == (alteration.genomic.chrom, alteration.origin.line and int(pos))
            assert alteration.origin.text.split("\t")[:2] == [chrom, pos]


def test_prefilter_keeps_every_overlapping_record(genome):
    """Brute force over every line: the raw prefilter (both forms) never drops a record in a gene."""
    plain, _gz, _ = genome
    spans = vcf_reader._spans_by_chrom(("GRCh38",))
    prefilter = vcf_reader._Prefilter(spans)
    body = plain.read_bytes()
    body = body[body.index(b"\n#CHROM"):]
    body = body[body.index(b"\n", 1) + 1:].rstrip(b"\n")
    must = set()
    for number, line in enumerate(body.split(b"\n")):
        chrom, pos, _id, ref = line.split(b"\t")[:4]
        ranges = spans.get(chrom.decode())
        end = int(pos) + len(ref) - 1
        if b"END=" in line:
            end = max(end, int(line.split(b"END=")[1].split(b";")[0].split(b"\t")[0]))
        if ranges and vcf_reader._overlaps(ranges, int(pos), end):
            must.add(number)
    python_kept = {n for n, _ in prefilter.lines(body, 0, False)}
    numpy_kept = {n for n, _ in prefilter.lines(body, 0, True)}
    assert must and must <= python_kept and must <= numpy_kept
    assert python_kept == numpy_kept


def test_partial_pysam_import_leaves_a_whole_pysam_behind():
    """The indexed path loads only pysam's tabix extension; a later ``import pysam`` (phasing,
    --fasta) must still get the whole package, sharing the extension already loaded."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from alkseq.readers.vcf.collect import _pysam_tabix\n"
            "tabix = _pysam_tabix()\n"
            "assert 'pysam.libcalignmentfile' not in sys.modules, 'loaded more than tabix'\n"
            "import pysam\n"
            "assert pysam.libctabix is tabix and pysam.TabixFile is tabix.TabixFile\n"
            "assert pysam.AlignmentFile and pysam.FastaFile and pysam.VariantFile\n"
            "assert _pysam_tabix() is tabix\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
