"""Background records: plain small variants in known genes that cannot become a finding, counted on
the raw line instead of being parsed and interpreted (most in-gene records of a genome or exome).

A record is counted here only where the full path provably ends in a counter (``filtered``,
``not_in_tumour``, ``noncoding`` or the "not shipped hotspots" warning): the build is known before
reading, no ``--fasta``, no VEP ``CSQ`` / snpEff ``ANN`` layout in the header, no ``SVTYPE``/``END``
in INFO, no symbolic or breakend ALT, no shipped hotspot within reach, no shipped ALK sequence
within reach (so left-alignment and the REF check have nothing to act on), and, in ALK, no CDS base
within reach. The reach is ``_REACH`` for a record that left-alignment could move; a record whose REF
and every ALT are one base cannot move, so for it the reach is the shipped sequence and the CDS
themselves (the hotspots keep their base either side). Its VAF must come from ``FORMAT/AF`` with
nothing ``allele_stats`` tries first.
Anything else is parsed and interpreted as before, so findings, warnings and counts are unchanged.
"""
from __future__ import annotations

import bisect
import re

from alkseq.readers.vcf.header import Header, TextHeader
from alkseq.readers.vcf.prefilter import merge_ranges, overlaps_any
from alkseq.readers.vcf.records import FORMAT_KEY_SET, to_number, typed_values

_BASES = re.compile(r"[ACGTNacgtn]+")
_REACH = 600   # bp; more than left-alignment's 500-base limit plus allele trimming
_BEFORE_AF = frozenset({"FAO", "FREQ", "TIR", "TAR", "AU", "CU", "GU", "TU"})  # VAF sources tried before AF
_DEPTH_KEYS = ("FDP", "DP", "DPT", "AD")   # read before FORMAT/AF returns: Integer only, so nothing overflows
_NO_PLAN = -1
_ONE_BASE = frozenset("ACGTNacgtn")


