"""Hardening of the VCF reader: broken containers and texts as real files, and hypothesis fuzzing.

Every broken input gives an ``AlkseqError`` with a one-line message naming the file (or a correct
read); fuzzed files never raise anything else, and mutations that leave the ALK records alone
never change what is found in them (no wrong-but-silent call). ``ALKSEQ_FUZZ_EXAMPLES`` raises
the number of examples for a long local run.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alkseq.errors import AlkseqError, InputError, InputTooLargeError
from alkseq.readers import ReadOptions, read_input
from alkseq.readers import vcf as vcf_reader

HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr7,length=159345973>
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">
##INFO=<ID=END,Number=1,Type=Integer,Description="End">
##INFO=<ID=CN,Number=1,Type=Float,Description="Copy number">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR
"""
ALK = ["chr2\t29220747\t.\tC\tT\t.\tPASS\tDP=300\tGT:AD:AF:DP:PS\t0|1:180,95:0.345:275:1000",
       "chr2\t29220765\t.\tG\tT\t.\tPASS\tDP=300\tGT:AD:AF:DP:PS\t0|1:180,95:0.345:275:1000",
       "chr2\t29222392\t.\tC\tT\t.\tPASS\tDP=360\tGT:AD:AF:DP\t0/1:300,60:0.167:360"]
MET_AMP = "chr7\t116600000\tcnv\tN\t<DUP>\t.\tPASS\tSVTYPE=CNV;END=116900000;CN=12\tGT\t./."
EXPECTED = ["ALK C1156Y", "ALK G1202R", "ALK L1196M", "MET amplification (CN 12)"]


