"""Shipped transcript models, gene spans, reference sequence and hotspot tables (offline).

Everything here is read from ``reference/genome/`` (see its README for provenance) once
and cached; callers get small frozen objects and plain lookups. Coordinates are 1-based
inclusive, builds are ``GRCh37`` / ``GRCh38``, chromosome names carry no ``chr`` prefix.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple, Protocol

from alkseq.errors import InputError, KnowledgeError, UsageError
from alkseq.model import dataclass  # frozen records without code generation at import

BUILDS = ("GRCh37", "GRCh38")
_BUILD_ALIASES = {
    "grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "hs37d5": "GRCh37", "37": "GRCh37",
    "grch37-lite": "GRCh37", "grch38": "GRCh38", "hg38": "GRCh38", "b38": "GRCh38", "38": "GRCh38",
}
ALK_TRANSCRIPT = "NM_004304.5"
ALK_WINDOW = (1059, 1388)  # codons whose three bases are all in the shipped sequence


def normalise_build(text: str | None) -> str | None:
    """'hg19'/'b37'/'GRCh37' → 'GRCh37'; None stays None; anything else is a UsageError."""
    if text is None:
        return None
    key = str(text).strip().lower()
    if key in _BUILD_ALIASES:
        return _BUILD_ALIASES[key]
    raise UsageError(f"unknown genome build '{text}'", hint="use GRCh37 or GRCh38 (hg19, hg38, b37 accepted)")


# chr1 and chr2 lengths of each build: how a VCF header or a BAM tells its build
BUILD_BY_CONTIG_LENGTH = {
    249250621: "GRCh37", 243199373: "GRCh37", 248956422: "GRCh38", 242193529: "GRCh38"}


def other_build(build: str) -> str:
    return "GRCh38" if build == "GRCh37" else "GRCh37"


def plain_chrom(chrom: str) -> str:
    """'chr2' / '2' / 'CHR2' → '2'; 'chrM'/'MT' → 'MT'."""
    text = str(chrom)
    if text[:3].lower() == "chr":
        text = text[3:]
    return "MT" if text == "M" else text


@lru_cache(maxsize=1)
def genome_dir() -> Path:
    from alkseq.knowledge.paths import genome_dir as shipped

    return shipped()


@lru_cache(maxsize=16)
def _rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of one shipped genome table, read once per process (callers only read them)."""
    header, rows = _table(name)
    return tuple(dict(zip(header, cells)) for cells in rows)


@lru_cache(maxsize=16)
def _table(name: str) -> tuple[list[str], list[list[str]]]:
    """(header, each row's cells in header order) of one shipped genome table: what ``_rows`` makes dicts
    of, for a caller that picks a few columns of many rows (``hotspots``, on every genome run's start)."""
    path = genome_dir() / name
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if line and not line.startswith("#")]
    except OSError as exc:
        raise KnowledgeError(f"cannot read shipped genome table: {exc.strerror or exc}", path=str(path)) from None
    if not lines:
        return [], []
    header = lines[0].split("\t")          # no quoting: a plain split reads it as csv would
    width = len(header)
    rows = [line.split("\t") for line in lines[1:]]
    if any('"' in line for line in lines) or any(len(cells) != width for cells in rows):
        import csv                          # quoted or ragged: keep csv's rules (a missing cell reads as "")

        rows = [[row.get(column) or "" for column in header] for row in csv.DictReader(lines, delimiter="\t")]
    return header, rows


# --------------------------------------------------------------------------- gene spans

class GeneSpan(NamedTuple):
    gene: str
    chrom: str
    start: int
    end: int
    strand: str
    mane_enst: str
    mane_refseq: str


@lru_cache(maxsize=2)
def gene_spans(build: str) -> tuple[GeneSpan, ...]:
    """Spans of every gene alkseq knows, in one build (from reference/genome/gene_spans.tsv)."""
    key = "grch38" if build == "GRCh38" else "grch37"
    return tuple(GeneSpan(r["gene"], plain_chrom(r["chrom"]), int(r[f"{key}_start"]), int(r[f"{key}_end"]),
                          r["strand"], r["mane_select_enst"], r["mane_select_refseq"])
                 for r in _rows("gene_spans.tsv"))


def genes_at(build: str, chrom: str, start: int, end: int | None = None) -> list[str]:
    """Known genes overlapping [start, end] on chrom."""
    end = start if end is None else end
    return [s.gene for s in _spans_on(build, plain_chrom(chrom)) if s.start <= end and start <= s.end]


