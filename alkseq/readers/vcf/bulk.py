"""Background records of a whole chunk counted at once (numpy): the decisions ``Background.count`` takes
line by line, taken on column offsets for every line of a chunk.

Why: a targeted panel has thousands of records, all in known genes, and at ~5 µs a line in Python its
background records are most of a batch sample's time. Used only where numpy is already paid for (a
batch worker, an input big enough for the numpy prefilter), one sample read, the build known up front.

Exactness: a line is counted here only when each test is provably the one ``count`` makes (ASCII line
without CR, no ``END``/``SVTYPE`` anywhere in it, enough columns, REF and ALT plain bases, one ALT, FILTER
read byte for byte, FORMAT layouts compared byte for byte and planned by ``Background._plan``, the AF
text a plain decimal whose zero-ness its digits decide). Any other line is left to the per-line path,
which decides it as before; a test reads files both ways and compares everything.
"""
from __future__ import annotations

from alkseq.readers.vcf.background import Background
from alkseq.readers.vcf.prefilter import merge_ranges

_WIDE = 16           # REF, ALT and AF texts longer than this are left to the per-line path
_FORMAT_WIDE = 64    # FORMAT texts longer than this too
_CODE = 33           # contig slot << _CODE | position, as the numpy prefilter codes positions
_LAYOUTS = 8         # FORMAT layouts planned per chunk; lines of further ones are left to the per-line path
_PASS = int.from_bytes(b"PASS", "little")
_TABLES: dict[tuple, tuple] = {}


class Tally:
    """What a chunk's counted lines add to a ``Background`` (applied in the reading thread, in file order)."""

    __slots__ = ("records", "filtered", "not_in_tumour", "noncoding", "bypass")

    def __init__(self, records: int = 0, filtered: int = 0, not_in_tumour: int = 0, noncoding: int = 0,
                 bypass: dict[str, int] | None = None):
        self.records, self.filtered, self.not_in_tumour, self.noncoding = records, filtered, not_in_tumour, noncoding
        self.bypass = bypass or {}

    def apply(self, background: Background) -> None:
        background.add_counts(self.records, self.filtered, self.not_in_tumour, self.noncoding, self.bypass)


class Columns:
    """A chunk as the numpy prefilter read it: its bytes ``a``, line starts and ends (offsets in ``a``), the
    offsets of every tab, newline and colon (``marks``, a newline at the end when the last line has none)
    with those bytes (``kinds``), the offsets of every ``END``/``SVTYPE`` (``words``) and of every ``END``
    (``ends_words``), and of every CR or non-ASCII byte (``odd``)."""

    __slots__ = ("a", "begins", "ends", "marks", "kinds", "words", "ends_words", "odd")

    def __init__(self, a, begins, ends, marks, kinds, words, ends_words, odd):
        self.a, self.begins, self.ends, self.marks, self.kinds = a, begins, ends, marks, kinds
        self.words, self.ends_words, self.odd = words, ends_words, odd