def background(count: int = 40, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    lines, pos = [], 1000
    for _ in range(count):
        pos += rng.randint(100, 100000)
        ref, alt = rng.sample("ACGT", 2)
        lines.append(f"chr1\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\tDP=40\tGT:AD:AF:DP\t0/1:20,20:0.5:40")
    return lines


def good_text() -> str:
    return HEADER + "\n".join(background() + ALK + [MET_AMP]) + "\n"


def names(path) -> list[str]:
    (sample,) = read_input(path, ReadOptions(input_format="vcf"))
    return sorted(a.name for a in sample.alterations)


def rejected(path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_input(path, ReadOptions(input_format="vcf"))
    message = caught.value.one_line()
    assert "\n" not in message and Path(path).name in message
    return caught.value


# --------------------------------------------------------------------------- one test per broken input

def test_good_file_reads(tmp_path):
    path = tmp_path / "good.vcf"
    path.write_text(good_text())
    assert names(path) == EXPECTED


def test_truncated_bgzip(tmp_path):
    import pysam

    plain = tmp_path / "t.vcf"
    plain.write_text(good_text())
    pysam.tabix_compress(str(plain), str(tmp_path / "t.vcf.gz"), force=True)
    data = (tmp_path / "t.vcf.gz").read_bytes()
    for cut in (len(data) - 10, len(data) // 2, 30):
        (tmp_path / "cut.vcf.gz").write_bytes(data[:cut])
        assert "truncated" in rejected(tmp_path / "cut.vcf.gz").message


def test_plain_gzip_reads_and_truncated_gzip_is_named(tmp_path):
    path = tmp_path / "g.vcf.gz"
    path.write_bytes(gzip.compress(good_text().encode()))
    assert names(path) == EXPECTED
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(path.read_bytes()[:-30])
    assert "truncated gzip" in rejected(cut).message


@pytest.mark.parametrize("name,compress", [("bzip2", bz2.compress), ("xz", lzma.compress)])
def test_bzip2_and_xz_are_refused_clearly(tmp_path, name, compress):
    path = tmp_path / f"x.vcf.{name}"
    path.write_bytes(compress(good_text().encode()))
    error = rejected(path)
    assert f"compressed with {name}: not supported, decompress it" in error.message
    with pytest.raises(InputError):                   # sniffing says the same
        read_input(path, ReadOptions())


@pytest.mark.parametrize("content,words", [
    (bytes(range(256)) * 8, "fileformat"),
    (b"", "empty"),
    (HEADER.encode(), None),                                              # header only: a correct read
    (HEADER.replace("#CHROM", "##CHROM").encode(), "#CHROM"),
    (HEADER.split("#CHROM")[0].encode(), "#CHROM"),
])
def test_junk_empty_header_only_and_missing_chrom_line(tmp_path, content, words):
    path = tmp_path / "in.vcf"
    path.write_bytes(content)
    if words is None:
        assert names(path) == []
    else:
        assert words in rejected(path).message


def test_records_out_of_order_read_the_same(tmp_path):
    lines = background() + ALK + [MET_AMP]
    random.Random(5).shuffle(lines)
    path = tmp_path / "shuffled.vcf"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    assert names(path) == EXPECTED


def test_ten_megabyte_info_field(tmp_path):
    huge_outside = "chr1\t5000\t.\tA\tG\t.\tPASS\tDP=1;X=" + "A" * 10_000_000 + "\tGT\t0/1"
    huge_inside = ALK[2].replace("DP=360", "DP=360;X=" + "C" * 10_000_000)
    path = tmp_path / "big_info.vcf"
    path.write_text(HEADER + "\n".join([huge_outside] + ALK[:2] + [huge_inside, MET_AMP]) + "\n")
    assert names(path) == EXPECTED


def test_overlong_line_is_input_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(vcf_reader, "_MAX_HEADER_BYTES", 1 << 20)        # the 64 MB limit, scaled down
    path = tmp_path / "long.vcf"
    path.write_text(HEADER + "chr1\t5\t.\tA\tG\t.\tPASS\tX=" + "A" * (12 << 20) + "\n")
    with pytest.raises(InputTooLargeError):
        read_input(path, ReadOptions())


def test_non_utf8_bytes(tmp_path):
    outside = (HEADER + "chr1\t5000\t.\tA\tG\t.\tPASS\tNOTE=caf\xe9\tGT\t0/1\n").encode("latin-1")
    path = tmp_path / "latin1_outside.vcf"
    path.write_bytes(outside + "\n".join(ALK + [MET_AMP]).encode() + b"\n")
    assert names(path) == EXPECTED                     # a record alkseq never reads
    inside = (HEADER + ALK[0].replace("DP=300", "NOTE=caf\xe9;DP=300") + "\n").encode("latin-1")
    path = tmp_path / "latin1_inside.vcf"
    path.write_bytes(inside)
    error = rejected(path)
    assert "UTF-8" in error.message and error.line == HEADER.count("\n") + 1
    header = HEADER.replace("##reference=GRCh38", "##reference=caf\xe9").encode("latin-1")
    path = tmp_path / "latin1_header.vcf"
    path.write_bytes(header)
    assert rejected(path).line == 2


def test_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.vcf"
    path.write_bytes(good_text().replace("\n", "\r\n").encode())
    assert names(path) == EXPECTED


def test_decompression_bomb_is_bounded(tmp_path):
    """A gzip bomb of one endless line stops at the line limit instead of filling memory."""
    import resource
    import zlib

    path = tmp_path / "bomb.vcf.gz"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        out.write(compressor.compress(HEADER.encode() + b"chr1\t5\t.\tA\tG\t.\tPASS\tX="))
        block = b"A" * (1 << 20)
        for _ in range(200):                                   # 200 MB of one INFO value
            out.write(compressor.compress(block))
        out.write(compressor.flush())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputTooLargeError):
        read_input(path, ReadOptions())
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400


# --------------------------------------------------------------------------- fuzzing

EXAMPLES = int(os.environ.get("ALKSEQ_FUZZ_EXAMPLES", "200"))
BASE = good_text().encode()
BODY_START = BASE.index(b"#CHROM")
ALK_LINES = {line.encode() for line in ALK + [MET_AMP]}


def _write(tmp_path_factory, data: bytes) -> Path:
    """One file, rewritten per example: examples run one at a time, and a numbered directory per
    example (``mktemp``) makes a 100,000-example run quadratic (pytest scans them all each time)."""
    directory = tmp_path_factory.getbasetemp() / "vcf-fuzz"
    directory.mkdir(exist_ok=True)
    path = directory / "in.vcf"
    path.write_bytes(data)
    return path


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(BASE) - 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(BASE)), st.binary(min_size=1, max_size=12)),
    st.tuples(st.just("delete"), st.integers(0, len(BASE) - 1), st.integers(1, 40)),
    st.tuples(st.just("truncate"), st.integers(0, len(BASE)), st.just(0)),
    st.tuples(st.just("token"), st.integers(0, len(BASE)),
              st.sampled_from([b"\t", b"\n", b";", b",", b"=", b".", b"|", b"/", b":", b"\r", b"<", b">",
                               b"END=1", b"END=999999999", b"2147483648", b"-1", b"\xff", b"\x00", b"#"])),
)


