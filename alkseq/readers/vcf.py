"""VCF / VCF.gz / BCF reader (VCF 4.1–4.5; Mutect2, Strelka2, VarScan2, VarDict, Ion Reporter …).

Only records in the genes alkseq knows are looked at: with a .tbi/.csi index those gene
regions are queried, otherwise the file is streamed and everything else is skipped by an
integer comparison. ALK changes are translated offline on NM_004304.5 (``alkseq.genome``),
bypass-gene changes come from the shipped hotspot table or from VEP CSQ / snpEff ANN
annotations, fusions from breakends / INV / Ion Reporter ``Fusion`` records, copy number
from CN / log2 fields. Bad input is an ``InputError`` naming the file and record.

Copy-number conventions (no published source is claimed for them; they are defaults):
absolute CN >= ``ReadOptions.amp_threshold`` (default 6.0) → ``amplification``; 3 <= CN <
threshold → ``gain``; CN < 0.5 → ``deletion`` (homozygous); 0.5 <= CN < 1.5 → ``loss``;
anything else is copy-neutral and not reported. A log2 ratio is turned into CN as
2 × 2^log2 (diploid, no purity correction). ``focal`` = segment shorter than 10 Mb.
"""
from __future__ import annotations

import math
import re
import warnings as warnings_module
from dataclasses import dataclass, field, replace
from pathlib import Path

from alkseq.errors import BuildMismatchError, InputError, InputTooLargeError, ParseError
from alkseq.model import (Alteration, Compound, GenomicVariant, Origin, PhaseEvidence, PhaseTag,
                          ProteinChange)
from alkseq.readers import ReadOptions, SampleData

FORMAT = "vcf"
FOCAL_MAX_BP = 10_000_000
GAIN_MIN_CN = 3.0
DELETION_MAX_CN = 0.5
LOSS_MAX_CN = 1.5
FUSION_KINASES = ("ALK", "ROS1", "RET", "NTRK1", "BRAF", "MET", "FGFR1")

_MISSING_INT = -2147483640
_BND = re.compile(r"^(?:[A-Za-z.]*)[\[\]](?P<chrom>[^:\[\]]+):(?P<pos>\d+)[\[\]](?:[A-Za-z.]*)$")
_ION_FUSION_ID = re.compile(r"^(?P<g5>[A-Za-z0-9]+)-(?P<g3>[A-Za-z0-9]+)\.(?P<e5>[A-Za-z]+\d+[a-z]?)"
                            r"(?:(?:del|ins)\d+)?(?P<e3>[A-Za-z]+\d+[a-z]?)")
_CONTIG_LENGTHS = {  # chr1 and chr2 lengths of each build
    249250621: "GRCh37", 243199373: "GRCh37", 248956422: "GRCh38", 242193529: "GRCh38"}
_INFO_KEYS = ("SVTYPE", "END", "CN", "MATEID", "CHR2", "GENE_NAME", "EXON_NUM", "READ_COUNT", "AF", "DP",
              "FOLD_CHANGE_LOG", "LOG2", "CSQ", "ANN", "TVAF", "TDP", "FAO", "FDP", "AO", "SVLEN")
_FORMAT_KEYS = ("AD", "AF", "DP", "FA", "FREQ", "RD", "TIR", "TAR", "AU", "CU", "GU", "TU", "FAO", "FDP",
                "AO", "RO", "CN", "PS", "PGT", "PID", "ADT", "DPT", "VF")


def sniff(head: bytes, path) -> bool:
    """A VCF by content: its ``##fileformat=VCF`` line, or BCF magic after decompression."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"##fileformat=VCF") or head[:4] == b"BCF\x02"


# --------------------------------------------------------------------------- plain records

@dataclass
class _Call:
    """One VCF record reduced to plain Python values (tumour sample only)."""

    chrom: str
    pos: int
    end: int
    ident: str | None
    ref: str
    alts: list[str]
    filters: str | None
    info: dict
    fmt: dict
    genotype: list[int]
    phased: bool
    line: int | None
    record: int

    def where(self, path: str) -> str:
        return f"{path}:{self.line}" if self.line else f"{path} record {self.record} ({self.chrom}:{self.pos})"


def _clean(value):
    """cyvcf2/numpy value → plain Python, with VCF missing markers as None."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value <= _MISSING_INT:
        return None
    if isinstance(value, str) and value in (".", ""):
        return None
    return value


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [_clean(v) for v in value.split(",")]
    return [value]


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    return None if math.isnan(number) else number


# --------------------------------------------------------------------------- header

@dataclass
class _Header:
    lines: list[str]
    format_ids: set[str]
    info_ids: set[str]
    csq_fields: list[str] = field(default_factory=list)
    ann_fields: list[str] = field(default_factory=list)
    tumor_sample: str | None = None
    source: str = ""

    @classmethod
    def parse(cls, raw: str) -> "_Header":
        lines = raw.rstrip("\n").split("\n")
        format_ids = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", raw, re.M))
        info_ids = set(re.findall(r"^##INFO=<ID=([^,>]+)", raw, re.M))
        header = cls(lines, format_ids, info_ids)
        for line in lines:
            if line.startswith("##INFO=<ID=CSQ,"):
                match = re.search(r"Format: ([^\"]+)", line)
                header.csq_fields = match.group(1).strip().split("|") if match else []
            elif line.startswith("##INFO=<ID=ANN,"):
                match = re.search(r"'([^']+)'", line) or re.search(r"Functional annotations: ([^\"]+)", line)
                header.ann_fields = [f.strip() for f in match.group(1).split("|")] if match else []
            elif line.lower().startswith("##tumor_sample="):
                header.tumor_sample = line.split("=", 1)[1].strip()
            elif line.startswith("##source="):
                header.source += line.split("=", 1)[1].strip('"') + " "
        return header

    def build(self) -> tuple[str | None, str]:
        """(build, why) from ##contig lengths, then assembly= tags, then ##reference."""
        for line in self.lines:
            match = re.match(r"##contig=<ID=(?:chr)?([12]),.*?length=(\d+)", line)
            if match and int(match.group(2)) in _CONTIG_LENGTHS:
                return _CONTIG_LENGTHS[int(match.group(2))], f"##contig length of chr{match.group(1)}"
        for line in self.lines:
            lower = line.lower()
            if lower.startswith(("##assembly", "##reference", "##contig")) or "assembly=" in lower:
                if re.search(r"grch38|hg38|\bb38\b|hs38|38\.fa", lower):
                    return "GRCh38", line.split(",")[0][:80]
                if re.search(r"grch37|hg19|\bb37\b|hs37|human_g1k_v37|/b37/|37\.fa", lower):
                    return "GRCh37", line.split(",")[0][:80]
        return None, ""


# --------------------------------------------------------------------------- containers

_EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_CHUNK = 1 << 22             # bytes of text handled at a time when streaming (constant memory)
_NUMPY_MIN_BYTES = 16 << 20  # below this the prefilter is a plain Python loop (no numpy import)


def _container(path: Path) -> str:
    """'bgzf', 'gzip', 'bcf' (BGZF or raw) or 'plain', by magic bytes; other compressions are refused."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(18)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from None
    from alkseq.readers._text import refuse_unsupported_compression

    refuse_unsupported_compression(magic, path, "alkseq reads plain VCF, bgzip/gzip VCF and BCF")
    if magic[:3] == b"BCF":
        return "bcf"
    if magic[:2] == b"\x1f\x8b":
        if _head_is_bcf(path):
            return "bcf"
        return "bgzf" if magic[3:4] == b"\x04" and magic[12:14] == b"BC" else "gzip"
    return "plain"


def _check_bgzf_eof(path: Path) -> None:
    """A BGZF file must end with the 28-byte EOF block; without it the file was truncated."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(18)
            if head[:4] != b"\x1f\x8b\x08\x04" or head[12:14] != b"BC":
                return  # plain gzip or not compressed: nothing to check
            handle.seek(0, 2)
            if handle.tell() < 28:
                raise InputError("truncated BGZF file (shorter than one block)", path=str(path))
            handle.seek(-28, 2)
            tail = handle.read(28)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if tail != _EOF_BLOCK:
        raise InputError("truncated BGZF file (no end-of-file block)", path=str(path),
                         hint="the file was cut short; re-copy or re-run bgzip")


