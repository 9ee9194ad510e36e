"""One generated genome VCF read every way alkseq can read it must give the same findings.

Paths: tabix-indexed .vcf.gz, streamed BGZF .vcf.gz (no index), plain .vcf (Python line
prefilter), plain .vcf through the numpy prefilter, plain gzip, and BCF (htslib decodes, the text
parser reads): CSI-indexed, streamed through the record-header loop and through the numpy record chain,
BGZF and uncompressed (bcftools makes them; CI has it, a developer clone without it skips). The file comes from ``benchmarks/generate.py`` (planted ALK, MET and
EML4-ALK records among random background records).
"""
from __future__ import annotations

import gzip
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_tool

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


def test_isal_and_zlib_inflate_give_the_same_bytes_and_report(genome, tmp_path, monkeypatch):
    """BGZF blocks are inflated by ISA-L when ``isal`` is installed, else by zlib: the same text, the same
    report, and a corrupt block is the same one-line error either way."""
    from alkseq.errors import InputError
    from alkseq.readers.vcf import containers

    _plain, gz, _ = genome
    streamed = tmp_path / "streamed.vcf.gz"
    shutil.copy(gz, streamed)
    assert containers.raw_inflate()[0].__module__.startswith("isal")     # the test environment has isal
    text = b"".join(containers.bgzf_chunks(streamed))
    assert text == gzip.decompress(gz.read_bytes())
    report = _report_json(streamed, prior=["alectinib"])
    corrupt = tmp_path / "corrupt.vcf.gz"
    data = bytearray(gz.read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = bytes(64)                # inside some block's deflate data
    corrupt.write_bytes(bytes(data))
    errors = {}
    for use_isal in (True, False):
        monkeypatch.setattr(containers, "_USE_ISAL", use_isal)
        assert (containers.raw_inflate()[0].__module__ == "zlib") is not use_isal
        assert b"".join(containers.bgzf_chunks(streamed)) == text
        assert _report_json(streamed, prior=["alectinib"]) == report
        with pytest.raises(InputError) as caught:
            b"".join(containers.bgzf_chunks(corrupt))
        assert "corrupt BGZF" in str(caught.value)
        errors[use_isal] = str(caught.value).split(":")[0]
    assert errors[True] == errors[False]


def test_bgzf_blocks_with_other_extra_subfields_read_the_same(genome, tmp_path):
    """Block headers other than bgzip's own (XLEN 6, the BC subfield alone) go the general way: a BGZF
    file whose blocks carry another subfield before BC inflates to the same text."""
    import struct

    from alkseq.readers.vcf import containers

    _plain, gz, _ = genome
    data, offset, blocks = gz.read_bytes(), 0, []
    while offset < len(data):
        bsize = struct.unpack_from("<H", data, offset + 16)[0] + 1
        payload = data[offset + 18:offset + bsize]                     # deflate data, CRC32, ISIZE
        extra = b"XY\x02\x00ab" + b"BC\x02\x00" + struct.pack("<H", 12 + 12 + len(payload) - 1)
        blocks.append(data[offset:offset + 10] + struct.pack("<H", len(extra)) + extra + payload)
        offset += bsize
    other = tmp_path / "other.vcf.gz"
    other.write_bytes(b"".join(blocks))
    assert b"".join(containers.bgzf_chunks(other)) == gzip.decompress(data)


def test_threaded_prefilter_over_many_chunks_matches_the_loop(genome, tmp_path, monkeypatch):
    """The numpy prefilter scanning chunks in worker threads (the cut line joined in the main thread)
    gives the findings, origin lines and counts of the line-by-line loop, with chunks a few KB long so
    that hundreds of boundaries fall inside lines; blank lines are counted across boundaries too."""
    from alkseq.readers.vcf import containers

    plain, gz, _ = genome
    streamed = tmp_path / "streamed.vcf.gz"
    shutil.copy(gz, streamed)
    text = plain.read_bytes()
    cut = text.index(b"\n", text.index(b"\n#CHROM") + 5000)           # blank lines early in the body
    blanks = tmp_path / "blanks.vcf"
    blanks.write_bytes(text[:cut] + b"\n\n\r" + text[cut:])

    def everything(path):
        (sample,) = read_input(path, ReadOptions())
        return (sorted((a.name, a.vaf, a.origin.line if a.origin else None) for a in sample.alterations),
                sample.metadata["records_in_known_genes"], [w for w in sample.warnings if "blank" in w])

    loop = everything(plain)
    loop_blanks = everything(blanks)
    assert loop_blanks[2] and loop_blanks[0] != loop[0]                # the blank lines shift origin lines
    monkeypatch.setattr(containers, "_GROUP_BYTES", 2048)
    monkeypatch.setattr(containers, "_CHUNK", 4096)
    monkeypatch.setattr(vcf_reader, "_NUMPY_MIN_BYTES", 0)
    assert everything(plain) == loop
    assert everything(blanks) == loop_blanks
    assert everything(streamed) == loop


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
    spans = vcf_reader.spans_by_chrom(("GRCh38",))
    prefilter = vcf_reader.Prefilter(spans)
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
        if ranges and vcf_reader.overlaps_any(ranges, int(pos), end):
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
            "from alkseq.readers.vcf.collect import pysam_tabix\n"
            "tabix = pysam_tabix()\n"
            "assert 'pysam.libcalignmentfile' not in sys.modules, 'loaded more than tabix'\n"
            "import pysam\n"
            "assert pysam.libctabix is tabix and pysam.TabixFile is tabix.TabixFile\n"
            "assert pysam.AlignmentFile and pysam.FastaFile and pysam.VariantFile\n"
            "assert pysam_tabix() is tabix\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    bcf = ("import sys\n"
           "from alkseq.readers.vcf.collect import pysam_extension\n"
           "libcbcf = pysam_extension('libcbcf')\n"
           "assert 'pysam.libcalignmentfile' not in sys.modules, 'loaded more than the BCF extension'\n"
           "import pysam\n"
           "assert pysam.libcbcf is libcbcf and pysam.VariantFile is libcbcf.VariantFile\n"
           "assert pysam.utils.SamtoolsError and pysam.AlignmentFile and pysam.TabixFile\n")
    result = subprocess.run([sys.executable, "-c", bcf], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_extension_load_leaves_tempfile_to_whoever_uses_it():
    """``libcutils`` binds ``tempfile`` (and with it shutil, random, bz2, lzma) and ``string`` for pysam's
    command dispatch, which alkseq never calls: the load registers nothing of them, a later ``import``
    gets the real module, and pysam's own dispatch (``pysam.idxstats``: it captures output in a
    temporary file) still works through the stand-in."""
    code = ("import sys\n"
            "from alkseq.readers.vcf import collect\n"
            "family = {'tempfile', 'shutil', 'random', 'bz2', 'lzma', 'string'}\n"
            "for name in family:\n"               # an editable install's import hook may have loaded them
            "    sys.modules.pop(name, None)\n"
            "collect.pysam_extension('libcbcf')\n"
            "assert not family & set(sys.modules), sorted(family & set(sys.modules))\n"
            "assert type(sys.modules['pysam.libcutils'].tempfile) is collect._Deferred\n"
            "assert type(sys.modules['pysam.libcutils'].string) is collect._Deferred\n"
            "import tempfile, types\n"
            "assert type(tempfile) is types.ModuleType and tempfile.mkstemp and sys.modules['tempfile'] is tempfile\n"
            "import string\n"
            "assert type(string) is types.ModuleType and sys.modules['string'] is string\n"
            "assert sys.modules['pysam.libcutils'].string.ascii_letters is string.ascii_letters\n"
            "import pysam\n"
            "out = pysam.idxstats(sys.argv[1])\n"
            "assert out.startswith('chr2') or 'chr2' in out, out\n"
            "assert pysam.libcutils.tempfile.mkstemp is tempfile.mkstemp\n")
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "phasing" / "cis.bam")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- BCF fast paths