class Background:
    """Counts for the records it took; ``interpret.Context.interpret`` adds them to its own."""

    def __init__(self, build: str, header: Header, text_header: TextHeader, sample_index: int,
                 include_filtered: bool):
        self.build = build
        self.format_ids = header.format_ids
        self.format_types = text_header.format
        self.sample_index = sample_index
        self._sample_column = 9 + sample_index
        self.include_filtered = include_filtered
        self.records = 0
        self.counts = {"filtered": 0, "not_in_tumour": 0, "noncoding": 0}
        self.bypass: dict[str, int] = {}
        self.blocked, self.alk_cds, self.genes, self.blocked_one_base, self.alk_cds_one_base = _tables(build)
        self._plans: dict[str, int] = {}
        self._vafs: dict[str, float | None] = {}                    # raw FORMAT/AF text → its value
        self._plain: dict[str, str] = {}
        self._segments: dict[str, _Segments] = {}

    def take_counts(self) -> tuple:
        """What this background counted so far, as ``add_counts``'s arguments (``bulk.Tally``'s fields),
        its counters then emptied: a forked child sends each interval's counts this way
        (``bcf._count_in_child``)."""
        counts = self.counts
        taken = (self.records, counts["filtered"], counts["not_in_tumour"], counts["noncoding"], self.bypass)
        self.records, self.counts, self.bypass = 0, dict.fromkeys(counts, 0), {}
        return taken

    def add_counts(self, records: int, filtered: int, not_in_tumour: int, noncoding: int,
                   bypass: dict[str, int]) -> None:
        """Add counts made elsewhere (``take_counts``'s fields: a forked child's, a numpy chunk's)."""
        self.records += records
        counts = self.counts
        counts["filtered"] += filtered
        counts["not_in_tumour"] += not_in_tumour
        counts["noncoding"] += noncoding
        for gene, number in bypass.items():
            self.bypass[gene] = self.bypass.get(gene, 0) + number

    @classmethod
    def for_file(cls, build: str | None, header: Header, text_header: TextHeader, sample_index: int | None,
                 options) -> "Background | None":
        """None when no record of this file could be taken (build unknown, FASTA, annotations, no sample)."""
        if build is None or options.fasta or header.csq_fields or header.ann_fields or sample_index is None:
            return None
        return cls(build, header, text_header, sample_index, options.include_filtered)

    def candidate(self, line: str, fields: list[str] | None = None) -> tuple | None:
        """(fields, chrom, pos, end, genes) of a line this module may take, else None (parse it).

        ``fields``: the line already split (one split per record, however many samples read it)."""
        if fields is None:
            fields = line.rstrip("\r").split("\t")
        placed = self._place(fields)
        return None if placed is None else (fields, *placed)

    def count(self, fields: list[str], spans: dict, earlier) -> bool | None:
        """``candidate`` then ``take`` in one pass, for the hot loop of one sample: True when the line was
        counted, False when it lies outside every gene (or in ``earlier``: already read), None when it
        must be parsed. The same decisions as the two steps (a test reads random records both ways)."""
        placed = self._place(fields)
        if placed is None:
            return None
        chrom, pos, end, genes = placed
        if earlier and overlaps_any(earlier, pos, end):
            return False
        ranges = spans.get(chrom)
        if ranges is None or not overlaps_any(ranges, pos, end):
            return False
        return self._tally(fields, genes)

    def _place(self, fields: list[str]) -> tuple | None:
        """(chrom, pos, end, genes) of a plain record away from every hotspot and the ALK CDS, else None.

        The hot loop of a genome: thousands of lines per file, so cheap tests first (an ALT of letters
        alone holds no ``<``, ``[`` or ``]``; the genes of a record inside one segment of a contig are
        that segment's, found by one bisect)."""
        if len(fields) <= self._sample_column:
            return None
        info, alt_text = fields[7], fields[4]
        if "END" in info or "SVTYPE" in info or not alt_text.isalpha() and (
                "<" in alt_text or "[" in alt_text or "]" in alt_text):
            return None
        chrom, pos_text = fields[0], fields[1]
        if not chrom or not (pos_text.isascii() and pos_text.isdigit()):
            return None
        pos = int(pos_text)
        ref = fields[3]
        end = pos + len(ref) - 1
        plain = self._plain.get(chrom)
        if plain is None:
            from alkseq.genome.transcript import plain_chrom

            plain = self._plain[chrom] = plain_chrom(chrom)
        # REF and every ALT one base ("A", "A,T"): nothing to left-align, so no reach around what is shipped
        one_base = len(ref) == 1 and len(alt_text) % 2 == 1 and alt_text[1::2] == "," * (len(alt_text) // 2)
        blocked = (self.blocked_one_base if one_base else self.blocked).get(plain)
        if blocked is not None and blocked.overlaps(pos, end):
            return None
        genes = self.segments(plain).genes(pos, end)
        if "ALK" in genes and (self.alk_cds is None or
                               (self.alk_cds_one_base if one_base else self.alk_cds).overlaps(pos, end)):
            return None
        return chrom, pos, end, genes

    def segments(self, plain: str) -> "_Segments":
        """The genes of contig ``plain`` (no ``chr``) as segments, made once per file (the chunk counter
        codes the same segments for numpy)."""
        segments = self._segments.get(plain)
        if segments is None:
            segments = self._segments[plain] = _Segments(self.genes.get(plain, ()))
        return segments

    def take(self, candidate: tuple) -> bool:
        """Count an overlapping candidate as the full path would; False when its VAF needs the full parse."""
        fields, _chrom, _pos, _end, genes = candidate
        return self._tally(fields, genes) is True

    def _tally(self, fields: list[str], genes: list[str]) -> bool | None:
        """Count one background record in the counter the full path would reach (True), or None
        when an allele's VAF needs the full parse (nothing counted then)."""
        if not genes:
            self.records += 1
            return True
        if fields[6] not in ("PASS", ".", "") and not self.include_filtered:
            self.records += 1
            self.counts["filtered"] += 1
            return True
        ref, alt_text = fields[3], fields[4]
        zero_vaf: list[bool] = []
        if alt_text not in (".", "") and (ref in _ONE_BASE or _BASES.fullmatch(ref) is not None):
            for index, alt in enumerate(alt_text.split(",")):
                if alt not in _ONE_BASE and (alt in ("*", ".") or not _BASES.fullmatch(alt)):
                    continue
                vaf = self._vaf(fields, index)
                if vaf is None:
                    return None
                zero_vaf.append(vaf == 0)
        self.records += 1
        in_alk = "ALK" in genes
        for zero in zero_vaf:
            if zero:
                self.counts["not_in_tumour"] += 1
            elif in_alk:
                self.counts["noncoding"] += 1
            else:
                for gene in genes:
                    self.bypass[gene] = self.bypass.get(gene, 0) + 1
        return True

    def _vaf(self, fields: list[str], index: int) -> float | None:
        """FORMAT/AF of this allele as ``allele_stats`` would return it, or None when it would look elsewhere."""
        af_at = self._plans.get(fields[8])
        if af_at is None:
            af_at = self._plans[fields[8]] = self._plan(fields[8])
        if af_at == _NO_PLAN:
            return None
        values = fields[self._sample_column].split(":", af_at + 1)
        fractions = values[af_at].split(",") if af_at < len(values) else ["."]
        if len(fractions) <= index:
            return None
        text = fractions[index]
        try:
            return self._vafs[text]
        except KeyError:
            value = typed_values([text], "Float")[0]
            value = self._vafs[text] = None if value is None else to_number(value)
            return value

    def _plan(self, format_text: str) -> int:
        """Column of AF in this FORMAT layout when FORMAT/AF decides the VAF, else ``_NO_PLAN``."""
        keys = format_text.split(":")
        present = {k for k in keys if k in FORMAT_KEY_SET and k in self.format_ids}
        if "AF" not in present or present & _BEFORE_AF:
            return _NO_PLAN
        kind = self.format_types.get("AF", (".", "String"))[1]
        if kind != "Float" or any(self.format_types.get(k, (".", "String"))[1] != "Integer"
                                  for k in _DEPTH_KEYS if k in present):
            return _NO_PLAN
        return keys.index("AF")



_TABLES: dict[str, tuple] = {}


def _tables(build: str) -> tuple:
    """(must-parse intervals per contig, ALK CDS reach, genes per contig, and the first two for records of
    one base) for a build: the same for every file, so built once per process (a batch worker reads
    thousands of files)."""
    if build in _TABLES:
        return _TABLES[build]
    from alkseq.genome.transcript import ShippedSequence, gene_spans, hotspots, load_transcript

    positions: dict[str, list[int]] = {}
    for chrom, pos, _ref, _alt in hotspots(build):
        positions.setdefault(chrom, []).append(pos)
    # Where a record must be parsed, as merged intervals per contig (one bisect per line):
    # within one base of a shipped hotspot (an adjacent SNV may merge into its codon) or within
    # _REACH of the shipped ALK sequence; and, for records in ALK, within _REACH of its CDS.
    segments = ShippedSequence(build).segments
    alk = load_transcript("ALK", build)
    cds = [] if alk is None else [(e.cds_start, e.cds_end) for e in alk.exons if e.cds_start is not None]

    near_hotspots = {chrom: [(h - 1, h + 1) for h in spots] for chrom, spots in positions.items()}

    def must_parse(reach: int) -> tuple:
        blocked = {chrom: list(spans) for chrom, spans in near_hotspots.items()}
        blocked.setdefault("2", []).extend((start - reach, end + reach) for start, end, _seq in segments)
        return ({chrom: Intervals(spans) for chrom, spans in blocked.items()},
                None if alk is None else Intervals([(start - reach, end + reach) for start, end in cds]))

    (blocked_intervals, alk_cds), (blocked_one_base, alk_cds_one_base) = must_parse(_REACH), must_parse(0)
    genes: dict[str, list[tuple[int, int, str]]] = {}      # genes_at, per contig, in its order
    for span in gene_spans(build):
        genes.setdefault(span.chrom, []).append((span.start, span.end, span.gene))
    _TABLES[build] = (blocked_intervals, alk_cds, genes, blocked_one_base, alk_cds_one_base)
    return _TABLES[build]


class _Segments:
    """A contig cut where its genes start and end: the genes of each piece, in ``genes_at`` order, so a
    record inside one piece (nearly all) finds its genes with one bisect."""

    __slots__ = ("spans", "bounds", "pieces")

    def __init__(self, spans):
        self.spans = tuple(spans)                            # (start, stop, gene), closed
        bounds = sorted({start for start, _stop, _gene in self.spans} | {stop + 1 for _start, stop, _gene in self.spans})
        self.bounds = bounds                                 # piece i: [bounds[i - 1], bounds[i]) (i = 0: before all)
        self.pieces = [self._overlapping(low, high - 1) for low, high in zip([0] + bounds, bounds + [1 << 62])]

    def starts(self):
        """(first position, genes) of each piece, in order from position 0."""
        return zip([0] + self.bounds, self.pieces)

    def _overlapping(self, pos: int, end: int) -> tuple:
        return tuple(gene for start, stop, gene in self.spans if start <= end and pos <= stop)

    def genes(self, pos: int, end: int) -> tuple:
        at = bisect.bisect_right(self.bounds, pos)
        if at == len(self.bounds) or end < self.bounds[at]:
            return self.pieces[at]
        return self._overlapping(pos, end)


class Intervals:
    """Closed integer intervals, merged and sorted, for one bisect per overlap test."""

    __slots__ = ("starts", "ends")

    def __init__(self, spans):
        merged = merge_ranges(spans)
        self.starts = [start for start, _end in merged]
        self.ends = [end for _start, end in merged]

    def overlaps(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self.starts, end) - 1
        return at >= 0 and self.ends[at] >= start