def _head_is_bcf(path: Path) -> bool:
    import zlib

    with open(path, "rb") as handle:
        raw = handle.read(4096)
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)[:3] == b"BCF"
    except zlib.error:
        return False


def _plain_chunks(path: Path):
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_CHUNK)
            if not data:
                return
            yield data


def _gzip_chunks(path: Path):
    """Plain (multi-member) gzip, streamed with constant memory (output capped per step)."""
    import zlib

    def fail(exc):
        return InputError(f"corrupt gzip data: {exc}", path=str(path))

    with open(path, "rb") as handle:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        started = False
        raw = b""
        while True:
            if not raw:
                raw = handle.read(1 << 20)
                if not raw:
                    break
            started = True
            try:
                data = inflater.decompress(raw, _CHUNK)
                if data:
                    yield data
                while inflater.unconsumed_tail:
                    data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                    if data:
                        yield data
            except zlib.error as exc:
                raise fail(exc) from None
            raw = b""
            if inflater.eof:
                rest = inflater.unused_data
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                started = False
                if rest[:2] == b"\x1f\x8b":
                    raw = rest          # the next gzip member
                elif rest.strip(b"\0"):
                    raise InputError("data after the end of the gzip stream", path=str(path))
        if started and not inflater.eof:
            raise InputError("truncated gzip file (unexpected end of data)", path=str(path),
                             hint="the file was cut short; re-copy it")


def _bgzf_chunks(path: Path, threads: int = 2):
    """BGZF blocks inflated in worker threads (zlib releases the GIL), in order, a few MB at a time."""
    import struct
    import zlib
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    def inflate(blocks: list[bytes]) -> bytes:
        out = []
        for block in blocks:
            out.append(zlib.decompress(block, -15))
        return b"".join(out)

    def groups(handle):
        buffer = b""
        while True:
            raw = handle.read(1 << 20)
            buffer += raw
            blocks, offset = [], 0
            while len(buffer) - offset >= 18:
                if buffer[offset:offset + 4] != b"\x1f\x8b\x08\x04":
                    raise InputError("corrupt BGZF block", path=str(path),
                                     hint="not a bgzip file throughout; re-run bgzip")
                xlen = struct.unpack_from("<H", buffer, offset + 10)[0]
                extra = buffer[offset + 12:offset + 12 + xlen]
                bsize, at = None, 0
                while at + 4 <= len(extra):
                    sub_len = struct.unpack_from("<H", extra, at + 2)[0]
                    if extra[at:at + 2] == b"BC" and sub_len == 2:
                        bsize = struct.unpack_from("<H", extra, at + 4)[0] + 1
                    at += 4 + sub_len
                if bsize is None:
                    raise InputError("corrupt BGZF block (no block size)", path=str(path))
                if len(buffer) - offset < bsize:
                    break
                blocks.append(buffer[offset + 12 + xlen:offset + bsize - 8])
                offset += bsize
            buffer = buffer[offset:]
            if blocks:
                yield blocks
            if not raw:
                if buffer:
                    raise InputError("truncated BGZF file (a block is cut short)", path=str(path))
                return

    with open(path, "rb") as handle, ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        pending: deque = deque()
        try:
            for blocks in groups(handle):
                pending.append(pool.submit(inflate, blocks))
                if len(pending) > 2 * threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except zlib.error as exc:
            raise InputError(f"corrupt BGZF data: {exc}", path=str(path)) from None
        finally:
            for future in pending:
                future.cancel()


def _text_chunks(path: Path, container: str):
    if container == "bgzf":
        return _bgzf_chunks(path)
    if container == "gzip":
        return _gzip_chunks(path)
    return _plain_chunks(path)


# --------------------------------------------------------------------------- text header

_MANDATORY = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
_MAX_HEADER_BYTES = 64 << 20


def _split_header(path: Path, chunks) -> tuple[list[str], bytes, int]:
    """(header lines incl. #CHROM, the bytes after the header, lines before the body) — checked in Python
    first, because htslib can crash on a broken header."""
    lines: list[str] = []
    buffer = b""
    number = 0
    for chunk in chunks:
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                if len(buffer) > _MAX_HEADER_BYTES:
                    raise InputTooLargeError("header line longer than 64 MB", path=str(path), line=number + 1)
                break
            raw, buffer = buffer[:cut], buffer[cut + 1:]
            number += 1
            line = _decode(raw, path, number).rstrip("\r")
            _check_header_line(line, number, path)
            lines.append(line)
            if line.startswith("#CHROM"):
                return lines, buffer, number
    if buffer:
        number += 1
        line = _decode(buffer, path, number).rstrip("\r")
        _check_header_line(line, number, path)
        if line.startswith("#CHROM"):
            return lines + [line], b"", number
    if number == 0:
        raise InputError("file is empty", path=str(path))
    raise InputError("no #CHROM header line (empty or header-only file cut short)", path=str(path))


def _decode(raw: bytes, path: Path, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                         path=str(path), line=number, hint="a VCF is UTF-8 text; is this the right file?") from None


def _check_header_line(line: str, number: int, path: Path) -> None:
    if number == 1:
        if not line.lstrip("\ufeff").startswith("##fileformat=VCF"):
            raise InputError("no ##fileformat=VCF line at the top", path=str(path), line=1)
        return
    if line.startswith("##"):
        if "=<" in line and not line.rstrip().endswith(">"):
            raise InputError(f"unterminated header line '{line[:60]}'", path=str(path), line=number,
                             hint="a ##KEY=<...> line must end with '>'")
        return
    if line.startswith("#CHROM"):
        if line.split("\t")[:8] != _MANDATORY:
            raise InputError("the #CHROM line lacks the eight tab-separated VCF columns",
                             path=str(path), line=number)
        return
    raise InputError("header ends without a #CHROM line", path=str(path), line=number)


def _check_text_header(path: Path) -> None:
    """Check a text VCF header in Python (also used before htslib opens a text file)."""
    container = _container(path)
    if container != "bcf":
        _split_header(path, _text_chunks(path, container))


# --------------------------------------------------------------------------- regions

def _find_index(path: Path) -> str | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(str(path) + suffix)
        if candidate.is_file():
            return str(candidate)
    return None


