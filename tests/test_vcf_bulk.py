"""Background lines counted a chunk at a time (readers/vcf/bulk.py) give exactly what the per-line path
and full parsing give: every finding, warning and count.

Read both ways: a generated 2k-record panel (``benchmarks/generate.py``, planted findings among
background records) and a file of edge records in and around the known genes — multi-allelic,
filtered, no FORMAT/AF or AF missing / zero / tiny / signed / exponent, indels reaching a shipped
hotspot, the ALK CDS or a gene end, ``END=``/``SVTYPE`` records, non-PASS FILTERs, no FORMAT column,
long REF/ALT/FORMAT texts, CRLF and non-ASCII lines, many FORMAT layouts — as one chunk and as
chunks a few KB long (lines cut across chunk boundaries, chunks scanned in worker threads).
"""
from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from pathlib import Path

import pytest
from test_vcf_background import _header, _positions, _record

from alkseq.genome.transcript import gene_spans, hotspots, load_transcript, ShippedSequence
from alkseq.readers import ReadOptions
from alkseq.readers import vcf as vcf_reader
from alkseq.readers.vcf import background, bulk, containers

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ["GT:AD:DP:AF", "GT:AF", "AF:GT", "GT:AD:DP", "AF", "GT:AF:DP:AF", "GT:AD:AF:DP:F1R2:F2R1:FAD:SB",
           "GT:AD:AF:DP:F1R2:F2R1:FAD:PGT:PID:PS:SB:XX:YY:ZZ:QQ:RR", "GT:FREQ:AF", "DP:AD:GT:AF", "GT"]
AFS = ["0.25", "0", "0.0", "00", ".", "", "1e-50", "-0.0", "+0.5", ".5", "5.", "0.000", "1", "0.0000000000001",
       "0.00000000000000000001", "nan", "0x1", "1_0", " 0.5", "0.1,0.2", "0.12345678901234567", "0.0.0", "0..5", "0.0000000.0", "0.00000000000001", "000000000.0",
       "0.00000000x", "0.0000000;0"]