def _apply(data: bytes, steps) -> bytes:
    for kind, at, arg in steps:
        at = min(at, len(data))
        if kind == "flip" and at < len(data):
            data = data[:at] + bytes([arg]) + data[at + 1:]
        elif kind == "insert" or kind == "token":
            data = data[:at] + arg + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + arg:]
        elif kind == "truncate":
            data = data[:at]
    return data


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_mutated_file_never_raises_a_non_alkseq_error(tmp_path_factory, steps):
    path = _write(tmp_path_factory, _apply(BASE, steps))
    try:
        read_input(path, ReadOptions(input_format="vcf"))
    except AlkseqError as exc:
        assert "\n" not in exc.one_line()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_background_mutations_never_change_the_alk_calls(tmp_path_factory, steps):
    """Mutate only background records: the planted calls must come out unchanged, or the file is refused."""
    lines = BASE[BODY_START:].split(b"\n")
    chrom_line, records = lines[0], [line for line in lines[1:] if line]
    background_part = b"\n".join(r for r in records if r not in ALK_LINES) + b"\n"
    mutated = _apply(background_part, steps)
    if b"#" in mutated or b"\n\n" in mutated:
        mutated = mutated.replace(b"#", b"x").replace(b"\n\n", b"\n")
    data = BASE[:BODY_START] + chrom_line + b"\n" + mutated.rstrip(b"\n") + b"\n" + \
        b"\n".join(r for r in records if r in ALK_LINES) + b"\n"
    path = _write(tmp_path_factory, data)
    try:
        found = names(path)
    except AlkseqError as exc:
        assert "\n" not in exc.one_line()
        return
    for name in EXPECTED:
        assert name in found, (name, found)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b"chr2", b"2", b"chr7", b"chr1", b"chrUn_KI270742v1", b"chr22"]),
                          st.integers(1, 250_000_000), st.integers(1, 3000),
                          st.sampled_from([b"", b"SVTYPE=CNV;END=29300000", b"DP=3"])),
                min_size=1, max_size=60))
def test_fuzz_numpy_and_python_prefilters_agree(records):
    """The vectorised prefilter and the line-by-line one keep the same lines, and drop no overlap."""
    spans = vcf_reader.spans_by_chrom(("GRCh38",))
    prefilter = vcf_reader.Prefilter(spans)
    lines = [b"\t".join([chrom, str(pos).encode(), b".", b"A" * ref_len, b"T", b".", b"PASS", info or b"."])
             for chrom, pos, ref_len, info in records]
    data = b"\n".join(lines) + b"\n" + b"#" * 40          # padding so short inputs take the numpy route
    data = data[:data.rindex(b"\n")]
    python_kept = {n for n, _ in prefilter.lines(data, 0, False)}
    numpy_kept = {n for n, _ in prefilter.lines(data, 0, True)}
    assert python_kept == numpy_kept
    for number, (chrom, pos, ref_len, info) in enumerate(records):
        end = pos + ref_len - 1
        if info.startswith(b"SVTYPE"):
            end = max(end, 29300000)
        ranges = spans.get(chrom.decode())
        if ranges and vcf_reader.overlaps_any(ranges, pos, end):
            assert number in python_kept


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b"chr2", b"2", b"chr7", b"chr12", b"chrX", b"", b"c"]),
                          st.one_of(st.integers(0, 9_999_999_999).map(lambda n: str(n).encode()),
                                    st.integers(29_000_000, 30_000_000).map(lambda n: str(n).encode()),
                                    st.binary(max_size=12)),
                          st.integers(1, 80)),
                min_size=1, max_size=50),
       st.integers(0, 4000), st.integers(0, 4000))
def test_fuzz_prefilter_scan_of_a_slice_matches_lines(records, start, length):
    """``scan(data, start, stop)`` (what the worker threads run, no copy) keeps what ``lines`` keeps on the
    copied slice, in both forms, for any POS bytes (9–10 digits, leading zeros, tabs, junk)."""
    prefilter = vcf_reader.Prefilter(vcf_reader.spans_by_chrom(("GRCh38",)))
    data = b"\n".join(b"\t".join([chrom, pos, b".", b"A" * ref_len, b"T", b".", b"PASS", b"."])
                      for chrom, pos, ref_len in records)
    start = min(start, len(data))
    stop = min(start + length, len(data))
    for big in (False, True):
        kept, count, _blanks = prefilter.scan(data, start, stop, big)
        assert kept == list(prefilter.lines(data[start:stop], 0, big)) and count == prefilter.line_count