def _spans_by_chrom(builds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Contig name (both 'chr2' and '2') → [(start, end)] of known genes, for a cheap overlap test."""
    from alkseq.genome.transcript import gene_spans

    table: dict[str, list[tuple[int, int]]] = {}
    for build in builds:
        for span in gene_spans(build):
            for name in (span.chrom, "chr" + span.chrom):
                table.setdefault(name, []).append((span.start, span.end))
    return table


def _merged(spans: dict[str, list[tuple[int, int]]]) -> dict[str, list[tuple[int, int]]]:
    """Per contig, sorted disjoint intervals covering the spans."""
    out: dict[str, list[tuple[int, int]]] = {}
    for chrom, ranges in spans.items():
        merged: list[list[int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out[chrom] = [(s, e) for s, e in merged]
    return out


def _overlaps(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    for span_start, span_end in ranges:
        if start <= span_end and span_start <= end:
            return True
    return False


_END_KEY = re.compile(rb"END=")


class _Prefilter:
    """Which raw record lines can overlap a known gene — decided on bytes, before any parsing.

    Exact for POS and REF length; a line carrying ``END=`` (whose extent comes from INFO) is always
    kept, and the parsed record is checked again, so this only ever keeps too much, never too little.
    """

    def __init__(self, spans: dict[str, list[tuple[int, int]]]):
        self.merged = _merged(spans)
        self.starts = {c.encode(): [s for s, _ in r] for c, r in self.merged.items()}
        self.ends = {c.encode(): [e for _, e in r] for c, r in self.merged.items()}
        self._numpy = None
        self.line_count = 0       # lines in the last chunk handed to ``lines``

    def keep_line(self, line: bytes) -> bool:
        import bisect

        fields = line.split(b"\t", 4)
        starts = self.starts.get(fields[0]) if len(fields) > 1 else None
        if starts is None:
            return False                            # not a contig with a known gene (or not a record)
        if len(fields) < 5 or b"END=" in line:
            return True                             # malformed (the parser names it) or extent from INFO
        digits = fields[1]
        if not (1 <= len(digits) <= 10 and digits.isdigit()):
            return True                             # malformed: the parser names it
        pos = int(digits)
        end = pos + len(fields[3]) - 1
        i = bisect.bisect_right(starts, end) - 1
        return i >= 0 and self.ends[fields[0]][i] >= pos

    def lines(self, data: bytes, first_line: int, big: bool):
        """(line number, line bytes) of each kept line in ``data`` (whole lines)."""
        if big:
            yield from self._numpy_lines(data, first_line)
            return
        lines = data.split(b"\n")
        self.line_count = len(lines)
        for offset, line in enumerate(lines):
            if line and self.keep_line(line):
                yield first_line + offset, line

    def _tables(self):
        if self._numpy is None:
            import numpy as np

            names = sorted(self.merged, key=lambda c: self._code(c.encode()))
            codes = np.array([self._code(c.encode()) for c in names], dtype=np.int64)
            starts, ends = [], []
            for index, name in enumerate(names):
                for s, e in self.merged[name]:
                    starts.append((index << 33) + s)
                    ends.append((index << 33) + e)
            order = np.argsort(np.array(starts, dtype=np.int64))
            masks = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)
            powers = np.array([[10.0 ** (t - 1 - k) if k < t else 0.0 for k in range(10)] for t in range(11)])
            self._numpy = (np, codes, np.array(starts, dtype=np.int64)[order], np.array(ends, dtype=np.int64)[order],
                           masks, powers)
        return self._numpy

    @staticmethod
    def _code(name: bytes) -> int:
        return (len(name) << 56) | int.from_bytes(name[:7].ljust(7, b"\0"), "little") if len(name) <= 7 else -1

    def _numpy_lines(self, data: bytes, first_line: int):
        """The same decision as ``keep_line``, vectorised over a whole chunk (numpy releases the GIL, so the
        BGZF threads keep inflating meanwhile). Only CHROM (≤ 7 bytes to be one of ours) and POS (≤ 10
        digits) are read; REF length is bounded by the line length, so a line that starts before a gene but
        is long enough to reach it is kept, and the parsed record gets the exact overlap test."""
        np, codes, starts_g, ends_g, masks, powers = self._tables()
        a = np.frombuffer(data, dtype=np.uint8)
        ends_nl = np.flatnonzero(a == 10)
        if not data.endswith(b"\n"):
            ends_nl = np.append(ends_nl, len(data))
        self.line_count = len(ends_nl)
        if not len(ends_nl) or len(a) < 32:
            yield from self.lines(data, first_line, False)
            return
        begins = np.empty_like(ends_nl)
        begins[0] = 0
        begins[1:] = ends_nl[:-1] + 1
        lengths = ends_nl - begins
        tail = begins > len(a) - 24                     # too close to the end for the windows: exact check
        begins_w = np.minimum(begins, len(a) - 24)
        rows = np.arange(len(begins))
        # unaligned 8-byte words at every offset: one gather per field instead of one per byte
        words = np.ndarray(shape=(len(a) - 7,), dtype="<u8", buffer=data, strides=(1,))
        head = words[begins_w]                          # CHROM and its tab
        head_bytes = head.view(np.uint8).reshape(-1, 8)
        t1 = (head_bytes == 9).argmax(axis=1)
        short = (head_bytes[rows, t1] == 9) & (t1 >= 1) & (t1 < lengths)
        code = (head & masks[t1]).astype(np.int64) | (t1.astype(np.int64) << 56)
        code[~short] = -1
        slot = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
        known = short & (codes[slot] == code) & ~tail
        at = begins_w + t1 + 1
        field = np.empty((len(begins), 2), dtype="<u8")
        field[:, 0] = words[at]
        field[:, 1] = words[at + 8]
        field = field.view(np.uint8).reshape(-1, 16)[:, :11]   # POS and its tab
        t2 = (field == 9).argmax(axis=1)
        place = powers[t2]                               # 10^(t2-1-k) for digit k, 0 past the field
        raw = field[:, :10]
        pos_ok = known & (field[rows, t2] == 9) & (t2 >= 1) & (t2 < lengths - t1) & \
            ~(((raw < 48) | (raw > 57)) & (place > 0)).any(axis=1)
        pos = ((raw - 48.0) * place).sum(axis=1).astype(np.int64)
        g_pos = (slot.astype(np.int64) << 33) + pos
        j = np.searchsorted(starts_g, g_pos, side="right")
        hit = (j > 0) & (ends_g[np.maximum(j - 1, 0)] >= g_pos)
        nxt = np.minimum(j, len(starts_g) - 1)
        near = (j < len(starts_g)) & (starts_g[nxt] <= g_pos + lengths - 1)
        keep = (pos_ok & (hit | near)) | (known & ~pos_ok) | tail
        # records whose extent comes from INFO/END
        for match in _END_KEY.finditer(data):
            line_index = int(np.searchsorted(ends_nl, match.start()))
            if line_index < len(keep) and known[line_index]:
                keep[line_index] = True
        for index in np.flatnonzero(keep).tolist():
            if tail[index] and not self.keep_line(data[begins[index]:ends_nl[index]]):
                continue
            yield first_line + index, data[begins[index]:ends_nl[index]]


# --------------------------------------------------------------------------- text records

_FLOAT32 = None
_INFO_KEY_SET = frozenset(_INFO_KEYS)
_FORMAT_KEY_SET = frozenset(_FORMAT_KEYS)
_GT_SPLIT = re.compile(r"[/|]")
_GT_SEPARATOR = re.compile(r"[/|]")


def _float32(text: str) -> float | None:
    """A VCF Float as htslib stores it (single precision), missing as None."""
    global _FLOAT32
    if _FLOAT32 is None:
        import struct
        _FLOAT32 = struct.Struct("<f")
    try:
        value = float(text)
    except ValueError:
        return None
    if math.isnan(value):
        return None
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _integer(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if -2147483648 < value < 2147483648 and value > _MISSING_INT else None


def _typed(values: list[str], kind: str) -> list:
    if kind == "Integer":
        return [None if v in (".", "") else _integer(v) for v in values]
    if kind == "Float":
        return [None if v in (".", "") else _float32(v) for v in values]
    return values


def _info_value(raw: str | None, number: str, kind: str):
    """An INFO value as the cyvcf2 path returned it after ``_clean``."""
    if kind == "Flag":
        return True
    if raw is None:
        return True if kind == "Flag" else None
    if kind == "String" or kind == "Character":
        return None if raw in (".", "") else raw
    values = _typed(raw.split(","), kind)
    if len(values) == 1:
        return values[0]
    return values


class _TextHeader:
    """Types of INFO/FORMAT fields and the sample columns of a text VCF header."""

    def __init__(self, lines: list[str]):
        self.info: dict[str, tuple[str, str]] = {}
        self.format: dict[str, tuple[str, str]] = {}
        self.problems: list[str] = []      # header lines that break the VCF 4.x spec (warned, not fatal)
        for number, line in enumerate(lines, 1):
            if line.startswith(("##INFO=<", "##FORMAT=<")):
                body = line.rstrip()[line.index("<") + 1:-1]
                fields = dict(re.findall(r'(\w+)=("[^"]*"|[^,]*)', body))
                ident = fields.get("ID")
                kind = line[2:line.index("=")]
                problem = _field_definition_problem(kind, fields)
                if problem:
                    self.problems.append(f"header line {number}: ##{kind} {problem}")
                if ident:
                    target = self.info if kind == "INFO" else self.format
                    target.setdefault(ident, (fields.get("Number", "."), fields.get("Type", "String")))
        columns = lines[-1].split("\t")
        self.samples = columns[9:] if len(columns) > 9 else []
        if len(set(self.samples)) != len(self.samples):
            self.problems.append(f"header line {len(lines)}: duplicate sample names")


_TYPES = {"INFO": {"Integer", "Float", "Flag", "Character", "String"},
          "FORMAT": {"Integer", "Float", "Character", "String"}}


def _field_definition_problem(kind: str, fields: dict[str, str]) -> str | None:
    """What is wrong with one ##INFO/##FORMAT definition (VCF 4.x §1.4.2–1.4.4), or None.

    Deliberately lenient where real callers are not strict (IDs starting with a digit, Flag numbers)."""
    ident, number, type_, description = (fields.get(k) for k in ("ID", "Number", "Type", "Description"))
    if not ident:
        return "has no ID"
    if number is None or not re.fullmatch(r"L?[ARG]|[.PM]|\d+", number):
        return f"{ident}: Number '{(number or '')[:10]}' is not an integer, A, R, G or ."
    if type_ not in _TYPES[kind]:
        return f"{ident}: Type '{(type_ or '')[:20]}' is not one of {', '.join(sorted(_TYPES[kind]))}"
    if kind == "INFO" and ident == "END" and (type_ != "Integer" or number != "1"):
        return "END must be Number=1, Type=Integer"
    if description is None or not description.startswith('"'):
        return f"{ident}: no quoted Description"
    return None


def _parse_record(line: str, text_header: _TextHeader, header: _Header, sample_index: int | None,
                  line_number: int | None, record: int, path: Path) -> _Call:
    """One text VCF record → ``_Call``, with the values htslib/cyvcf2 would give (floats single precision,
    PASS → None, '.' → None, END extends the record only when it is an Integer ≥ POS)."""
    fields = line.rstrip("\r").split("\t")
    where = {"path": str(path), "line": line_number}
    if len(fields) < 8:
        raise InputError(f"record has {len(fields)} tab-separated columns, a VCF record needs at least 8",
                         **where, hint=None if line_number else f"record {record}")
    chrom, pos_text, ident, ref, alt_text, _qual, filters, info_text = fields[:8]
    try:
        pos = int(pos_text)
    except ValueError:
        raise InputError(f"POS '{pos_text[:20]}' is not a number", **where) from None
    if pos < 0 or not chrom:
        raise InputError(f"bad CHROM/POS '{chrom[:20]}:{pos_text[:20]}'", **where)
    info_raw: dict[str, str | None] = {}
    if info_text not in (".", ""):
        for item in info_text.split(";"):
            key, eq, value = item.partition("=")
            if key and key not in info_raw:
                info_raw[key] = value if eq else None
    info = {}
    for key, raw_value in info_raw.items():
        if key not in _INFO_KEY_SET or not (key in header.info_ids or key in ("SVTYPE", "END")):
            continue
        number, kind = text_header.info.get(key, (".", "String"))
        value = _info_value(raw_value, number, kind)
        if value is not None:
            info[key] = value
    end = pos + len(ref) - 1
    end_type = text_header.info.get("END", (None, None))[1]
    if "END" in info_raw and end_type == "Integer":
        end_value = _integer(info_raw["END"] or "")
        if end_value is not None and end_value >= pos:
            end = end_value
    fmt: dict = {}
    genotype: list[int] = []
    phased = False
    if sample_index is not None and len(fields) > 9:
        keys = fields[8].split(":")
        column = fields[9 + sample_index] if len(fields) > 9 + sample_index else "."
        values = column.split(":")
        for at, key in enumerate(keys):
            if key not in _FORMAT_KEY_SET or key not in header.format_ids or key in fmt:
                continue
            raw = values[at] if at < len(values) else "."
            kind = text_header.format.get(key, (".", "String"))[1]
            if kind in ("String", "Character"):
                fmt[key] = [None if raw in (".", "") else raw]
            else:
                fmt[key] = _typed(raw.split(","), kind)
        if "GT" in header.format_ids and "GT" in keys:
            at = keys.index("GT")
            gt = values[at] if at < len(values) else "."
            alleles = _GT_SPLIT.split(gt)
            genotype = [-1 if a in (".", "") else (_integer(a) if _integer(a) is not None else -1) for a in alleles]
            separators = _GT_SEPARATOR.findall(gt)
            phased = separators[-1] == "|" if separators else True   # cyvcf2 calls a haploid GT phased
    alts = [] if alt_text in (".", "") else alt_text.split(",")
    return _Call(chrom, pos, end, None if ident in (".", "") else ident, ref.upper(), alts,
                 None if filters in ("PASS", ".", "") else filters, info, fmt, genotype, phased,
                 line_number, record)


def _text_calls(path: Path, container: str, body: bytes, chunks, first_line: int, text_header: _TextHeader,
                header: _Header, sample_index: int | None, builds: tuple[str, ...]) -> tuple[list[_Call], str]:
    """Records overlapping known genes from a text VCF: tabix query when indexed, else a byte prefilter
    over the stream (constant memory) that hands only candidate lines to the parser."""
    spans = _spans_by_chrom(builds)
    index = _find_index(path) if container == "bgzf" else None
    if index:
        return _tabix_calls(path, index, spans, text_header, header, sample_index), "indexed"
    prefilter = _Prefilter(spans)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    big = size * (4 if container != "plain" else 1) >= _NUMPY_MIN_BYTES
    calls: list[_Call] = []
    record = 0
    line_number = first_line + 1       # of the first byte in ``pending``
    pending = body

    def handle(data: bytes, first: int):
        nonlocal record
        for number, raw in prefilter.lines(data, first, big):
            record += 1
            text = _decode(raw, path, number)
            call = _parse_record(text, text_header, header, sample_index, number, record, path)
            ranges = spans.get(call.chrom)
            if ranges is not None and _overlaps(ranges, call.pos, call.end):
                calls.append(call)

    for chunk in chunks:
        pending += chunk
        cut = pending.rfind(b"\n")
        if cut < 0:
            if len(pending) > _MAX_HEADER_BYTES:
                raise InputTooLargeError("a record line is longer than 64 MB (the limit for one VCF line)",
                                         path=str(path), line=line_number)
            continue
        whole, pending = pending[:cut], pending[cut + 1:]
        handle(whole, line_number)
        line_number += prefilter.line_count
    if pending.strip(b"\r\n"):
        handle(pending, line_number)
    return calls, "streamed"


def _tabix_calls(path: Path, index: str, spans: dict[str, list[tuple[int, int]]], text_header: _TextHeader,
                 header: _Header, sample_index: int | None) -> list[_Call]:
    """Query each merged gene interval once through the tabix/CSI index (pysam, raw lines)."""
    import pysam

    pysam.set_verbosity(0)
    try:
        tabix = pysam.TabixFile(str(path), index=index, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open with its index: {exc}", path=str(path),
                         hint="re-index with tabix -p vcf, or delete the stale index") from None
    calls: list[_Call] = []
    record = 0
    try:
        contigs = set(tabix.contigs)
        for chrom, ranges in _merged(spans).items():
            if chrom not in contigs:
                continue
            for number, (start, end) in enumerate(ranges):
                try:
                    lines = list(tabix.fetch(chrom, start - 1, end))
                except UnicodeDecodeError:
                    raise InputError(f"not UTF-8 text in {chrom}:{start}-{end}", path=str(path)) from None
                except (ValueError, OSError) as exc:
                    raise InputError(f"cannot query {chrom}:{start}-{end}: {exc}", path=str(path)) from None
                for text in lines:
                    record += 1
                    call = _parse_record(text, text_header, header, sample_index, None, record, path)
                    if number and _overlaps(ranges[:number], call.pos, call.end):
                        continue           # already returned by an earlier interval on this contig
                    if _overlaps(spans[chrom], call.pos, call.end):
                        calls.append(call)
    finally:
        tabix.close()
    calls.sort(key=lambda c: (c.chrom, c.pos))
    return calls


# --------------------------------------------------------------------------- BCF (htslib via cyvcf2)

def _open(path: Path):
    import cyvcf2

    try:
        return cyvcf2.VCF(str(path), gts012=False, lazy=True, strict_gt=False)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
        raise InputError(f"cannot read as VCF/BCF: {exc}", path=str(path),
                         hint="is the file complete and a VCF 4.x or BCF?") from None


def _to_call(variant, sample_index: int | None, header: _Header, line: int | None, record: int) -> _Call:
    info = {}
    for key in _INFO_KEYS:
        if key in header.info_ids or key in ("SVTYPE", "END"):
            try:
                value = variant.INFO.get(key)
            except (KeyError, ValueError):
                value = None
            if value is not None:
                info[key] = _clean(value)
    fmt = {}
    genotype: list[int] = []
    phased = False
    if sample_index is not None:
        for key in _FORMAT_KEYS:
            if key not in header.format_ids:
                continue
            try:
                values = variant.format(key)
            except (KeyError, ValueError, TypeError):
                values = None
            if values is None:
                continue
            row = _clean(values[sample_index])
            fmt[key] = row if isinstance(row, list) else [row]
        if "GT" in header.format_ids:
            try:
                gts = variant.genotypes
            except Exception:  # cyvcf2 raises bare errors on odd GT strings
                gts = None
            if gts and len(gts) > sample_index and gts[sample_index]:
                entry = gts[sample_index]
                genotype = [a for a in entry[:-1]]
                phased = bool(entry[-1])
    return _Call(str(variant.CHROM), int(variant.POS), int(variant.end), variant.ID, str(variant.REF).upper(),
                 [str(a) for a in variant.ALT], variant.FILTER, info, fmt, genotype, phased, line, record)


def _collect(path: Path, vcf, header: _Header, sample_index: int | None, builds: tuple[str, ...],
             warnings: list[str]) -> tuple[list[_Call], str]:
    """BCF records overlapping known genes (cyvcf2), by index query when there is one, else by streaming."""
    spans = _spans_by_chrom(builds)
    index = _find_index(path)
    calls: list[_Call] = []
    if index:
        try:
            seqnames = set(vcf.seqnames)
        except Exception:
            seqnames = set()
        seen: set[tuple] = set()
        record = 0
        for chrom, ranges in spans.items():
            if seqnames and chrom not in seqnames:
                continue
            for start, end in ranges:
                region = f"{chrom}:{start}-{end}"
                try:
                    with warnings_module.catch_warnings():
                        warnings_module.simplefilter("ignore")  # cyvcf2 warns on regions without records
                        hits = list(vcf(region))
                    for variant in hits:
                        record += 1
                        key = (variant.CHROM, variant.POS, variant.REF, tuple(variant.ALT), variant.ID)
                        if key in seen:
                            continue
                        seen.add(key)
                        calls.append(_to_call(variant, sample_index, header, None, record))
                except InputError:
                    raise
                except Exception as exc:
                    if "not found" in str(exc).lower() or "contig" in str(exc).lower():
                        continue
                    raise InputError(f"cannot query {region}: {exc}", path=str(path)) from None
        calls.sort(key=lambda c: (c.chrom, c.pos))
        return calls, "indexed"
    header_lines = len(header.lines) + 1
    text = False   # BCF: records have no text lines to name
    record = 0
    iterator = iter(vcf)
    while True:
        try:
            variant = next(iterator)
        except StopIteration:
            break
        except Exception as exc:
            raise InputError(f"unreadable record after record {record}: {exc}", path=str(path),
                             line=header_lines + record + 1 if text else None) from None
        record += 1
        ranges = spans.get(variant.CHROM)
        if ranges is None:
            continue
        start, end = variant.start + 1, variant.end
        for span_start, span_end in ranges:
            if start <= span_end and span_start <= end:
                break
        else:
            continue
        calls.append(_to_call(variant, sample_index, header, header_lines + record if text else None, record))
    return calls, "streamed"


# --------------------------------------------------------------------------- sample choice

def _choose_sample(samples: list[str], header: _Header, options: ReadOptions, path: Path,
                   warnings: list[str]) -> tuple[str, int | None]:
    if options.sample:
        if options.sample in samples:
            return options.sample, samples.index(options.sample)
        raise InputError(f"sample '{options.sample}' is not in this VCF", path=str(path),
                         hint="samples: " + (", ".join(samples) or "none"))
    if not samples:
        return Path(path).name.split(".")[0], None
    if header.tumor_sample and header.tumor_sample in samples:
        return header.tumor_sample, samples.index(header.tumor_sample)
    if len(samples) == 1:
        return samples[0], 0
    tumour = [s for s in samples if re.search(r"tumou?r", s, re.I)]
    if len(tumour) > 1:
        tumour = [s for s in tumour if not re.search(r"rna", s, re.I)] or tumour
    if len(tumour) == 1:
        warnings.append(f"tumour sample guessed as '{tumour[0]}' from the column names "
                        f"(Strelka/VarScan convention); pass --sample to choose another")
        return tumour[0], samples.index(tumour[0])
    raise InputError(f"{len(samples)} samples and no way to tell the tumour", path=str(path),
                     hint="pass --sample; samples: " + ", ".join(samples))


# --------------------------------------------------------------------------- allele statistics

def _allele_stats(call: _Call, alt_index: int) -> tuple[float | None, int | None, str]:
    """(VAF, depth, which field) from the caller's own FORMAT (then INFO) fields."""
    fmt, info = call.fmt, call.info
    i = alt_index

    def pick(values, index):
        values = _as_list(values)
        return values[index] if len(values) > index else None

    depth = None
    for key in ("FDP", "DP", "DPT"):
        if fmt.get(key) and fmt[key][0] is not None:
            depth = int(_number(fmt[key][0]) or 0)
            break
    if "FAO" in fmt and "FDP" in fmt:
        fao, fdp = _number(pick(fmt["FAO"], i)), _number(pick(fmt["FDP"], 0))
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "FAO/FDP"
    if "FREQ" in fmt and pick(fmt["FREQ"], i) is not None:
        freq = _number(pick(fmt["FREQ"], i))
        if freq is not None:
            return freq / 100.0, depth, "FREQ"
    alt = call.alts[i]
    if "TIR" in fmt and "TAR" in fmt:
        tir, tar = _number(pick(fmt["TIR"], 0)), _number(pick(fmt["TAR"], 0))
        if tir is not None and tar is not None and tir + tar > 0:
            return tir / (tir + tar), depth, "Strelka TIR/TAR tier1"
    if all(f"{b}U" in fmt for b in "ACGT") and len(alt) == 1 and alt in "ACGT":
        counts = {b: _number(pick(fmt[f"{b}U"], 0)) or 0.0 for b in "ACGT"}
        total = sum(counts.values())
        if total > 0:
            return counts[alt] / total, int(total), f"Strelka {alt}U tier1"
    if "AF" in fmt and pick(fmt["AF"], i) is not None:
        value = _number(pick(fmt["AF"], i))
        if depth is None and fmt.get("AD"):
            depth = int(sum(_number(v) or 0 for v in fmt["AD"]))
        return value, depth, "FORMAT/AF"
    if "FA" in fmt and pick(fmt["FA"], i) is not None:
        return _number(pick(fmt["FA"], i)), depth, "FORMAT/FA"
    if "VF" in fmt and pick(fmt["VF"], i) is not None:
        return _number(pick(fmt["VF"], i)), depth, "FORMAT/VF"
    for key in ("AD", "ADT"):
        if key in fmt:
            counts = [_number(v) for v in _as_list(fmt[key][0] if key == "ADT" else fmt[key])]
            if len(counts) > i + 1 and counts[i + 1] is not None:
                total = sum(c for c in counts if c is not None)
                if total > 0:
                    return counts[i + 1] / total, depth or int(total), f"FORMAT/{key}"
    if "FAO" in info and "FDP" in info:
        fao, fdp = _number(pick(info["FAO"], i)), _number(info["FDP"])
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "INFO FAO/FDP"
    for key in ("AF", "TVAF"):
        if key in info and pick(info[key], i) is not None:
            info_depth = _number(info.get("DP") or info.get("TDP"))
            return _number(pick(info[key], i)), depth or (int(info_depth) if info_depth else None), f"INFO/{key}"
    return None, depth, ""


def _phase(call: _Call, alt_index: int) -> PhaseTag | None:
    allele = alt_index + 1
    if call.phased and allele in call.genotype and len(call.genotype) == 2:
        phase_set = call.fmt.get("PS", [None])[0]
        return PhaseTag(str(phase_set if phase_set is not None else call.chrom), call.genotype.index(allele),
                        "vcf_ps")
    pgt, pid = call.fmt.get("PGT", [None])[0], call.fmt.get("PID", [None])[0]
    if pgt and pid and "|" in str(pgt):
        alleles = str(pgt).split("|")
        if "1" in alleles:
            return PhaseTag(str(pid), alleles.index("1"), "mutect2_pgt")
    return None


# --------------------------------------------------------------------------- annotations

def _annotation_change(call: _Call, alt: str, gene: str, header: _Header, mane: set[str]) -> str | None:
    """HGVSp of the MANE/canonical transcript from VEP CSQ or snpEff ANN, for this allele and gene."""
    candidates: list[tuple[int, str]] = []
    for key, fields, gene_key, feature_key, hgvs_key in (
            ("CSQ", header.csq_fields, "SYMBOL", "Feature", "HGVSp"),
            ("ANN", header.ann_fields, "Gene_Name", "Feature_ID", "HGVS.p")):
        text = call.info.get(key)
        if not text or not fields or hgvs_key not in fields:
            continue
        for entry in _as_list(text) if isinstance(text, list) else str(text).split(","):
            values = str(entry).split("|")
            row = dict(zip(fields, values))
            if row.get(gene_key) != gene or not row.get(hgvs_key):
                continue
            allele = row.get("Allele", alt)
            if len(call.alts) > 1 and allele not in (alt, alt[1:], "-" if len(alt) == 1 else alt):
                continue
            feature = (row.get(feature_key) or "").split(".")[0]
            rank = 0 if (row.get("MANE_SELECT") or feature in mane) else 1 if row.get("CANONICAL") == "YES" else 2
            candidates.append((rank, row[hgvs_key]))
    if not candidates:
        return None
    text = sorted(candidates)[0][1]
    return text.split(":", 1)[-1].replace("%3D", "=")


# --------------------------------------------------------------------------- main entry

def read(path, options: ReadOptions) -> list[SampleData]:
    """Read one VCF/BCF into one ``SampleData`` for the tumour sample.

    Text VCFs (plain, gzip, BGZF) never go through htslib's record parser: the header is checked
    and parsed in Python, records outside known genes are dropped on raw bytes, and the few that
    remain are parsed here (``_parse_record``). BCF goes through cyvcf2.
    """
    from alkseq.genome.transcript import normalise_build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    container = _container(path)
    _check_bgzf_eof(path)
    warnings: list[str] = []
    build = normalise_build(options.build)
    build_source = "--build" if build else ""
    if container == "bcf":
        header, sample, calls, mode = _read_bcf(path, options, build, warnings)
    else:
        chunks = _text_chunks(path, container)
        try:
            lines, body, header_count = _split_header(path, chunks)
            header = _Header.parse("\n".join(lines) + "\n")
            text_header = _TextHeader(lines)
            if text_header.problems:
                more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
                warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
            sample, sample_index = _choose_sample(text_header.samples, header, options, path, warnings)
            if build is None:
                build, build_source = header.build()
            builds = (build,) if build else ("GRCh37", "GRCh38")
            calls, mode = _text_calls(path, container, body, chunks, header_count, text_header, header,
                                      sample_index, builds)
        finally:
            chunks.close()
    context = _Context(path=str(path), options=options, header=header, warnings=warnings)
    if build is None:
        build = context.decide_build(calls)
    context.build = build
    alterations = context.interpret(calls)
    compounds = _vcf_compounds(alterations)
    metadata = {"build_source": build_source or context.build_source, "mode": mode,
                "records_in_known_genes": len(calls), **context.counts}
    return [SampleData(sample=sample, alterations=tuple(alterations), input_format=FORMAT, path=str(path),
                       build=build, compounds=tuple(compounds), warnings=tuple(dict.fromkeys(warnings)),
                       metadata=metadata)]


def _read_bcf(path: Path, options: ReadOptions, build: str | None, warnings: list[str]):
    with _quiet_stderr():
        vcf = _open(path)
        try:
            header = _Header.parse(vcf.raw_header)
            sample, sample_index = _choose_sample(list(vcf.samples), header, options, path, warnings)
            builds = (build,) if build else (header.build()[0],) if header.build()[0] else ("GRCh37", "GRCh38")
            calls, mode = _collect(path, vcf, header, sample_index, builds, warnings)
        finally:
            try:
                vcf.close()
            except Exception:
                pass
    return header, sample, calls, mode


class _quiet_stderr:
    """htslib (inside cyvcf2) prints ``[W::...]`` lines straight to fd 2: keep the CLI's output one line."""

    def __enter__(self):
        import os
        import sys

        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            self.saved = None
        return self

    def __exit__(self, *exc):
        import os

        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)
        return False