def _generator():
    spec = importlib.util.spec_from_file_location("alkseq_bench_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edge(rng: random.Random, chrom: str, pos: int) -> str:
    """One record of the kinds the chunk counter must leave alone, count, or count the same way."""
    ref = rng.choice(["A", "C", "GT", "ACGTACGTACGTACGTA", "a", "N", "R", "."])
    shipped = ShippedSequence("GRCh38").fetch(chrom, pos, pos + max(len(ref), 1) - 1)
    ref = shipped or ref                                # REF must match where alkseq ships the sequence
    alt = rng.choice(["T", "G", "AT", "T,G", "TTTTTTTTTTTTTTTTTT", "<DEL>", "*", ".", "t", "A]2:5]"])
    layout = rng.choice(LAYOUTS)
    values = {"GT": rng.choice(["0/1", "1", "./."]), "AD": "10,5", "DP": "15", "AF": rng.choice(AFS), "FREQ": "10%",
              "F1R2": "1,2", "F2R1": "2,1", "FAD": "3,3", "SB": "1,1,1,1", "PGT": "0|1", "PID": "x", "PS": "7"}
    sample = ":".join(values.get(key, "1") for key in layout.split(":"))
    if rng.random() < 0.1:
        sample = sample.split(":")[0]                 # fewer subfields than FORMAT names
    info = rng.choice(["DP=50", "DP=50", ".", f"END={pos + rng.choice([0, 5, 900])}", "SVTYPE=DUP;END=1",
                       "BLENDED=1", "DP=5;NOTE=café", "SVTYPE=Fusion", "SVTYPE=CNV;CN=9"])
    filters = rng.choice(["PASS", "PASS", ".", "", "LowQual", "PASS;x", "pass"])
    columns = [f"chr{chrom}", str(pos), ".", ref, alt, "50", filters, info, layout, sample]
    shape = rng.random()
    if shape < 0.04:
        columns = columns[:8]                           # no FORMAT column
    elif shape < 0.07:
        columns = columns[:9]                           # FORMAT but no sample
    elif shape < 0.1:
        columns.append("0/1:0.4")                       # a second sample after the tumour's
    line = "\t".join(columns)
    return line + "\r" if rng.random() < 0.03 else line


def _af_records(rng: random.Random) -> list[str]:
    """Every AF text under every layout, on plain PASS SNVs in bypass genes and ALK introns: each way of
    reading a VAF (or refusing to) is met many times."""
    spans = [s for s in gene_spans("GRCh38") if s.gene in ("MET", "ALK", "KRAS", "EGFR")]
    out = []
    for af in AFS:
        for layout in LAYOUTS:
            if "AF" not in layout.split(":"):
                continue
            span = rng.choice(spans)
            pos = rng.randint(span.start, span.end)
            ref = ShippedSequence("GRCh38").fetch(span.chrom, pos, pos) or "C"
            values = {"GT": "0/1", "AD": "10,5", "DP": "15", "AF": af, "FREQ": "10%"}
            sample = ":".join(values.get(key, "1") for key in layout.split(":"))
            out.append("\t".join([f"chr{span.chrom}", str(pos), ".", ref, "T" if ref != "T" else "G", "50",
                                  "PASS", "DP=50", layout, sample]))
    return out


def _edge_positions(rng: random.Random) -> list[tuple[str, int]]:
    """Known genes and their ends, ALK CDS reach and shipped hotspots (with indels reaching them)."""
    out = _positions(rng)
    for span in gene_spans("GRCh38"):
        for offset in (-17, -1, 0, 1, span.end - span.start - 1, span.end - span.start, span.end - span.start + 1):
            out.append((span.chrom, span.start + offset))
    for exon in load_transcript("ALK", "GRCh38").exons:
        if exon.cds_start is not None:
            for offset in (-616, -601, -600, -599, -17):
                out.append(("2", exon.cds_start + offset))
    for chrom, pos, _ref, _alt in sorted(hotspots("GRCh38"))[:40]:
        for offset in (-18, -17, -2, -1, 1, 2):
            out.append((chrom, pos + offset))
    return out


def _read_all_ways(path: Path, monkeypatch, options: list[ReadOptions]) -> list[list[str]]:
    """repr of every sample read: chunk counter on, per-line path, and no raw-line counting at all."""
    vectorised = [repr(vcf_reader.read(path, replace(o, vectorised=True))) for o in options]
    per_line = [repr(vcf_reader.read(path, o)) for o in options]
    with monkeypatch.context() as patched:
        patched.setattr(background.Background, "for_file", classmethod(lambda cls, *a: None))
        parsed = [repr(vcf_reader.read(path, o)) for o in options]
    return [vectorised, per_line, parsed]


@pytest.fixture
def counted(monkeypatch):
    """Lines the chunk counter took, per call; the counter runs from the first byte of any size."""
    taken: list[int] = []
    original = bulk.Bulk.classify

    def classify(self, *args):
        lines, tally = original(self, *args)
        taken.append(len(lines))
        assert tally.records == len(lines)
        return lines, tally

    monkeypatch.setattr(bulk.Bulk, "classify", classify)
    monkeypatch.setattr(vcf_reader, "_VECTORISED_MIN_BYTES", 0)
    return taken


@pytest.mark.parametrize("chunk", [None, 5_000])
def test_panel_counts_in_chunks_as_line_by_line(tmp_path, monkeypatch, counted, chunk):
    path = tmp_path / "panel.vcf"
    expected = _generator().write_vcf(path, 2_000, "panel", seed=7)
    if chunk:
        monkeypatch.setattr(containers, "_CHUNK", chunk)
        monkeypatch.setattr(vcf_reader, "_NUMPY_MIN_BYTES", 0)      # chunks scanned in worker threads
    options = [ReadOptions(), ReadOptions(include_filtered=True), ReadOptions(sample="TUMOR")]
    vectorised, per_line, parsed = _read_all_ways(path, monkeypatch, options)
    assert vectorised == per_line == parsed
    (sample,) = vcf_reader.read(path, ReadOptions(vectorised=True))
    names = [a.name for a in sample.alterations]
    assert all(any(n.startswith(name) for n in names) for name in expected), names
    assert sum(counted) > 1_500 * len(options)          # most background lines never reached the per-line path


def test_a_genome_is_not_counted_in_bulk(tmp_path, monkeypatch, counted):
    """A sparse chunk (a genome's: ~0.1 % of lines in a gene) keeps the prefilter's cheap path: reading
    every line's columns there cost ~40 MB and a fifth of the streamed genome's time, for nothing."""
    path = tmp_path / "genome.vcf"
    expected = _generator().write_vcf(path, 20_000, "genome", seed=5)
    vectorised, per_line, parsed = _read_all_ways(path, monkeypatch, [ReadOptions()])
    assert vectorised == per_line == parsed
    (sample,) = vcf_reader.read(path, ReadOptions(vectorised=True))
    names = [a.name for a in sample.alterations]
    assert all(any(n.startswith(name) for n in names) for name in expected), names
    assert counted == []                                # the chunk counter was never asked
    panel = tmp_path / "panel.vcf"
    _generator().write_vcf(panel, 2_000, "panel", seed=7)
    vcf_reader.read(panel, ReadOptions(vectorised=True))
    assert sum(counted) > 1_500                         # a dense chunk still is


@pytest.mark.parametrize("seed", [1, 2])
def test_edge_records_count_in_chunks_as_line_by_line(tmp_path, monkeypatch, counted, seed):
    rng = random.Random(seed)
    positions = _edge_positions(rng)
    records = [_edge(rng, chrom, pos) for chrom, pos in positions] + \
        [_record(rng, chrom, pos) for chrom, pos in positions] + _af_records(rng)
    records = sorted(set(records), key=lambda r: (r.split("\t")[0], int(r.split("\t")[1])))
    options = [ReadOptions(), ReadOptions(include_filtered=True), ReadOptions(build="GRCh38")]
    for chunk in (None, 3_000):
        for af_type, dp_type in (("Float", "Integer"), ("Float", "Float"), ("String", "Integer")):
            path = tmp_path / f"edge_{af_type}_{dp_type}.vcf"
            path.write_bytes((_header(af_type, dp_type, False) + "\n".join(records) + "\n").encode())
            with monkeypatch.context() as patched:
                if chunk:
                    patched.setattr(containers, "_CHUNK", chunk)
                    patched.setattr(vcf_reader, "_NUMPY_MIN_BYTES", 0)
                vectorised, per_line, parsed = _read_all_ways(path, monkeypatch, options)
            assert vectorised == per_line == parsed, (af_type, dp_type, chunk)
    assert sum(counted) > 1_000                          # the counter took lines, and (below) left some
    assert len(records) * 12 * 2 > sum(counted)


def test_a_line_that_is_not_utf8_fails_the_same_way(tmp_path, monkeypatch, counted):
    """A background line the per-line path would refuse (not UTF-8) is refused, not counted."""
    from alkseq.errors import InputError

    path = tmp_path / "panel.vcf"
    _generator().write_vcf(path, 2_000, "panel", seed=7)
    lines = path.read_bytes().split(b"\n")
    middle = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].count(b"\t") == 9)
    fields = lines[middle].split(b"\t")
    fields[7] += b";NOTE=\xff"
    lines[middle] = b"\t".join(fields)
    path.write_bytes(b"\n".join(lines))
    errors = []
    for options in (ReadOptions(vectorised=True), ReadOptions()):
        with pytest.raises(InputError) as caught:
            vcf_reader.read(path, options)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "not UTF-8" in errors[0]
    assert sum(counted) > 1_000


