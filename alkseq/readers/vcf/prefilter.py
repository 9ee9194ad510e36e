"""Which records can touch a known gene: the contig → interval table and a filter on raw bytes
(CHROM and POS only; line by line, or vectorised with numpy for big inputs) that runs before any
record is parsed."""
from __future__ import annotations

import bisect
import re
from pathlib import Path

def find_index(path: Path) -> str | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(str(path) + suffix)
        if candidate.is_file():
            return str(candidate)
    return None


def spans_by_chrom(builds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Contig name (both 'chr2' and '2') → [(start, end)] of known genes, for a cheap overlap test."""
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
        self.merged = merged_spans(spans)
        self.starts = {c.encode(): [s for s, _ in r] for c, r in self.merged.items()}
        self.ends = {c.encode(): [e for _, e in r] for c, r in self.merged.items()}
        self._numpy = None
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
        if big:
            yield from self._numpy_lines(data, first_line)
            return
        lines = data.split(b"\n")
        self.line_count = len(lines)
        for offset, line in enumerate(lines):
            if line and line != b"\r":
                if self.keep_line(line):
                    yield first_line + offset, line
            else:
                self.blank_lines += 1

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
        self.blank_lines += int((lengths == 0).sum()) + int(((lengths == 1) & (a[begins] == 13)).sum())
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
        for match in re.finditer(rb"END=", data):
            line_index = int(np.searchsorted(ends_nl, match.start()))
            if line_index < len(keep) and known[line_index]:
                keep[line_index] = True
        for index in np.flatnonzero(keep).tolist():
            if tail[index] and not self.keep_line(data[begins[index]:ends_nl[index]]):
                continue
            yield first_line + index, data[begins[index]:ends_nl[index]]