# --------------------------------------------------------------------------- interpretation of records

@dataclass
class _Pending:
    """A small variant on its way to becoming an Alteration (kept for codon merging)."""

    alteration: Alteration
    codons: tuple[int, ...]
    substitution: tuple[int, str, str] | None  # (pos, ref, alt) minimal, for merging


class _Context:
    def __init__(self, path: str, options: ReadOptions, header: _Header, warnings: list[str]):
        self.path, self.options, self.header, self.warnings = path, options, header, warnings
        self.build: str | None = None
        self.build_source = ""
        self.counts: dict[str, int] = {"filtered": 0, "not_in_tumour": 0, "noncoding": 0, "untranslated": 0,
                                       "fusion_not_detected": 0}
        self._fasta = None
        if options.fasta:
            from alkseq.genome.transcript import FastaSequence
            self._fasta = FastaSequence(options.fasta)

    # ---- build
    def sequence(self, build: str):
        from alkseq.genome.transcript import ChainedSequence, ShippedSequence

        return ChainedSequence(self._fasta, ShippedSequence(build))

    def decide_build(self, calls: list[_Call]) -> str | None:
        """No build in the header: let REF alleles at known ALK bases and hotspots decide."""
        from alkseq.genome.transcript import ShippedSequence, genes_at, hotspots, plain_chrom
        from alkseq.genome.translate import reference_matches

        votes = {"GRCh37": [0, 0], "GRCh38": [0, 0]}
        in_gene = False
        for call in calls:
            for build in votes:
                if genes_at(build, call.chrom, call.pos, call.end):
                    in_gene = True
                if call.alts and call.alts[0].startswith("<"):
                    continue
                verdict = reference_matches(ShippedSequence(build), call.chrom, call.pos, call.ref)
                if verdict is not None:
                    votes[build][0 if verdict else 1] += 1
                table = hotspots(build)
                for alt in call.alts:
                    if (plain_chrom(call.chrom), call.pos, call.ref, alt) in table:
                        votes[build][0] += 1
        score = {b: v[0] - v[1] for b, v in votes.items()}
        if score["GRCh37"] != score["GRCh38"] and max(v[0] for v in votes.values()) > 0:
            build = max(score, key=score.get)
            self.build_source = "REF alleles at known positions"
            self.warnings.append(f"genome build not stated in the header; {build} chosen because REF alleles "
                                 f"at known ALK/hotspot positions match it ({votes[build][0]} match, "
                                 f"{votes[build][1]} mismatch); pass --build to be sure")
            return build
        if in_gene:
            self.warnings.append("genome build not stated in the header and not decidable from REF alleles; "
                                 "GRCh38 assumed; pass --build GRCh37 if the file is hg19/b37")
            self.build_source = "assumed"
            return "GRCh38"
        self.warnings.append("genome build not stated in the header; no record falls in a gene alkseq knows")
        return None

    def check_reference(self, call: _Call, pos: int, ref: str) -> None:
        """A REF that disagrees with the shipped ALK sequence (or the FASTA) is a BuildMismatchError."""
        from alkseq.genome.transcript import other_build
        from alkseq.genome.translate import reference_matches

        sequence = self.sequence(self.build)
        if reference_matches(sequence, call.chrom, pos, ref) is not False:
            return
        expected = sequence.fetch(call.chrom, pos, pos + len(ref) - 1)
        other = self.sequence(other_build(self.build))
        hint = "check the genome build"
        if reference_matches(other, call.chrom, pos, ref):
            hint = f"the file looks like {other_build(self.build)}; pass --build {other_build(self.build)}"
        what = "the reference FASTA" if self._fasta is not None else "alkseq's ALK sequence"
        raise BuildMismatchError(
            f"REF {ref} at {call.chrom}:{pos} disagrees with {what} for {self.build} "
            f"(expected {expected}, observed {ref}); most likely the file is not {self.build}",
            path=self.path, line=call.line, hint=hint if call.line else f"record {call.record}; {hint}")

    # ---- records
    def interpret(self, calls: list[_Call]) -> list[Alteration]:
        if self.build is None:
            return []
        from alkseq.genome.transcript import genes_at

        pending: list[_Pending] = []
        structural: list[Alteration] = []
        skipped_bypass: dict[str, int] = {}
        for call in calls:
            genes = genes_at(self.build, call.chrom, call.pos, call.end)
            if not genes:
                continue
            if call.filters not in (None, "PASS", ".") and not self.options.include_filtered:
                self.counts["filtered"] += 1
                continue
            svtype = str(call.info.get("SVTYPE") or "").upper()
            first_alt = call.alts[0] if call.alts else ""
            if svtype == "FUSION":
                structural.extend(self.ion_fusion(call))
            elif _BND.match(first_alt) or (svtype in ("INV", "BND", "TRA") and first_alt.startswith("<")):
                structural.extend(self.breakend(call, genes))
            elif first_alt.startswith("<") or svtype in ("CNV", "AMP", "GAIN", "LOSS") and not first_alt:
                structural.extend(self.copy_number(call, svtype, first_alt))
            else:
                for index, alt in enumerate(call.alts):
                    result = self.small_variant(call, index, alt, genes, skipped_bypass)
                    if result is not None:
                        pending.append(result)
        if skipped_bypass:
            listed = ", ".join(f"{g} ({n})" for g, n in sorted(skipped_bypass.items()))
            self.warnings.append(f"variants in {listed} are not shipped hotspots and carry no VEP/snpEff "
                                 "annotation, so their protein change is unknown; they are not reported")
        merged = self.merge_codons(pending)
        out = merged + _dedupe(structural)
        return sorted(out, key=lambda a: (a.gene, a.kind, a.genomic.pos if a.genomic else 0, a.name))

    def _origin(self, call: _Call) -> Origin:
        text = f"{call.chrom}\t{call.pos}\t{call.ident or '.'}\t{call.ref}\t{','.join(call.alts)}"
        return Origin(path=self.path, line=call.line, text=text, reader=FORMAT)

    def small_variant(self, call: _Call, index: int, alt: str, genes: list[str],
                      skipped_bypass: dict[str, int]) -> _Pending | None:
        from alkseq.genome.transcript import alk_protein, hotspots, load_transcript, plain_chrom
        from alkseq.genome.translate import left_align, trim_alleles, translate_variant, vcf_alleles

        if alt in ("*", ".", "<NON_REF>", "<*>") or not re.fullmatch(r"[ACGTNacgtn]+", alt) \
                or not re.fullmatch(r"[ACGTNacgtn]+", call.ref):
            return None
        vaf, depth, vaf_field = _allele_stats(call, index)
        carried = not call.genotype or all(a is None or a < 0 for a in call.genotype) or (index + 1) in call.genotype
        if vaf == 0 or (not carried and vaf is None):
            self.counts["not_in_tumour"] += 1
            return None
        if "ALK" in genes:
            self.check_reference(call, call.pos, call.ref)
        sequence = self.sequence(self.build)
        min_pos, min_ref, min_alt = left_align(call.chrom, call.pos, call.ref, alt, sequence)
        norm_pos, norm_ref, norm_alt = vcf_alleles(call.chrom, min_pos, min_ref, min_alt, sequence,
                                                   (call.pos, call.ref, alt))
        notes = [f"VAF from {vaf_field}"] if vaf_field else []
        if (norm_pos, norm_ref, norm_alt) != (call.pos, call.ref, alt):
            notes.append(f"normalised from {call.pos} {call.ref}>{alt}")
        change: ProteinChange | None = None
        hgvs_c = None
        codons: tuple[int, ...] = ()
        substitution = None
        gene = "ALK" if "ALK" in genes else None
        if gene == "ALK":
            tx = load_transcript("ALK", self.build)
            translation = translate_variant(tx, sequence, alk_protein(), call.pos, call.ref, alt)
            if not translation.coding:
                self.counts["noncoding"] += 1
                return None
            change, hgvs_c, codons = translation.protein_change, translation.hgvs_c, translation.codons
            annotated = self.annotated(call, alt, "ALK")
            if annotated is not None and change is not None and annotated.short != change.short:
                self.warnings.append(f"ALK {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff annotation "
                                     f"says {annotated.short}; alkseq's own translation on NM_004304.5 is kept")
            if change is None and annotated is not None:
                change = annotated
                notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
            if change is None:
                self.counts["untranslated"] += 1
                self.warnings.append(f"ALK variant at {call.chrom}:{call.pos} {call.ref}>{alt}: "
                                     f"{translation.reason or 'no protein change computed'}; reported without one")
                notes.append(translation.reason)
            if len(min_ref) == len(min_alt) and min_ref:
                substitution = (min_pos, min_ref, min_alt)
        else:
            table = hotspots(self.build)
            hit = None
            for key in ((plain_chrom(call.chrom), call.pos, call.ref, alt),
                        (plain_chrom(call.chrom), norm_pos, norm_ref, norm_alt),
                        (plain_chrom(call.chrom), min_pos, min_ref, min_alt)):
                hit = table.get(key)
                if hit:
                    break
            for candidate in genes:
                if hit is not None and hit.gene != candidate:
                    continue
                if hit is not None:
                    gene = candidate
                    try:
                        change = _parse(hit.protein)
                    except ParseError:
                        change = None
                    notes.append(f"hotspot table: {hit.transcript} ({hit.source})")
                annotated = self.annotated(call, alt, candidate)
                if annotated is not None:
                    if change is not None and annotated.short != change.short:
                        self.warnings.append(f"{candidate} {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff "
                                             f"annotation says {annotated.short}; the shipped hotspot table is kept")
                    elif change is None:
                        gene, change = candidate, annotated
                        notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
                if gene:
                    break
            if gene is None:
                for candidate in genes:
                    skipped_bypass[candidate] = skipped_bypass.get(candidate, 0) + 1
                return None
        alteration = Alteration(
            gene=gene, kind="mutation", protein_change=change, vaf=vaf, depth=depth,
            genomic=GenomicVariant(self.build, call.chrom, norm_pos, norm_ref, norm_alt, hgvs_c),
            phase=_phase(call, index), origin=self._origin(call), notes=tuple(n for n in notes if n))
        return _Pending(alteration, codons, substitution)

    def annotated(self, call: _Call, alt: str, gene: str) -> ProteinChange | None:
        from alkseq.genome.transcript import span_of

        if not self.header.csq_fields and not self.header.ann_fields:
            return None
        span = span_of(gene, self.build)
        mane = {span.mane_enst, span.mane_refseq.split(".")[0]} if span else set()
        text = _annotation_change(call, alt, gene, self.header, mane)
        if not text or text in ("p.?", "p.(?)"):
            return None
        try:
            return _parse(text)
        except ParseError:
            self.warnings.append(f"{gene} annotation '{text}' at {call.chrom}:{call.pos} could not be read")
            return None

    def merge_codons(self, pending: list[_Pending]) -> list[Alteration]:
        """Substitutions in one ALK codon (same haplotype when phased) become one change."""
        from alkseq.genome.transcript import alk_protein, load_transcript
        from alkseq.genome.translate import merge_substitutions, translate_variant

        groups: dict[tuple, list[_Pending]] = {}
        out: list[Alteration] = []
        for item in pending:
            if item.alteration.gene != "ALK" or item.substitution is None or len(item.codons) != 1:
                out.append(item.alteration)
                continue
            phase = item.alteration.phase
            key = (item.codons[0], (phase.phase_set, phase.haplotype) if phase else None)
            groups.setdefault(key, []).append(item)
        # unphased calls join a phased group of the same codon only when that group is alone
        for key, items in groups.items():
            if len(items) == 1:
                out.append(items[0].alteration)
                continue
            first = items[0].alteration
            block = merge_substitutions(first.genomic.chrom, [i.substitution for i in items], self.sequence(self.build))
            if block is None:
                out.extend(i.alteration for i in items)
                continue
            translation = translate_variant(load_transcript("ALK", self.build), self.sequence(self.build),
                                            alk_protein(), *block)
            vafs = [i.alteration.vaf for i in items if i.alteration.vaf is not None]
            depths = [i.alteration.depth for i in items if i.alteration.depth is not None]
            parts = ", ".join(f"{i.alteration.genomic.pos} {i.substitution[1]}>{i.substitution[2]}" for i in items)
            note = (f"merged from {len(items)} records in codon {key[0]} ({parts})"
                    + ("" if key[1] else "; phase not stated, same haplotype assumed"))
            if not key[1]:
                self.warnings.append(f"ALK codon {key[0]}: {len(items)} unphased records merged into one change "
                                     f"({translation.protein_change.short if translation.protein_change else '?'})")
            out.append(replace(first, protein_change=translation.protein_change,
                               vaf=min(vafs) if vafs else None, depth=min(depths) if depths else None,
                               genomic=GenomicVariant(self.build, first.genomic.chrom, block[0], block[1], block[2],
                                                      translation.hgvs_c),
                               notes=first.notes + (note,)))
        return out

    # ---- structural
    def _fusion(self, call: _Call, gene_a: str | None, pos_a: int, gene_b: str | None, pos_b: int,
                exon_override: dict[str, str] | None = None, label: str | None = None) -> Alteration | None:
        from alkseq.genome.transcript import load_transcript

        pair = [g for g in (gene_a, gene_b) if g]
        three = next((g for g in FUSION_KINASES if g in pair), None)
        if three is None or (gene_a == gene_b):
            return None
        partner = gene_b if three == gene_a else gene_a
        three_pos = pos_a if three == gene_a else pos_b
        partner_pos = pos_b if three == gene_a else pos_a
        exons: dict[str, str] = dict(exon_override or {})
        notes = []
        if three not in exons:
            tx = load_transcript(three, self.build)
            if tx is not None:
                where, number = tx.locate(three_pos)
                if where == "exon":
                    exons[three] = str(number)
                elif where == "intron":
                    exons[three] = str(number + 1)
                    notes.append(f"{three} breakpoint in intron {number}: exon {number + 1} joined")
        if partner and partner not in exons:
            tx = load_transcript(partner, self.build)
            if tx is not None:
                where, number = tx.locate(partner_pos)
                if where in ("exon", "intron"):
                    exons[partner] = str(number)
                    if where == "intron":
                        notes.append(f"{partner} breakpoint in intron {number}: exon {number} joined")
        variant = None
        if partner == "EML4" and three == "ALK" and "EML4" in exons and "ALK" in exons:
            try:
                from alkseq.genome.fusion import eml4_alk_variant
                variant = eml4_alk_variant(exons["EML4"], exons["ALK"])
            except ImportError:
                notes.append("EML4-ALK variant naming not available (alkseq.genome.fusion missing)")
            except ParseError:
                variant = None
        left = f"{partner} e{exons[partner]}" if partner and partner in exons else (partner or "unknown partner")
        right = f"{three} e{exons[three]}" if three in exons else three
        if partner is None:
            notes.append(f"partner end at {partner_pos} is not in a gene alkseq knows")
        return Alteration(gene=three, kind="fusion", partner=partner, fusion_variant=variant,
                          breakpoint=f"{left}::{right}", label=label or call.ident,
                          genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref,
                                                 call.alts[0] if call.alts else "."),
                          origin=self._origin(call), notes=tuple(notes))

    def breakend(self, call: _Call, genes: list[str]) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        match = _BND.match(call.alts[0]) if call.alts else None
        if match:
            mate_chrom, mate_pos = match.group("chrom"), int(match.group("pos"))
        elif call.info.get("END"):
            mate_chrom, mate_pos = str(call.info.get("CHR2") or call.chrom), int(call.info["END"])
        else:
            return []
        mate_genes = genes_at(self.build, mate_chrom, mate_pos)
        own = next((g for g in genes if g in FUSION_KINASES), genes[0])
        mate = next((g for g in mate_genes if g != own), None)
        fusion = self._fusion(call, own, call.pos, mate, mate_pos)
        return [fusion] if fusion else []

    def ion_fusion(self, call: _Call) -> list[Alteration]:
        read_count = _number(call.info.get("READ_COUNT"))
        if read_count is not None and read_count <= 0:
            self.counts["fusion_not_detected"] += 1
            return []
        match = _ION_FUSION_ID.match(call.ident or "")
        if not match:
            self.warnings.append(f"Ion Reporter fusion record {call.ident} at {call.chrom}:{call.pos} has an ID "
                                 "alkseq cannot read; skipped")
            return []
        five, three = match.group("g5").upper(), match.group("g3").upper()
        exon5 = re.sub(r"^[A-Za-z]+", "", match.group("e5"))
        exon3 = re.sub(r"^[A-Za-z]+", "", match.group("e3"))
        exons = {five: exon5, three: exon3}
        fusion = self._fusion(call, five, 0, three, 0, exon_override=exons, label=call.ident.rsplit("_", 1)[0])
        if fusion is None:
            return []
        notes = fusion.notes + ((f"supporting reads: {int(read_count)}",) if read_count else ())
        return [replace(fusion, notes=notes)]

    def copy_number(self, call: _Call, svtype: str, alt: str) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        kind_text = (svtype or alt.strip("<>").split(":")[0]).upper()
        copy_number = None
        source = ""
        if call.fmt.get("CN") and call.fmt["CN"][0] is not None:
            copy_number, source = _number(call.fmt["CN"][0]), "FORMAT/CN"
        elif call.info.get("CN") is not None:
            copy_number, source = _number(call.info["CN"]), "INFO/CN"
        else:
            for key in ("FOLD_CHANGE_LOG", "LOG2"):
                if call.info.get(key) is not None:
                    log2 = _number(call.info[key])
                    if log2 is not None:
                        copy_number, source = 2.0 * 2.0 ** log2, f"INFO/{key} (2×2^log2)"
                        break
        if copy_number is None and kind_text not in ("DUP", "DEL", "CNV", "AMP", "GAIN", "LOSS"):
            return []
        end = int(call.info.get("END") or call.end)
        length = end - call.pos + 1
        focal = length < FOCAL_MAX_BP
        if copy_number is not None:
            if copy_number >= self.options.amp_threshold:
                kind = "amplification"
            elif copy_number >= GAIN_MIN_CN:
                kind = "gain"
            elif copy_number < DELETION_MAX_CN:
                kind = "deletion"
            elif copy_number < LOSS_MAX_CN:
                kind = "loss"
            else:
                return []
        elif kind_text in ("DUP", "AMP", "GAIN"):
            kind = "gain"
        elif kind_text in ("DEL", "LOSS"):
            homozygous = len(call.genotype) >= 2 and all(a is not None and a > 0 for a in call.genotype)
            kind = "deletion" if homozygous else "loss"
        else:
            return []
        notes = [f"segment {call.chrom}:{call.pos}-{end} ({length:,} bp)"]
        if source:
            notes.append(f"copy number from {source}")
        out = []
        for gene in genes_at(self.build, call.chrom, call.pos, end):
            out.append(Alteration(gene=gene, kind=kind, copy_number=copy_number, focal=focal,
                                  label=kind if copy_number is None else f"{kind} (CN {copy_number:g})",
                                  genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref, alt or "."),
                                  origin=self._origin(call), notes=tuple(notes)))
        return out