def test_a_small_annotate_does_not_import_numpy(tmp_path):
    """The chunk counter is for callers that pay for numpy anyway: ``alkseq annotate`` of a small file
    (or one just over the vectorised size) reads without it."""
    import subprocess
    import sys

    path = tmp_path / "panel.vcf"
    _generator().write_vcf(path, 2_000, "panel", seed=7)
    code = ("import sys; from alkseq.readers import ReadOptions, read_input; "
            f"read_input({str(path)!r}, ReadOptions()); print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("seed", range(6))
def test_chunk_columns_find_the_words_and_bytes_a_regex_finds(seed):
    """``prefilter._columns`` reads END and SVTYPE from the chunk's E bytes, and the CR and non-ASCII bytes
    apart from the marks: the same offsets as a regex search and a byte test, on chunks made of the
    look-alikes (ENDEND, SVTYPEND, SVTYP without its E, E at either end, BLENDED, END= and END;)."""
    import re

    import numpy as np

    from alkseq.readers.vcf import prefilter

    rng = random.Random(seed)
    pieces = [b"END", b"END=", b"SVTYPE", b"SVTYP", b"VTYPE", b"ENDEND", b"SVTYPEND", b"BLENDED", b"E", b"N", b"D",
              b"\t", b":", b"\n", b"\r", b"A", b"1", b"\xc3\xa9", b"ENDS", b"SSVTYPE"]
    data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 400)))
    a = np.frombuffer(data, dtype=np.uint8)
    newline = a == 10
    ends = np.flatnonzero(newline)
    ended = data.endswith(b"\n")
    if not ended:
        ends = np.append(ends, len(a))
    begins = np.concatenate([[0], ends[:-1] + 1])
    columns = prefilter._columns(np, a, newline, begins, ends, ended, bulk.Bulk)
    end_words = [m.start() for m in re.finditer(rb"END", data)]
    words = sorted(end_words + [m.start() for m in re.finditer(rb"SVTYPE", data)])
    assert columns.ends_words.tolist() == end_words
    assert columns.words.tolist() == words
    assert sorted(columns.odd.tolist()) == [i for i, byte in enumerate(data) if byte == 13 or byte > 127]
    marks = [i for i, byte in enumerate(data) if byte in (9, 10, 58)] + ([] if ended else [len(data)])
    assert columns.marks.tolist() == marks
    assert columns.kinds.tolist() == [data[i] if i < len(data) else 10 for i in marks]