def _report_json(path, **options) -> str:
    """The whole JSON report, with the input's path and format taken out (they differ by design)."""
    from alkseq.api import annotate
    from alkseq.report import json_writer

    reports = annotate(path, **options)
    text = json_writer.render(reports)
    return text.replace(str(path), "INPUT").replace('"format": "bcf"', '"format": "vcf"')


@pytest.fixture(scope="module")
def genome_bcf(genome, tmp_path_factory):
    """The same genome as BGZF BCF with a CSI index, BGZF BCF without one, and uncompressed BCF (bcftools)."""
    _plain, gz, _ = genome
    bcftools = require_tool("bcftools")
    directory = tmp_path_factory.mktemp("bcf")
    made = {name: directory / name for name in ("indexed.bcf", "streamed.bcf", "uncompressed.bcf")}
    for name in ("indexed.bcf", "streamed.bcf"):
        subprocess.run([bcftools, "view", "-Ob", "-o", str(made[name]), str(gz)], check=True)
    made["uncompressed.bcf"].write_bytes(gzip.decompress(made["streamed.bcf"].read_bytes()))   # raw BCF, no BGZF
    subprocess.run([bcftools, "index", "-c", str(made["indexed.bcf"])], check=True)
    assert (directory / "indexed.bcf.csi").is_file() and made["uncompressed.bcf"].read_bytes()[:3] == b"BCF"
    return made