def _parse(text: str) -> ProteinChange:
    from alkseq.genome.protein import parse_protein_change

    return parse_protein_change(text)[1]


def _dedupe(alterations: list[Alteration]) -> list[Alteration]:
    """Both records of a breakend pair / Ion Reporter fusion describe one fusion: keep the first."""
    seen: set[tuple] = set()
    out = []
    for alteration in alterations:
        key = (alteration.gene, alteration.kind, alteration.partner, alteration.breakpoint) \
            if alteration.kind == "fusion" else (alteration.gene, alteration.kind, alteration.genomic)
        if key in seen:
            continue
        seen.add(key)
        out.append(alteration)
    return out


def _vcf_compounds(alterations: list[Alteration]) -> list[Compound]:
    """ALK mutations sharing a VCF phase set: same haplotype → cis, different → trans."""
    by_set: dict[str, list[Alteration]] = {}
    for alteration in alterations:
        if alteration.gene == "ALK" and alteration.protein_change is not None and alteration.phase is not None:
            by_set.setdefault(alteration.phase.phase_set, []).append(alteration)
    compounds = []
    for phase_set, members in by_set.items():
        if len({m.protein_change.short for m in members}) < 2:
            continue
        members = sorted(members, key=lambda m: m.protein_change.start)
        haplotypes = {m.phase.haplotype for m in members}
        phase = "cis" if len(haplotypes) == 1 else ("trans" if len(members) == 2 else "mixed")
        compounds.append(Compound(tuple(m.protein_change.short for m in members), phase,
                                  PhaseEvidence(source="vcf", detail=f"phase set {phase_set} "
                                                f"({', '.join(sorted({m.phase.source for m in members}))})")))
    return compounds