@lru_cache(maxsize=256)
def _spans_on(build: str, chrom: str) -> tuple[GeneSpan, ...]:
    """``gene_spans`` of one contig, in their order."""
    return tuple(s for s in gene_spans(build) if s.chrom == chrom)


def span_of(gene: str, build: str) -> GeneSpan | None:
    for span in gene_spans(build):
        if span.gene == gene:
            return span
    return None


# --------------------------------------------------------------------------- transcripts

class Exon(NamedTuple):
    number: int
    start: int
    end: int
    cds_start: int | None  # genomic bounds of the coding part (None when non-coding)
    cds_end: int | None
    c_start: int           # c. of the exon's first coding base in transcript order
    c_end: int


@dataclass(frozen=True)
class Transcript:
    """One transcript in one build: exons in transcript order (5'→3')."""

    gene: str
    accession: str
    build: str
    chrom: str
    strand: str
    exons: tuple[Exon, ...]

    @cached_property
    def cds_length(self) -> int:
        return max(e.c_end for e in self.exons)

    @cached_property
    def _coding(self) -> tuple[list[int], list[tuple[int, int, int]]]:
        """The coding exons' (cds_start, cds_end, c_start) by genomic start, and those starts: one
        bisect per ``c_of`` (translating a variant asks for every base it spans), not a walk."""
        coding = sorted((e.cds_start, e.cds_end, e.c_start) for e in self.exons
                        if e.cds_start is not None and e.cds_end is not None)
        return [start for start, _end, _c in coding], coding

    def c_of(self, pos: int) -> int | None:
        """c. position of a genomic base inside the CDS, else None."""
        starts, coding = self._coding
        at = bisect_right(starts, pos) - 1
        if at < 0:
            return None
        cds_start, cds_end, c_start = coding[at]
        if pos > cds_end:
            return None
        if self.strand == "+":
            return c_start + (pos - cds_start)
        return c_start + (cds_end - pos)

    def genomic_of(self, c: int) -> int | None:
        """Genomic position of CDS base c (1-based), else None."""
        for exon in self.exons:
            if exon.c_start <= c <= exon.c_end and exon.cds_start is not None and exon.cds_end is not None:
                if self.strand == "+":
                    return exon.cds_start + (c - exon.c_start)
                return exon.cds_end - (c - exon.c_start)
        return None

    @cached_property
    def _layout(self) -> tuple[list[int], list[tuple[int, int, int]], list[int], list[tuple[int, int, int]]]:
        """Exons as (start, end, number) and introns as (low, high, number of the exon before it in
        transcript order), each by genomic start with those starts: ``locate`` bisects them (the
        records of an ALK-reaching genome ask for ~50 positions), not a walk over every exon pair."""
        ordered = self.exons
        exons = sorted((e.start, e.end, e.number) for e in ordered)
        introns = []
        for first, second in zip(ordered, ordered[1:]):
            a, b = (first.end, second.start) if self.strand == "+" else (second.end, first.start)
            introns.append((min(a, b), max(a, b), first.number))
        introns.sort()
        return [start for start, _end, _n in exons], exons, [low for low, _high, _n in introns], introns

    def locate(self, pos: int) -> tuple[str, int]:
        """('exon', n) or ('intron', n) — intron n lies between exon n and n+1 in transcript order.

        Positions before the first or after the last exon are ('upstream', 0) / ('downstream', last).
        """
        exon_starts, exons, intron_lows, introns = self._layout
        at = bisect_right(exon_starts, pos) - 1
        if at >= 0 and pos <= exons[at][1]:
            return "exon", exons[at][2]
        at = bisect_left(intron_lows, pos) - 1          # the last intron whose low end lies before pos
        if at >= 0 and pos < introns[at][1]:
            return "intron", introns[at][2]
        ordered = self.exons
        five_prime = ordered[0].start if self.strand == "+" else ordered[0].end
        before = pos < five_prime if self.strand == "+" else pos > five_prime
        return ("upstream", 0) if before else ("downstream", ordered[-1].number)

    def overlaps_cds(self, start: int, end: int) -> bool:
        """Whether [start, end] touches a coding base: the coding exon starting last at or before ``end``
        is the only one to test (coding exons do not overlap)."""
        starts, coding = self._coding
        at = bisect_right(starts, end) - 1
        return at >= 0 and coding[at][1] >= start