def test_bcf_every_path_gives_the_text_report(genome, genome_bcf, monkeypatch):
    """Text VCF and BCF, indexed and streamed, loop and numpy chain: one report, byte for byte."""
    _plain, gz, _ = genome
    reference = _report_json(gz, prior=["alectinib"])
    for name, path in genome_bcf.items():
        (sample,) = read_input(path, ReadOptions())
        assert sample.metadata["mode"] == ("indexed" if name == "indexed.bcf" else "streamed"), name
        assert _report_json(path, prior=["alectinib"]) == reference, name
    monkeypatch.setattr(vcf_reader, "_NUMPY_MIN_BYTES", 0)          # the numpy record chain
    for name in ("streamed.bcf", "uncompressed.bcf"):
        assert _report_json(genome_bcf[name], prior=["alectinib"]) == reference, name


def _inflated_body(path):
    import struct

    data = path.read_bytes()
    return data, 9 + struct.unpack_from("<I", data, 5)[0]


def test_bcf_record_chain_matches_the_loop_and_falls_back(genome_bcf):
    """The numpy chain finds exactly the records the loop walks; a record it cannot see makes it give up
    (None), and ``survivors`` then answers with the loop."""
    import pysam

    from alkseq.readers.vcf.bcf import BcfTable

    path = genome_bcf["uncompressed.bcf"]
    with pysam.VariantFile(str(path)) as handle:
        names = {contig.id: name for name, contig in handle.header.contigs.items()}
    table = BcfTable(names, vcf_reader.spans_by_chrom(("GRCh38",)))
    data, start = _inflated_body(path)
    looped = table._loop(data, start, path)
    chained = table._chain(data, start)
    assert chained is not None and chained == looped and looped[0]
    assert looped[1] == len(data)
    # hide one record from the candidate test (its sample count no longer matches the first record's)
    hidden = bytearray(data)
    middle = start
    for _ in range(1000):
        middle += 8 + int.from_bytes(hidden[middle:middle + 4], "little") + \
            int.from_bytes(hidden[middle + 4:middle + 8], "little")
    hidden[middle + 28] ^= 0x7F
    hidden = bytes(hidden)
    assert table._chain(hidden, start) is None
    assert table.survivors(hidden, start, True, path) == looped


