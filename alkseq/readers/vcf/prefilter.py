"""Which records can touch a known gene: the contig → interval table and a filter on raw bytes
(CHROM and POS only; line by line, or vectorised with numpy for big inputs) that runs before any
record is parsed."""
from __future__ import annotations

import bisect
import re
from pathlib import Path

_END = re.compile(rb"END=")


def find_index(path: Path) -> str | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(str(path) + suffix)
        if candidate.is_file():
            return str(candidate)
    return None


def spans_by_chrom(builds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Contig name (both 'chr2' and '2') → [(start, end)] of known genes, for a cheap overlap test.

    One table per build tuple and process, shared by every caller (none changes it): a batch worker
    asked for it three times per file (4 % of a 2k-record panel's time)."""
    table = _SPANS.get(builds)
    if table is None:
        table = _SPANS[builds] = _spans_by_chrom(builds)
    return table


_SPANS: dict[tuple[str, ...], dict[str, list[tuple[int, int]]]] = {}


def _spans_by_chrom(builds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    from alkseq.genome.transcript import gene_spans

    table: dict[str, list[tuple[int, int]]] = {}
    for build in builds:
        for span in gene_spans(build):
            for name in (span.chrom, "chr" + span.chrom):
                table.setdefault(name, []).append((span.start, span.end))
    return table


def vote_spans(build: str) -> dict[str, list[tuple[int, int]]]:
    """Where REF alleles can vote for ``build``: its shipped ALK sequence and its hotspots (± 1 base).
    Read for the other build than an explicit one, so a wrong ``--build`` is caught (exit 4)."""
    from alkseq.genome.transcript import ShippedSequence, hotspots

    table: dict[str, list[tuple[int, int]]] = {}
    places = [("2", start, end) for start, end, _seq in ShippedSequence(build).segments]
    places += [(chrom, pos - 1, pos + 1) for chrom, pos, _ref, _alt in hotspots(build)]
    for chrom, start, end in places:
        for name in (chrom, "chr" + chrom):
            table.setdefault(name, []).append((start, end))
    return table


def with_extra(spans: dict[str, list[tuple[int, int]]], extra: dict[str, list[tuple[int, int]]] | None):
    """Both span tables in one (for the byte prefilter)."""
    if not extra:
        return spans
    out = {chrom: list(ranges) for chrom, ranges in spans.items()}
    for chrom, ranges in extra.items():
        out.setdefault(chrom, []).extend(ranges)
    return out


def merge_ranges(ranges) -> list[tuple[int, int]]:
    """Sorted disjoint closed intervals covering ``ranges`` (touching ones joined)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def merged_spans(spans: dict[str, list[tuple[int, int]]]) -> dict[str, list[tuple[int, int]]]:
    """Per contig, sorted disjoint intervals covering the spans."""
    return {chrom: merge_ranges(ranges) for chrom, ranges in spans.items()}


def overlaps_any(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    for span_start, span_end in ranges:
        if start <= span_end and span_start <= end:
            return True
    return False




class Prefilter:
    """Which raw record lines can overlap a known gene — decided on bytes, before any parsing.

    Exact for POS and REF length; a line carrying ``END=`` (whose extent comes from INFO) is always
    kept, and the parsed record is checked again, so this only ever keeps too much, never too little.
    """

    def __init__(self, spans: dict[str, list[tuple[int, int]]]):
        tables = _SHARED_TABLES.get(id(spans))
        if tables is None or tables.spans is not spans:
            tables = _SpanTables(spans)
            if any(spans is shared for shared in _SPANS.values()):   # ``spans_by_chrom``'s: kept for the process
                _SHARED_TABLES[id(spans)] = tables
        self._shared = tables
        self.merged, self.starts, self.ends = tables.merged, tables.starts, tables.ends
        self._numpy: tuple | None = None
        self.line_count = 0       # lines in the last chunk handed to ``lines``
        self.blank_lines = 0      # empty (or CR-only) lines seen in all chunks: not VCF, warned about

    def keep_line(self, line: bytes) -> bool:
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
        kept, self.line_count, blanks = self.scan(data, 0, len(data), big)
        self.blank_lines += blanks
        for index, line in kept:
            yield first_line + index, line

    def scan(self, data: bytes, start: int, stop: int, big: bool, bulk=None) -> tuple:
        """(kept lines of ``data[start:stop]`` as (index from ``start``, bytes), lines, blank lines): whole
        lines, nothing copied, no state changed, so worker threads can scan the chunks of a stream.

        With ``bulk`` (``bulk.Bulk``, numpy only) background lines are counted on the way: a fourth item
        ``(records, tally)`` is added, the kept lines are (index, bytes, record number within the chunk) of
        those left to parse, ``records`` the number of kept lines, counted ones included."""
        if big and stop - start >= 32:
            return self._numpy_scan(data, start, stop, bulk)
        kept, blanks = [], 0
        lines = data[start:stop].split(b"\n")
        keep_line = self.keep_line
        for offset, line in enumerate(lines):
            if line and line != b"\r":
                if keep_line(line):
                    kept.append((offset, line))
            else:
                blanks += 1
        return kept, len(lines), blanks

    def _tables(self):
        if self._numpy is None:
            self._numpy = self._shared.numpy
        if self._numpy is None:
            key = tuple(sorted((chrom, tuple(ranges)) for chrom, ranges in self.merged.items()))
            self._numpy = self._shared.numpy = _NUMPY_TABLES.get(key)
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
            lanes = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)  # the low k bytes of a word
            self._numpy = (np, codes, np.array(starts, dtype=np.int64)[order], np.array(ends, dtype=np.int64)[order],
                           lanes, [name.encode() for name in names])
            _NUMPY_TABLES[key] = self._shared.numpy = self._numpy   # the same for every file of a build
        return self._numpy

    @staticmethod
    def _code(name: bytes) -> int:
        return (len(name) << 56) | int.from_bytes(name[:7].ljust(7, b"\0"), "little") if len(name) <= 7 else -1

    def _numpy_scan(self, data: bytes, start: int, stop: int, bulk=None) -> tuple:
        """The same decision as ``keep_line``, vectorised over a whole chunk (numpy releases the GIL, so the
        BGZF threads keep inflating meanwhile). Only CHROM (≤ 7 bytes to be one of ours) and POS (≤ 10
        digits) are read, as 8-byte words (one unaligned gather per field, bytes handled as lanes of the
        word), and POS only on lines whose CHROM is a gene contig; REF length is bounded by the line
        length, so a line that starts before a gene but is long enough to reach it is kept, and the
        parsed record gets the exact overlap test."""
        np, codes, starts_g, ends_g, lanes, names = self._tables()
        # the newline that ends the last line, when ``data`` has it just past ``stop``, is read with the
        # chunk: every line then ends at a newline byte (no end appended to the offsets, nor to the marks)
        past = data[stop - 1:stop] != b"\n" and data[stop:stop + 1] == b"\n"
        ended = past or data[stop - 1:stop] == b"\n"
        a = np.frombuffer(data, dtype=np.uint8, count=stop - start + past, offset=start)
        newline = a == 10
        ends_nl = np.flatnonzero(newline)
        if not ended:
            ends_nl = np.append(ends_nl, len(a))
        begins = np.empty_like(ends_nl)
        begins[0] = 0
        begins[1:] = ends_nl[:-1] + 1
        lengths = ends_nl - begins
        blanks = int((lengths == 0).sum()) + int(((lengths == 1) & (a[begins] == 13)).sum())
        tail = begins > len(a) - 24                     # too close to the end for the words: exact check
        # unaligned 8-byte words at every offset: one gather per field instead of one per byte
        words = np.ndarray(shape=(len(a) - 7,), dtype="<u8", buffer=data, offset=start, strides=(1,))
        head = words[np.minimum(begins, len(a) - 24)]   # CHROM and its tab
        t1, found = _first_tab(np, head)
        code = (head & lanes[t1]).astype(np.int64) | (t1.astype(np.int64) << 56)
        slot = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
        known = found & (t1 >= 1) & (t1 < lengths) & (codes[slot] == code) & ~tail
        rows = np.flatnonzero(known)                    # lines on a gene contig: only these get a POS
        slot, t1, line_lengths = slot[rows], t1[rows], lengths[rows]
        at = begins[rows] + t1 + 1
        first, extra = words[at], words[at + 8]         # POS (up to 10 digits) and its tab
        t2, in_first = _first_tab(np, first)
        extra_bytes = extra & np.uint64(0xFFFFFF)
        t2 = np.where(in_first, t2, 8 + _first_tab(np, extra_bytes | np.uint64(0x0909090909000000))[0])
        pos_ok = (t2 >= 1) & (t2 <= 10) & (t2 < line_lengths - t1)
        first_lanes = lanes[np.minimum(t2, 8)]
        digits = first & first_lanes
        pos_ok &= (digits & np.uint64(0xF0F0F0F0F0F0F0F0)) == (np.uint64(0x3030303030303030) & first_lanes)
        pos_ok &= ((digits + np.uint64(0x0606060606060606)) & np.uint64(0xF0F0F0F0F0F0F0F0)) == \
            (np.uint64(0x3030303030303030) & first_lanes)
        d8 = (extra_bytes & np.uint64(0xFF)).astype(np.int64) - 48
        d9 = ((extra_bytes >> np.uint64(8)) & np.uint64(0xFF)).astype(np.int64) - 48
        pos_ok &= (t2 <= 8) | ((d8 >= 0) & (d8 <= 9))
        pos_ok &= (t2 <= 9) | ((d9 >= 0) & (d9 <= 9))
        pos = _eight_digits(np, digits << (np.uint64(8) * (np.uint64(8) - np.minimum(t2, 8).astype(np.uint64))))
        pos = np.where(t2 == 9, pos * 10 + d8, np.where(t2 == 10, pos * 100 + d8 * 10 + d9, pos))
        g_pos = (slot.astype(np.int64) << 33) + pos
        j = np.searchsorted(starts_g, g_pos, side="right")
        hit = (j > 0) & (ends_g[np.maximum(j - 1, 0)] >= g_pos)
        nxt = np.minimum(j, len(starts_g) - 1)
        near = (j < len(starts_g)) & (starts_g[nxt] <= g_pos + line_lengths - 1)
        keep = tail.copy()
        keep[rows] = ~pos_ok | hit | near
        placed = pos_ok & (hit | near)                  # kept lines with a POS: what ``bulk`` may count
        dense = bulk is not None and bulk.dense(len(rows[placed]), len(ends_nl))
        # records whose extent comes from INFO/END (the regex engine's literal search: a few matches in
        # megabytes, no temporary arrays). A dense chunk's counter reads columns instead (``_columns``): every
        # "END=" is an "END" followed by "=" (the word cannot overlap itself)
        if dense:
            columns = _columns(np, a, newline, begins, ends_nl, ended, bulk)
            followed = columns.ends_words[columns.ends_words + 3 < len(a)]
            end_offsets = followed[a[followed + 3] == 61]
        else:
            end_offsets = _offsets(np, _END, data, start, stop)
        line_index = np.searchsorted(ends_nl, end_offsets)
        line_index = line_index[line_index < len(keep)]
        keep[line_index[known[line_index]]] = True
        if dense:   # the counter leaves every line with END or SVTYPE anywhere (``words``) alone
            return self._counted_scan(np, data, start, columns, keep, tail, blanks, bulk,
                                      rows[placed], slot[placed], pos[placed], names)
        kept = []
        for index in np.flatnonzero(keep).tolist():
            line = data[start + int(begins[index]):start + int(ends_nl[index])]
            if not tail[index] or self.keep_line(line):
                kept.append((index, line))
        return kept, len(ends_nl), blanks

    def _counted_scan(self, np, data, start, columns, keep, tail, blanks, bulk, lines, slots, positions, names):
        """``_numpy_scan``'s kept lines with the background ones counted by ``bulk`` (see ``scan``)."""
        counted, tally = bulk.classify(np, columns, lines, slots, positions, names)
        begins, ends_nl = columns.begins, columns.ends
        kept_lines = np.flatnonzero(keep)
        records = np.arange(1, len(kept_lines) + 1)
        if len(counted):
            left = keep.copy()
            left[counted] = False
            leave = left[kept_lines]
            kept_lines, records = kept_lines[leave], records[leave]
        kept, exact = [], 0
        for index, record in zip(kept_lines.tolist(), records.tolist()):
            line = data[start + int(begins[index]):start + int(ends_nl[index])]
            if not tail[index] or self.keep_line(line):
                kept.append((index, line, record - exact))
            else:
                exact += 1                              # a tail line the exact test drops: not a record
        return kept, len(ends_nl), blanks, (int(keep.sum()) - exact, tally)


_NUMPY_TABLES: dict[tuple, tuple] = {}


class _SpanTables:
    """What ``Prefilter`` derives from a span table (merged intervals, their starts and ends per contig as
    bytes, the numpy tables once asked for): made once per process for ``spans_by_chrom``'s shared tables."""

    __slots__ = ("spans", "merged", "starts", "ends", "numpy")

    def __init__(self, spans: dict[str, list[tuple[int, int]]]):
        self.spans = spans
        self.merged = merged_spans(spans)
        self.starts = {c.encode(): [s for s, _ in r] for c, r in self.merged.items()}
        self.ends = {c.encode(): [e for _, e in r] for c, r in self.merged.items()}
        self.numpy: tuple | None = None


_SHARED_TABLES: dict[int, _SpanTables] = {}     # id of a shared span table → what is derived from it


def _columns(np, a, newline, begins, ends_nl, ended: bool, bulk):
    """``bulk.Columns`` of the chunk ``a`` (``newline``: where its bytes are newlines): the marks (tabs,
    newlines, colons: one mask, no temporaries), the words END and SVTYPE, read from their E (the first
    of END, the last of SVTYPE, which holds no other; two regex searches cost five times as much), and
    the CR and non-ASCII bytes (``Columns.odd``). Measured on a 2k-record panel: folding the E and CR
    bytes into the marks' mask is a fifth slower than their own passes (the marks must then be sifted)."""
    is_mark = a == 9
    is_mark |= newline
    is_mark |= a == 58
    marks = np.flatnonzero(is_mark)
    kinds = a[marks]
    if not ended:                                       # the last line ends at the chunk's end
        marks, kinds = np.append(marks, len(a)), np.append(kinds, 10)
    e = np.flatnonzero(a == 69)
    n = len(a)
    end = e[e + 2 < n]
    end = end[(a[end + 1] == 78) & (a[end + 2] == 68)]
    sv = e[e >= 5]
    sv = sv[(a[sv - 5] == 83) & (a[sv - 4] == 86) & (a[sv - 3] == 84) & (a[sv - 2] == 89) & (a[sv - 1] == 80)] - 5
    words = np.sort(np.concatenate([end, sv])) if len(sv) else end
    odd = np.flatnonzero((a > 127) | (a == 13)) if a.max() > 127 or (a == 13).any() else e[:0]
    return bulk.Columns(a, begins, ends_nl, marks, kinds, words, end, odd)


def _offsets(np, pattern, data: bytes, start: int, stop: int):
    """Where ``pattern`` matches in ``data[start:stop]``, as offsets from ``start``."""
    return np.array([m.start() - start for m in pattern.finditer(data, start, stop)], dtype=np.int64)


def _first_tab(np, words):
    """(index of the first tab byte in each little-endian 8-byte word, whether there is one): the
    zero-byte test on ``word ^ 0x09…`` (exact for the lowest zero lane), its lowest set bit read from
    the float exponent (a power of two converts exactly)."""
    x = words ^ np.uint64(0x0909090909090909)
    zero = (x - np.uint64(0x0101010101010101)) & ~x & np.uint64(0x8080808080808080)
    found = zero != 0
    low = (zero & (~zero + np.uint64(1))) | np.uint64(1 << 63) * ~found      # lowest set bit (bit 8k+7)
    exponent = low.astype(np.float64).view(np.int64) >> 52
    return ((exponent - 1023 - 7) >> 3), found


def _eight_digits(np, word):
    """Eight ASCII digits in a little-endian word (first digit in the low byte) → their value (SWAR)."""
    word = word & np.uint64(0x0F0F0F0F0F0F0F0F)
    word = (word * np.uint64(2561)) >> np.uint64(8)
    word = ((word & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    word = ((word & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    return word.astype(np.int64)