@lru_cache(maxsize=8)
def load_transcript(gene: str, build: str) -> Transcript | None:
    """The shipped transcript of ALK (NM_004304.5) or EML4 (NM_019063.5) in one build."""
    key = "grch38" if build == "GRCh38" else "grch37"
    rows = [r for r in _rows("transcripts.tsv") if r["gene"] == gene]
    if not rows:
        return None
    exons = tuple(sorted((Exon(int(r["exon"]), int(r[f"{key}_start"]), int(r[f"{key}_end"]),
                               int(r[f"cds_{key}_start"]), int(r[f"cds_{key}_end"]),
                               int(r["c_start"]), int(r["c_end"])) for r in rows),
                         key=lambda e: e.number))
    span = span_of(gene, build)
    return Transcript(gene, rows[0]["transcript"], build, span.chrom if span else "2", rows[0]["strand"], exons)


@lru_cache(maxsize=2)
def alk_protein() -> str:
    """ALK reference protein (UniProt Q9UM73 = NM_004304.5, 1620 aa)."""
    path = genome_dir() / "ALK_protein_Q9UM73.fa"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KnowledgeError(f"cannot read ALK protein: {exc.strerror or exc}", path=str(path)) from None
    return "".join(line.strip() for line in lines if line and not line.startswith(">"))


# --------------------------------------------------------------------------- sequence sources

class SequenceSource(Protocol):
    def fetch(self, chrom: str, start: int, end: int) -> str | None:
        """Plus-strand reference bases start..end (1-based inclusive), or None if unknown."""


class ShippedSequence:
    """The ALK exon 20–28 (± flanks) plus-strand sequence shipped with alkseq."""

    def __init__(self, build: str):
        self.build = build
        self.segments = _shipped_segments(build)

    def fetch(self, chrom: str, start: int, end: int) -> str | None:
        if plain_chrom(chrom) != "2":
            return None
        for seg_start, seg_end, seq in self.segments:
            if seg_start <= start and end <= seg_end:
                return seq[start - seg_start:end - seg_start + 1]
        return None

    def covers(self, chrom: str, start: int, end: int) -> bool:
        return self.fetch(chrom, start, end) is not None


@lru_cache(maxsize=2)
def _shipped_segments(build: str) -> tuple[tuple[int, int, str], ...]:
    key = "grch38" if build == "GRCh38" else "grch37"
    return tuple((int(r[f"{key}_start"]), int(r[f"{key}_end"]), r["plus_strand_sequence"].upper())
                 for r in _rows("alk_sequence.tsv"))


class FastaSequence:
    """A user-supplied indexed FASTA (pysam.FastaFile); contig names with or without 'chr'."""

    def __init__(self, path: str):
        import pysam

        try:
            self._fasta = pysam.FastaFile(str(path))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot open reference FASTA: {exc}", path=str(path),
                             hint="give a bgzip/plain FASTA with a .fai index (samtools faidx)") from None
        self.path = str(path)
        self._names = {plain_chrom(name): name for name in self._fasta.references}
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths))

    def length(self, chrom: str) -> int | None:
        name = self._names.get(plain_chrom(chrom))
        return self._lengths.get(name) if name else None

    def fetch(self, chrom: str, start: int, end: int) -> str | None:
        name = self._names.get(plain_chrom(chrom))
        if name is None or start < 1 or end > self._lengths[name]:
            return None
        return self._fasta.fetch(name, start - 1, end).upper()


class ChainedSequence:
    """First source that knows the bases wins (user FASTA, then the shipped window)."""

    def __init__(self, *sources: SequenceSource | None):
        self.sources = tuple(s for s in sources if s is not None)

    def fetch(self, chrom: str, start: int, end: int) -> str | None:
        for source in self.sources:
            bases = source.fetch(chrom, start, end)
            if bases:
                return bases
        return None


# --------------------------------------------------------------------------- hotspots

class Hotspot(NamedTuple):
    gene: str
    protein: str        # one-letter HGVS p., MANE numbering (e.g. p.Y1230C for MET)
    transcript: str
    source: str


@lru_cache(maxsize=2)
def hotspots(build: str) -> dict[tuple[str, int, str, str], Hotspot]:
    """(chrom, pos, ref, alt) → Hotspot for bypass genes, VCF-style alleles in one build."""
    table: dict[tuple[str, int, str, str], Hotspot] = {}
    header, rows = _table("hotspots.tsv")
    at = {column: index for index, column in enumerate(header)}
    of_build, chrom, pos, ref, alt = (at[column] for column in ("build", "chrom", "pos", "ref", "alt"))
    gene, protein, transcript, source = (at[column] for column in ("gene", "protein", "transcript", "source"))
    for cells in rows:
        if cells[of_build] == build:
            table[(plain_chrom(cells[chrom]), int(cells[pos]), cells[ref], cells[alt])] = Hotspot(
                cells[gene], cells[protein], cells[transcript], cells[source])
    return table