@pytest.mark.parametrize("name, chunk", [("streamed.bcf", None), ("uncompressed.bcf", 37),
                                         ("uncompressed.bcf", 1000), ("uncompressed.bcf", 4099)])
def test_bcf_chains_found_per_chunk_match_the_loop(genome_bcf, monkeypatch, name, chunk):
    """Record starts found per chunk before its first record is known (``BcfTable.prepare``, in the
    inflating threads) and linked to the record carried over from the chunk before give the loop's
    survivors, with chunks so small that boundaries fall inside records and inside their 8-byte
    length headers (one BGZF block a chunk, or plain chunks of a few bytes: records span several)."""
    from alkseq.readers.vcf import bcf, containers
    from alkseq.readers.vcf.header import TextHeader

    path = genome_bcf[name]
    with bcf.open_bcf(path) as handle:
        lines = str(handle.header).rstrip("\n").split("\n")
        names = {contig.id: name for name, contig in handle.header.contigs.items()}
    spans = vcf_reader.spans_by_chrom(("GRCh38",))

    def texts(numpy_min_bytes):
        return list(bcf._streamed_texts(path, names, spans, TextHeader(lines), numpy_min_bytes))

    looped = texts(1 << 60)
    answered = []                       # per chunk: did a prepared chain answer (else the main-thread walk)
    prepared, walked = bcf.PreparedChunk.survivors, bcf.BcfTable.survivors

    def chained(self, *args):
        found = prepared(self, *args)
        if found is not None:
            answered.append(True)
        return found

    def walk(self, *args):
        answered.append(False)
        return walked(self, *args)

    monkeypatch.setattr(bcf.PreparedChunk, "survivors", chained)
    monkeypatch.setattr(bcf.BcfTable, "survivors", walk)
    monkeypatch.setattr(bcf, "_VECTOR_MIN_BYTES", 0)
    monkeypatch.setattr(containers, "_GROUP_BYTES", 2048)
    if chunk:
        monkeypatch.setattr(containers, "_CHUNK", chunk)
    assert texts(0) == looped and len(looped) > 50
    if chunk != 37:                     # 37-byte chunks are shorter than the prepared test reads
        assert len(answered) > 50 and sum(answered) > 0.9 * len(answered), (len(answered), sum(answered))


def test_bcf_prepared_chains_fall_back_on_other_format_counts_and_hidden_records(genome_bcf):
    """Records whose FORMAT count differs from the first record's break the exact chain: the chain made
    from the sample count alone (pruned, its first records walked) answers instead; a record neither
    test sees (its sample count changed) leaves both without an answer from before it, and
    ``survivors`` walks the chunk instead. Every answer is the loop's."""
    import pysam

    from alkseq.readers.vcf.bcf import BcfTable

    path = genome_bcf["uncompressed.bcf"]
    with pysam.VariantFile(str(path)) as handle:
        names = {contig.id: name for name, contig in handle.header.contigs.items()}
    table = BcfTable(names, vcf_reader.spans_by_chrom(("GRCh38",)))
    prepare = table.vectorised()
    data, start = _inflated_body(path)
    table.key = int.from_bytes(data[start + 28:start + 32], "little")

    def starts(offset, records):
        found = [offset]
        for _ in range(records):
            offset += 8 + int.from_bytes(data[offset:offset + 4], "little") + \
                int.from_bytes(data[offset + 4:offset + 8], "little")
            found.append(offset)
        return found

    def answer(chunk, offset):
        chains = prepare(chunk)
        found = [chain.survivors(chunk, offset, table, path) for chain in chains]
        return len(chains), next((f for f in found if f is not None), None)

    records = starts(starts(start, 6000)[-1], 20_000)     # 20,000 records of one FORMAT layout
    data = data[records[0] - 40:records[-1] + 50]         # after 40 bytes of the one before, 50 of the next
    records = [offset - records[0] + 40 for offset in records]
    start = records[0]
    looped = table._loop(data, start, path)
    assert len(looped[0]) >= 10 and looped[1] == records[-1]
    assert answer(data, start) == (1, looped)
    for step in (2, 10, 333):                             # other FORMAT counts from the 1,000th record on
        mixed = bytearray(data)
        for offset in records[1000:-1:step]:
            mixed[offset + 31] ^= 0x7F
        mixed = bytes(mixed)
        mixed_loop = table._loop(mixed, start, path)
        assert len(mixed_loop[0]) == len(looped[0]) and mixed_loop[1] == looped[1]
        assert answer(mixed, start) == (2, mixed_loop), step
    hidden = bytearray(data)
    hidden[records[1000] + 28] ^= 0x7F                    # its sample count
    hidden = bytes(hidden)
    assert answer(hidden, start)[1] is None
    assert answer(hidden, records[1001])[1] == table._loop(hidden, records[1001], path)
    assert table.survivors(hidden, start, True, path) == looped


