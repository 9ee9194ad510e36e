"""The indexed BCF path reads the CSI index itself (``readers/vcf/csi``) and seeks: it must return
exactly the records htslib's own region query returns (pysam ``fetch``), for any region, any CSI
geometry (``bcftools index -m``) and bins with several chunks; and the report must not change."""
from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

from alkseq.readers import ReadOptions, read_input
from alkseq.readers.vcf import bcf, csi
from alkseq.readers.vcf.bcfio import open_bcf

HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=2000000>\n##contig=<ID=chr2,length=3000000>\n"
          "##contig=<ID=chr3,length=1000000>\n"
          '##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
          '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type">\n'
          '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")


def _bcftools(*args):
    subprocess.run([require_tool("bcftools"), *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def interleaved(tmp_path_factory) -> Path:
    """Sorted records on chr1 and chr2 (none on chr3), every 40th a deletion of 20–300 kb (INFO/END): long
    records share high bins with small ones far apart in the file, so those bins get several chunks."""
    rng = random.Random(7)
    lines = []
    for chrom, length in (("chr1", 2_000_000), ("chr2", 3_000_000)):
        for number, pos in enumerate(sorted(rng.sample(range(1, length - 400_000), 6000))):
            if number % 40 == 0:
                end = pos + rng.randrange(20_000, 300_000)
                lines.append(f"{chrom}\t{pos}\t.\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END={end}\tGT\t0/1")
            else:
                lines.append(f"{chrom}\t{pos}\t.\t{rng.choice('ACGT')}\t{rng.choice(['T', 'GA'])}\t50\tPASS\t.\tGT\t0/1")
    directory = tmp_path_factory.mktemp("csi")
    text = directory / "in.vcf"
    text.write_text(HEADER + "\n".join(lines) + "\n")
    out = directory / "in.bcf"
    _bcftools("view", "--no-version", "-Ob", "-o", out, text)
    return out


def _compare(path: Path, regions, min_shift: int) -> int:
    """Records of each region through ``csi`` + seek and through htslib's fetch; returns how many matched."""
    index = Path(f"{path}.csi")
    _bcftools("index", "-f", "-c", "-m", min_shift, path)
    table = csi.load(str(index))
    assert table is not None and table.min_shift == min_shift
    compared = 0
    with open_bcf(path, without_index=True) as fast, open_bcf(path, index=str(index)) as slow:
        assert fast.index is None
        ids = {name: contig.id for name, contig in slow.header.contigs.items()}
        for chrom, begin, end in regions:
            wanted = [str(r) for r in slow.fetch(chrom, begin, end)]
            offset = table.start(ids[chrom], begin)
            if offset is None:
                assert not table.has_records(ids[chrom]) and not wanted, (chrom, begin, end)
                continue
            got = [str(r) for r in bcf._from(fast, offset, ids[chrom], begin, end, path, "query")]
            assert got == wanted, (chrom, begin, end, min_shift)
            compared += len(wanted)
    return compared


@pytest.mark.parametrize("min_shift", [14, 10, 18])
def test_seek_from_the_csi_gives_htslibs_records(interleaved, min_shift):
    rng = random.Random(min_shift)
    regions = [("chr3", 0, 1_000_000), ("chr1", 0, 1), ("chr2", 2_999_000, 3_000_000)]
    for _ in range(300):
        chrom = rng.choice(["chr1", "chr2"])
        width = rng.choice([1, 50, 5_000, 70_000, 600_000])
        begin = rng.randrange(0, 2_000_000 - width)
        regions.append((chrom, begin, begin + width))
    assert _compare(interleaved, regions, min_shift) > 10_000


def test_the_interleaved_index_has_bins_of_several_chunks(interleaved):
    """The fixture exercises the slow branch of the bin walk (not only 32-byte one-chunk bins)."""
    _bcftools("index", "-f", "-c", interleaved)
    table = csi.load(f"{interleaved}.csi")
    several = sum(1 for _runs, others in table.refs for number in others if number != table.meta_bin)
    assert several > 0


def test_report_is_the_same_through_htslibs_index_and_when_the_csi_is_undecided(interleaved, monkeypatch):
    from alkseq.api import annotate
    from alkseq.report import json_writer

    genome_like = interleaved.with_name("genes.bcf")
    _bcftools("view", "--no-version", "-Ob", "-o", genome_like,
              ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf")
    _bcftools("index", "-f", "-c", genome_like)

    def report(path):
        return json_writer.render(annotate(path, prior=["alectinib"]))

    (sample,) = read_input(genome_like, ReadOptions())
    assert sample.metadata["mode"] == "indexed"
    fast = report(genome_like)
    monkeypatch.setattr(bcf, "load_csi", lambda _index: None)         # htslib loads the index, fetches
    assert report(genome_like) == fast
    monkeypatch.undo()
    monkeypatch.setattr(csi.Csi, "start", lambda self, rid, begin: None)   # every interval left to htslib
    assert report(genome_like) == fast
    assert "G1202R" in fast


def test_an_index_this_module_cannot_read_falls_back(tmp_path):
    bad = tmp_path / "x.csi"
    bad.write_bytes(b"not an index")
    assert csi.load(str(bad)) is None
    assert csi.load(str(tmp_path / "missing.csi")) is None


@pytest.mark.parametrize("use_isal", [True, False])
def test_csi_inflates_with_isal_and_with_zlib_alike(interleaved, monkeypatch, use_isal):
    """ISA-L (when installed) and the zlib fallback give one index; a corrupt block means htslib decides."""
    import gzip

    from alkseq.readers.vcf import containers

    monkeypatch.setattr(containers, "_USE_ISAL", use_isal)
    assert (containers.raw_inflate()[0].__module__ == "zlib") is not use_isal
    _bcftools("index", "-f", "-c", interleaved)
    raw = Path(f"{interleaved}.csi").read_bytes()
    assert csi._inflate(raw) == gzip.decompress(raw)
    corrupt = interleaved.with_name("corrupt.csi")
    damaged = bytearray(raw)
    damaged[40:72] = bytes(32)                       # inside the first block's deflate data
    corrupt.write_bytes(bytes(damaged))
    assert csi.load(str(corrupt)) is None


def test_a_prefetched_index_is_the_one_the_reader_inflates(interleaved):
    """``prefetch`` (``alkseq annotate`` starts it before its imports) hands the reader the same bytes, and
    only for the very file it read: an index rewritten meanwhile, a ``.tbi`` or a text VCF get none."""
    from alkseq import prefetch

    _bcftools("index", "-f", "-c", interleaved)
    index = f"{interleaved}.csi"
    expected = csi._inflate(Path(index).read_bytes())
    prefetch.start(interleaved)
    assert prefetch.take(index) == expected
    assert prefetch.take(index) is None                          # taken once; later loads inflate again
    assert csi.load(index).data == expected

    prefetch.start(interleaved)
    _bcftools("index", "-f", "-c", "-m", 12, interleaved)       # another index under the same name
    assert prefetch.take(index) is None
    table = csi.load(index)
    assert table is not None and table.min_shift == 12

    Path(f"{interleaved}.tbi").write_bytes(b"")                # the reader would take the .tbi first
    try:
        prefetch.start(interleaved)
        assert prefetch.take(index) is None
    finally:
        Path(f"{interleaved}.tbi").unlink()
    prefetch.start(interleaved.with_suffix(".vcf"))
    assert prefetch.take(f"{interleaved.with_suffix('.vcf')}.csi") is None


def test_an_unreadable_prefetched_index_leaves_the_reader_to_decide(tmp_path):
    from alkseq import prefetch

    path = tmp_path / "x.bcf"
    path.write_bytes(b"")
    Path(f"{path}.csi").write_bytes(b"\x1f\x8b not gzip")
    prefetch.start(path)
    assert prefetch.take(f"{path}.csi") is None
    assert csi.load(f"{path}.csi") is None


def test_the_cli_reads_an_indexed_bcf_as_before_with_the_index_prefetched(interleaved, tmp_path):
    """End to end through ``alkseq annotate`` (which prefetches): the same JSON as the API (which does not)."""
    from click.testing import CliRunner

    from alkseq.api import annotate
    from alkseq.cli import cli
    from alkseq.report import json_writer

    genome_like = interleaved.with_name("cli.bcf")
    _bcftools("view", "--no-version", "-Ob", "-o", genome_like,
              ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf")
    _bcftools("index", "-f", "-c", genome_like)
    result = CliRunner().invoke(cli, ["annotate", str(genome_like), "--prior", "alectinib", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.output == json_writer.render(annotate(genome_like, prior=["alectinib"]))
    assert "G1202R" in result.output