class Bulk:
    """One sample's background counter for whole chunks; ``classify`` is pure (worker threads may call it)."""

    def __init__(self, background: Background, spans: dict[str, list[tuple[int, int]]]):
        self.background = background
        self.spans = spans
        self._key = (background.build, tuple(sorted((chrom, tuple(r)) for chrom, r in spans.items())))

    Columns = Columns

    @staticmethod
    def dense(placed: int, lines: int) -> bool:
        """Whether a chunk is counted here: ``placed`` of its ``lines`` lie in a gene. A panel's, yes; a
        genome's (~0.1 %) no: reading its columns (an offset per tab, colon and newline) would cost more
        time and memory than the lines it could take."""
        return placed * 4 >= lines

    def classify(self, np, chunk: "Columns", lines, slots, positions, names: list[bytes]):
        """(line indices counted here, their ``Tally``) among ``lines`` (indices into the chunk's lines) on
        contig ``names[slots]`` at POS ``positions``."""
        none = lines[:0], Tally()
        a, ends, marks = chunk.a, chunk.ends, chunk.marks
        tables = self._tables(np, names)
        background = self.background
        fields = (chunk.kinds != 58).nonzero()[0]       # tabs and newlines, as indices into ``marks``
        separators = marks[fields]
        newlines = (chunk.kinds[fields] == 10).nonzero()[0]   # each line's newline among the separators
        line_first = np.zeros(len(ends), dtype=np.int64)
        line_first[1:] = newlines[:len(ends) - 1] + 1
        first, stop_at = line_first[lines], newlines[lines]
        last = first + 8 + background.sample_index      # the tab before the sample's column
        ok = last < stop_at
        odd = _odd_lines(np, ends, chunk.words, chunk.odd)
        if odd is not None:
            ok &= ~odd[lines]
        if not ok.any():
            return none
        lines, first, last, stop_at, slots, positions = (x[ok] for x in (lines, first, last, stop_at, slots,
                                                                         positions))
        t2, t3, t4, t5, t6, t7, t8 = (separators[first + k] for k in range(2, 9))
        sample_marks = fields[last], fields[last + 1]   # the tab before the sample's column, the mark after it
        buffer = np.zeros(len(a) + _FORMAT_WIDE + 8, dtype=np.uint8)
        buffer[:len(a)] = a
        ref_length, alt_length = t3 - t2 - 1, t4 - t3 - 1
        filter_length = t6 - t5 - 1
        filter_word = _words(np, buffer, 4)[t5 + 1]
        passed = (filter_length == 0) | ((filter_length == 1) & (buffer[t5 + 1] == 46)) | \
            ((filter_length == 4) & (filter_word == _PASS))
        # where the record lies: coded like the numpy prefilter (contig slot, position)
        stop = positions + ref_length - 1
        code = slots.astype(np.int64) << _CODE
        start_code, stop_code = code + positions, code + stop
        segment = tables.segment_starts.searchsorted(start_code, side="right") - 1
        gene_set = tables.segment_sets[segment]
        in_alk = tables.set_has_alk[gene_set]
        one_base = (ref_length == 1) & (alt_length == 1)  # nothing to left-align: no reach (``background``)
        blocked = np.where(one_base, _overlaps(tables.blocked_one_base, start_code, stop_code),
                           _overlaps(tables.blocked, start_code, stop_code))
        takes = (ref_length >= 1) & (positions < (1 << 32)) & (stop < (1 << 32)) \
            & _only(np, buffer, t3 + 1, alt_length, tables.bases) \
            & (segment == tables.segment_starts.searchsorted(stop_code, side="right") - 1) \
            & ~blocked & _overlaps(tables.spans, start_code, stop_code)
        if tables.alk_cds is None:
            takes &= ~in_alk
        elif in_alk.any():
            in_cds = np.where(one_base, _overlaps(tables.alk_cds_one_base, positions, stop),
                              _overlaps(tables.alk_cds, positions, stop))
            takes &= ~in_alk | ~in_cds
        no_gene = takes & (gene_set == 0)
        filtered = takes & ~no_gene & ~passed & (not background.include_filtered)
        alleles = takes & ~no_gene & ~filtered
        alleles &= _only(np, buffer, t2 + 1, ref_length, tables.bases)
        vaf_known, zero = self._vafs(np, a, buffer, alleles, t7, t8, marks, *sample_marks)
        counted_alleles = alleles & vaf_known
        counted = no_gene | filtered | counted_alleles
        not_in_tumour = counted_alleles & zero
        noncoding = counted_alleles & ~zero & in_alk
        bypass_sets = np.bincount(gene_set[counted_alleles & ~zero & ~in_alk], minlength=len(tables.sets))
        bypass: dict[str, int] = {}
        for set_index in bypass_sets.nonzero()[0].tolist():
            for gene in tables.sets[set_index]:
                bypass[gene] = bypass.get(gene, 0) + int(bypass_sets[set_index])
        return lines[counted], Tally(int(counted.sum()), int(filtered.sum()), int(not_in_tumour.sum()),
                                     int(noncoding.sum()), bypass)

    def _vafs(self, np, a, buffer, wanted, format_tab, format_end, marks, sample_mark, after_mark):
        """(the VAF is one ``Background._vaf`` reads from FORMAT/AF, it is 0) for each line; only ``wanted``
        lines are looked at. FORMAT layouts are compared byte for byte and each planned once; the sample's
        subfields are found among ``marks`` (between ``sample_mark`` and ``after_mark`` all are colons)."""
        known = np.zeros(len(wanted), dtype=bool)
        zero = np.zeros(len(wanted), dtype=bool)
        rows = wanted.nonzero()[0]
        start, length = format_tab[rows] + 1, format_end[rows] - format_tab[rows] - 1
        first_mark, colons = sample_mark[rows], after_mark[rows] - sample_mark[rows] - 1
        short = length <= _FORMAT_WIDE
        rows, start, length, first_mark, colons = rows[short], start[short], length[short], first_mark[short], \
            colons[short]
        if not len(rows):
            return known, zero
        words64, lanes = _words(np, buffer, 8), _lanes(np)
        words = [words64[start + 8 * k] & lanes[np.clip(length - 8 * k, 0, 8)]
                 for k in range(-(-int(length.max()) // 8))]
        background = self.background
        column = np.full(len(rows), -1, dtype=np.int64)
        open_rows = np.ones(len(rows), dtype=bool)
        for _layout in range(_LAYOUTS):                 # one FORMAT layout at a time, its first line as example
            example = int(open_rows.argmax())
            same = open_rows & (length == length[example])
            for word in words:
                same &= word == word[example]
            layout = bytes(a[int(start[example]):int(start[example] + length[example])]).decode("latin-1")
            plan = background._plans.get(layout)
            if plan is None:
                plan = background._plans[layout] = background._plan(layout)
            column[same] = plan
            open_rows &= ~same
            if not open_rows.any():
                break
        planned = (column >= 0) & (column <= colons)      # the sample's column has that many subfields
        rows, column, first_mark = rows[planned], column[planned], first_mark[planned]
        if not len(rows):
            return known, zero
        # the AF text: after mark ``column`` of the sample's column (0: its tab), up to the next mark
        af_start = marks[first_mark + column] + 1
        af_length = marks[first_mark + column + 1] - af_start
        flags = [_digit_flags(np, words64[af_start + 8 * half], lanes[np.clip(af_length - 8 * half, 0, 8)])
                 for half in (0, 1)]                    # bytes 0-7 and 8-15 of the text
        (other0, dot0, nonzero0, digit0), (other1, dot1, nonzero1, digit1) = flags
        one = np.uint64(1)
        plain = (af_length >= 1) & (af_length <= _WIDE) & (other0 == 0) & (other1 == 0) & (digit0 | digit1) \
            & ((dot0 & (dot0 - one)) == 0) & ((dot1 & (dot1 - one)) == 0) & ((dot0 == 0) | (dot1 == 0))
        known[rows] = plain
        zero[rows] = plain & (nonzero0 == 0) & (nonzero1 == 0)
        return known, zero

    def _tables(self, np, names: list[bytes]) -> "_Tables":
        key = (self._key, tuple(names))
        tables = _TABLES.get(key)
        if tables is None:
            tables = _TABLES[key] = _Tables(np, self.background, self.spans, [n.decode() for n in names])
        return tables


class _Tables:
    """numpy forms of the span, must-parse and gene tables, coded per contig slot of the prefilter."""

    def __init__(self, np, background: Background, spans, names: list[str]):
        from alkseq.genome.transcript import plain_chrom

        def coded(per_slot):
            starts, stops = [], []
            for slot, ranges in enumerate(per_slot):
                for start, stop in merge_ranges(ranges):
                    if stop >= 0:                   # positions are never negative
                        starts.append((slot << _CODE) + max(start, 0))
                        stops.append((slot << _CODE) + stop)
            return np.array(starts, dtype=np.int64), np.array(stops, dtype=np.int64)

        plain = [plain_chrom(name) for name in names]
        self.spans = coded([spans.get(name, []) for name in names])
        def per_slot(table):
            found = [table.get(p) for p in plain]
            return coded([list(zip(b.starts, b.ends)) if b is not None else [] for b in found])

        def arrays(intervals):
            return None if intervals is None else (np.array(intervals.starts, dtype=np.int64),
                                                   np.array(intervals.ends, dtype=np.int64))

        self.blocked, self.blocked_one_base = per_slot(background.blocked), per_slot(background.blocked_one_base)
        self.alk_cds, self.alk_cds_one_base = arrays(background.alk_cds), arrays(background.alk_cds_one_base)
        # genes: the background's segments (the gene set is constant along each), one starting at 0 per slot
        self.sets: list[tuple[str, ...]] = [()]
        set_ids = {(): 0}
        starts, set_of = [], []
        for slot, chrom in enumerate(plain):
            for bound, members in background.segments(chrom).starts():
                starts.append((slot << _CODE) + bound)
                set_of.append(set_ids.setdefault(members, len(set_ids)))
                if set_of[-1] == len(self.sets):
                    self.sets.append(members)
        self.segment_starts = np.array(starts, dtype=np.int64)
        self.segment_sets = np.array(set_of, dtype=np.int64)
        self.set_has_alk = np.array(["ALK" in members for members in self.sets], dtype=bool)
        self.bases = np.zeros(256, dtype=bool)
        self.bases[list(b"ACGTNacgtn")] = True


def _words(np, buffer, size: int):
    """Every unaligned little-endian ``size``-byte word of ``buffer`` (a view: word i starts at byte i)."""
    return np.ndarray(shape=(len(buffer) - size + 1,), dtype=f"<u{size}", buffer=buffer, strides=(1,))


def _lanes(np):
    """``_lanes(np)[k]``: the low k bytes of a 64-bit word."""
    return np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _digit_flags(np, word, lanes):
    """A decimal text's bytes in a little-endian word (``lanes``: the bytes that are text) as high-bit
    flags: (bytes neither digit nor dot, dots, digits other than 0, whether any digit). Each byte is
    tested alone (no carry crosses a byte)."""
    high = lanes & np.uint64(0x8080808080808080)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    x = word ^ np.uint64(0x3030303030303030)          # a digit becomes 0-9
    not_digit = (((x & low7) + np.uint64(0x7676767676767676)) | x) & high
    y = word ^ np.uint64(0x2E2E2E2E2E2E2E2E)          # a dot becomes 0
    dot = ~(((y & low7) + low7) | y) & high
    nonzero = (((x & low7) + low7) | x) & high
    return not_digit & ~dot, dot, nonzero & ~not_digit, (~not_digit & high) != 0


def _only(np, buffer, start, length, allowed):
    """Whether each text ``buffer[start:start + length]`` is 1 to _WIDE bytes, all ``allowed``."""
    ok = allowed[buffer[start]] & (length == 1)
    longer = np.flatnonzero((length > 1) & (length <= _WIDE))
    if len(longer):
        text = buffer[start[longer][:, None] + np.arange(_WIDE)]
        ok[longer] = (allowed[text] | (np.arange(_WIDE) >= length[longer][:, None])).all(axis=1)
    return ok


def _odd_lines(np, ends, words, odd_bytes):
    """Lines to leave to the per-line path whatever their columns say (None: none): non-ASCII or CR bytes
    (``odd_bytes``: decoding and ``rstrip`` decide those), END or SVTYPE (``words``) anywhere (``count``
    looks in INFO)."""
    hits = [h for h in (words, odd_bytes) if len(h)]
    if not hits:
        return None
    odd = np.zeros(len(ends), dtype=bool)
    for h in hits:
        odd[np.minimum(np.searchsorted(ends, h), len(ends) - 1)] = True
    return odd


def _overlaps(table, start, stop):
    """Whether each closed [start, stop] meets one of the sorted disjoint closed intervals ``table``."""
    starts, stops = table
    if not len(starts):
        return start < start
    at = starts.searchsorted(stop, side="right") - 1
    return (at >= 0) & (stops[at.clip(0)] >= start)