@pytest.mark.shared
def test_bcf_prepared_chains_keep_every_record_of_real_files(tmp_path, monkeypatch):
    """Real BCFs (htslib, htsjdk, cyvcf2, whatshap, hap.py test files: 0 to 7 samples, FORMAT fields
    that differ from record to record) and multi-sample VCFs converted by bcftools: with every record
    kept and one BGZF block a chunk, the prepared chains give the loop's records, text for text."""
    from conftest import shared_path

    from alkseq.readers.vcf import bcf, containers
    from alkseq.readers.vcf.header import TextHeader

    bcftools = require_tool("bcftools")
    vcf = shared_path("vcf")
    real = vcf / "outside" / "realworld"
    paths = [vcf / "htslib_test" / "tabix__vcf_file.bcf", real / "cyvcf2/cyvcf2/tests/multi-contig.bcf",
             real / "cyvcf2/cyvcf2/tests/test.snpeff.bcf", real / "hap.py/example/happy/pg-hg38.bcf",
             real / "htsjdk/src/test/resources/htsjdk/variant/BCFVersion22Uncompressed.bcf",
             real / "whatshap/tests/data/haplotag_2.bcf"]
    for name in ("pyvcf_test/gatk.vcf", "vcf2maf_tests/test_mutect.vcf"):
        converted = tmp_path / (name.replace("/", "_") + ".bcf")
        subprocess.run([bcftools, "view", "-Ob", "-o", str(converted), str(vcf / name)], check=True,
                       capture_output=True)
        paths.append(converted)

    def texts(path, numpy_min_bytes):
        with bcf.open_bcf(path) as handle:
            lines = str(handle.header).rstrip("\n").split("\n")
            names = [name for name, _contig in handle.header.contigs.items()]
            rids = {contig.id: name for name, contig in handle.header.contigs.items()}
        spans = {name: [(1, 1 << 31)] if number % 2 else [(1, 1000), (5000, 20_000), (60_000, 1 << 31)]
                 for number, name in enumerate(names)}
        return list(bcf._streamed_texts(path, rids, spans, TextHeader(lines), numpy_min_bytes))

    looped = {path: texts(path, 1 << 60) for path in paths}
    assert sum(map(len, looped.values())) > 50_000
    monkeypatch.setattr(bcf, "_VECTOR_MIN_BYTES", 0)
    monkeypatch.setattr(containers, "_GROUP_BYTES", 2048)
    monkeypatch.setattr(containers, "_CHUNK", 1000)
    for path in paths:
        assert texts(path, 0) == looped[path], path.name


def test_bcf_truncated_and_corrupt_records_are_one_line_errors(genome_bcf, tmp_path):
    from alkseq.errors import InputError

    source = genome_bcf["uncompressed.bcf"].read_bytes()
    cut = tmp_path / "cut.bcf"
    cut.write_bytes(source[:len(source) - 7])
    with pytest.raises(InputError, match="cut short") as caught:
        read_input(cut, ReadOptions())
    assert "cut.bcf" in str(caught.value)