def test_a_scan_reads_the_newline_past_its_stop_as_the_cut_copy(tmp_path):
    """A chunk scanned up to (not over) the newline that ends its last line gives what the same lines
    cut out as their own bytes give: the kept lines, the line and blank counts, and the bulk counts."""
    import numpy as np  # noqa: F401 — the numpy scan

    from alkseq.readers.vcf.header import Header, TextHeader
    from alkseq.readers.vcf.prefilter import Prefilter, spans_by_chrom

    path = tmp_path / "panel.vcf"
    _generator().write_vcf(path, 2_000, "panel", seed=3)
    text = path.read_bytes()
    head_end = text.index(b"\n", text.index(b"#CHROM")) + 1
    lines = text[:head_end].decode().rstrip("\n").split("\n")
    header = Header.parse("\n".join(lines) + "\n")
    spans = spans_by_chrom(("GRCh38",))
    body = text[head_end:]
    assert body.endswith(b"\n")

    def scan(data, start, stop):
        counter = bulk.Bulk(background.Background("GRCh38", header, TextHeader(lines), 0, False), spans)
        kept, count, blanks, (records, tally) = Prefilter(spans).scan(data, start, stop, True, counter)
        return kept, count, blanks, records, (tally.records, tally.filtered, tally.not_in_tumour, tally.noncoding,
                                              tally.bypass)

    cut = body.rindex(b"\n", 0, len(body) - 1)       # the last line's newline, and the one before it
    assert scan(body, 0, len(body) - 1) == scan(body[:-1], 0, len(body) - 1)
    assert scan(body, 0, cut) == scan(body[:cut], 0, cut)
    kept, lines_read, _blanks, records, _tally = scan(body, 0, len(body) - 1)
    assert lines_read == body.count(b"\n")            # every line, the last one too, none blank
    assert 1_000 < records < lines_read and len(kept) < 100    # most lines counted, a few left to parse
