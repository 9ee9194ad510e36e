"""Records overlapping known genes from a text VCF: by tabix query when indexed, else streamed
through the byte prefilter. Only survivors are parsed (or counted on the raw line, ``background``)."""
from __future__ import annotations

import types
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from alkseq.errors import InputError, InputTooLargeError
from alkseq.readers.vcf.background import Background
from alkseq.readers.vcf.header import decode_line, Header, TextHeader
from alkseq.readers.vcf.prefilter import find_index, merged_spans, overlaps_any, Prefilter, spans_by_chrom, with_extra
from alkseq.readers.vcf.records import Call, parse_record


def text_source(path: Path, container: str, body: bytes, chunks, first_line: int, builds: tuple[str, ...], *,
                 numpy_min_bytes: int, max_line_bytes: int, warnings: list[str],
                 extra_spans: dict[str, list[tuple[int, int]]] | None = None,
                 vectorised_min_bytes: int | None = None) -> tuple[str, Iterator[tuple]]:
    """(mode, records) for a text VCF: each record line that may overlap a known gene as ``(text, line number
    or None, record number, earlier)``, by tabix query when indexed, else through the byte prefilter over the
    stream. Nothing is held: memory is constant in the file's size. ``earlier`` (tabix) lists the gene
    intervals already queried on that contig, so a record reaching back into one is not read twice.

    ``vectorised_min_bytes``: inputs from this size (estimated uncompressed) take the numpy prefilter too,
    not only those over ``numpy_min_bytes`` (a caller that has numpy loaded anyway)."""
    spans = with_extra(spans_by_chrom(builds), extra_spans)
    index = find_index(path) if container == "bgzf" else None
    if index:
        return "indexed", _tabix_lines(path, index, spans)
    try:
        size = path.stat().st_size * (4 if container != "plain" else 1)
    except OSError:
        size = 0
    threads = size >= numpy_min_bytes
    numpy = threads or (vectorised_min_bytes is not None and size >= vectorised_min_bytes)
    return "streamed", StreamedLines(path, body, chunks, first_line, spans, numpy=numpy, threads=threads,
                                     max_line_bytes=max_line_bytes, warnings=warnings)


class StreamedLines:
    """The kept record lines of a streamed text VCF as ``text_source`` items, in file order (iterate once).

    ``count_in_bulk(background, spans)`` before iterating: where the numpy prefilter runs, background lines
    of one sample are counted a chunk at a time (``bulk``) and never yielded."""

    def __init__(self, path: Path, body: bytes, chunks, first_line: int, spans: dict[str, list[tuple[int, int]]], *,
                 numpy: bool, threads: bool, max_line_bytes: int, warnings: list[str]):
        self._args = (path, body, chunks, first_line, spans)
        self._options = {"numpy": numpy, "threads": threads, "max_line_bytes": max_line_bytes, "warnings": warnings}
        self.bulk = None

    def count_in_bulk(self, background: Background, spans: dict[str, list[tuple[int, int]]]) -> None:
        if self._options["numpy"]:
            from alkseq.readers.vcf.bulk import Bulk

            self.bulk = Bulk(background, spans)

    def __iter__(self) -> Iterator[tuple]:
        return _streamed_lines(*self._args, bulk=self.bulk, **self._options)


def _streamed_lines(path: Path, body: bytes, chunks, first_line: int, spans: dict[str, list[tuple[int, int]]], *,
                    numpy: bool, threads: bool, max_line_bytes: int, warnings: list[str], bulk=None) -> Iterator[tuple]:
    """Kept lines in file order. A big input's chunks are scanned by the numpy prefilter in two worker
    threads (numpy releases the GIL) while this thread parses survivors; the line cut across two chunks
    is joined and scanned here. Nothing is copied but that line; a few chunks are in flight. With
    ``bulk``, lines it counts are not yielded (their counts are added as each scan is taken)."""
    prefilter = Prefilter(spans)
    pool = None
    if threads:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=2)
    scans: deque = deque()           # in file order: a scan's result, or its future
    state = {"record": 0, "line": first_line + 1, "blank": 0}   # next record, line number of the next scan

    def emit(scan):
        scan = scan if isinstance(scan, tuple) else scan.result()
        kept, count, blanks = scan[:3]
        line_number = state["line"]
        if len(scan) == 4:            # counted by ``bulk``: kept are the lines left, with their record numbers
            records, tally = scan[3]
            tally.apply(bulk.background)
            first_record = state["record"]
            for index, raw, record in kept:
                yield decode_line(raw, path, line_number + index), line_number + index, first_record + record, None
            state["record"] = first_record + records
        else:
            for index, raw in kept:
                state["record"] += 1
                yield decode_line(raw, path, line_number + index), line_number + index, state["record"], None
        state["line"] += count
        state["blank"] += blanks

    pending = body
    in_flight = 0                    # scans submitted to the pool and not yet taken
    try:
        for chunk in chunks:
            first = chunk.find(b"\n")
            if first < 0:
                pending += chunk
                if len(pending) > max_line_bytes:
                    while scans:                     # the line number of ``pending`` is known once they are out
                        yield from emit(scans.popleft())
                    raise InputTooLargeError("a record line is longer than 64 MB (the limit for one VCF line)",
                                             path=str(path), line=state["line"])
                continue
            head = pending + chunk[:first]           # the line cut by the chunk boundary (or the header's rest)
            scans.append(prefilter.scan(head, 0, len(head), numpy, bulk))
            cut = chunk.rfind(b"\n")
            if cut > first:
                if pool is not None:
                    scans.append(pool.submit(prefilter.scan, chunk, first + 1, cut, numpy, bulk))
                    in_flight += 1
                else:
                    scans.append(prefilter.scan(chunk, first + 1, cut, numpy, bulk))
            pending = chunk[cut + 1:]
            while scans and (in_flight > 2 or isinstance(scans[0], tuple)):
                scan = scans.popleft()
                in_flight -= not isinstance(scan, tuple)
                yield from emit(scan)
        while scans:
            yield from emit(scans.popleft())
        if pending.strip(b"\r\n"):
            # the last line's newline ends it and starts no blank line: the scan stops before it (no copy)
            yield from emit(prefilter.scan(pending, 0, len(pending) - pending.endswith(b"\n"), numpy, bulk))
    finally:
        for scan in scans:
            if not isinstance(scan, tuple):
                scan.cancel()
        if pool is not None:
            pool.shutdown(wait=True)
    if state["blank"] > 1:             # one is a trailing newline too many; more is not VCF
        warnings.append(f"{state['blank']:,} blank lines among the records, skipped: not VCF "
                        "(is the file damaged or padded?)")


def _tabix_lines(path: Path, index: str, spans: dict[str, list[tuple[int, int]]]) -> Iterator[tuple]:
    """Query each merged gene interval once through the tabix/CSI index (pysam, raw lines), contigs in name
    order and intervals by start, as a sort by (CHROM, POS) would give them."""
    libctabix = pysam_tabix()
    try:
        tabix = libctabix.TabixFile(str(path), index=index, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open with its index: {exc}", path=str(path),
                         hint="re-index with tabix -p vcf, or delete the stale index") from None
    record = 0
    try:
        contigs = set(tabix.contigs)
        for chrom, ranges in sorted(merged_spans(spans).items()):
            if chrom not in contigs:
                continue
            for number, (start, end) in enumerate(ranges):
                earlier = ranges[:number]     # a record reaching back into these was returned already
                try:
                    for text in tabix.fetch(chrom, start - 1, end):
                        record += 1
                        yield text, None, record, earlier
                except UnicodeDecodeError:
                    raise InputError(f"not UTF-8 text in {chrom}:{start}-{end}", path=str(path)) from None
                except (ValueError, OSError) as exc:
                    raise InputError(f"cannot query {chrom}:{start}-{end}: {exc}", path=str(path)) from None
    finally:
        tabix.close()


class Split:
    """The last record line split into its columns: a 3,000-sample line is split once, not per sample."""

    __slots__ = ("text", "fields", "candidate_text", "candidate")

    def __init__(self):
        self.text: str | None = None
        self.fields: list[str] = []
        self.candidate_text: str | None = None      # the line ``candidate`` was decided for
        self.candidate: tuple | None = None

    def of(self, text: str) -> list[str]:
        if text is not self.text:
            self.text, self.fields = text, text.rstrip("\r").split("\t")
        return self.fields


class TextSample:
    """One sample's way from a raw record line to a ``Call``: counted on the raw line (``background``) when
    it cannot become a finding, else parsed; None when the record lies outside every known gene."""

    def __init__(self, path: Path, builds: tuple[str, ...], text_header: TextHeader, header: Header,
                 sample_index: int | None, background: Background | None, split: "Split | None" = None,
                 alone: bool = False):
        self.path, self.text_header, self.header = path, text_header, header
        self.alone = alone            # the file's only sample read: no candidate shared through ``split``
        self.sample_index, self.background = sample_index, background
        self.spans = spans_by_chrom(builds)
        self.split = split or Split()  # shared by the samples of one file: each record is split once
        self.records = 0              # parsed records in known genes

    def call(self, item: tuple) -> Call | None:
        text, number, record, earlier = item
        spans, background = self.spans, self.background
        split = self.split
        fields = split.of(text)
        if background is not None:
            if self.alone:             # one sample: test and count in one pass
                counted = background.count(fields, spans, earlier)
                if counted is not None:
                    return None        # counted, or outside every gene (the parsed record would be dropped)
            else:                      # the same for every sample of the file (samples come in column order)
                if split.candidate_text is not text:
                    split.candidate_text, split.candidate = text, background.candidate(text, fields)
                candidate = split.candidate
                if candidate is not None and len(fields) > 9 + (self.sample_index or 0):
                    if earlier and overlaps_any(earlier, candidate[2], candidate[3]):
                        return None
                    ranges = spans.get(candidate[1])
                    if ranges is None or not overlaps_any(ranges, candidate[2], candidate[3]):
                        return None    # outside every gene: the parsed record would be dropped too
                    if background.take(candidate):
                        return None
        call = parse_record(text, self.text_header, self.header, self.sample_index, number, record, self.path,
                             fields)
        if earlier and overlaps_any(earlier, call.pos, call.end):
            return None
        ranges = spans.get(call.chrom)
        if ranges is None or not overlaps_any(ranges, call.pos, call.end):
            return None
        self.records += 1
        return call


def pysam_tabix():
    """``pysam.libctabix`` (with htslib quiet), without the rest of pysam."""
    return pysam_extension("libctabix")


# Modules pysam's ``libcutils`` binds at its import for what alkseq never calls (its samtools/bcftools
# command dispatch): ``tempfile`` brings shutil, random, bz2 and lzma, ~5 ms of every indexed run;
# ``string`` compiles its ``Template`` pattern (0.7 ms, 2026-12-02).
_UNUSED_BY_ALKSEQ = ("tempfile", "string")


class _Deferred(types.ModuleType):
    """Stands in for a module an extension binds but alkseq does not use: the real module is imported
    on the first attribute asked of it (then, each time, its attribute is returned). A module object
    (``__spec__`` None and the rest), so the import system takes it as one."""

    def __getattr__(self, attribute: str):
        import importlib
        import sys

        if sys.modules.get(self.__name__) is self:     # asked while the extension still imports
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def _defer_unused(modules: dict) -> list:
    """Stand-ins (``_Deferred``) registered for the modules of ``_UNUSED_BY_ALKSEQ`` not imported yet."""
    deferred = [_Deferred(name) for name in _UNUSED_BY_ALKSEQ if name not in modules]
    for stand_in in deferred:
        modules[stand_in.__name__] = stand_in
    return deferred


def pysam_extension(name: str):
    """One pysam extension (``libctabix``, ``libcbcf``) with htslib quiet, without the rest of pysam.

    ``import pysam`` loads every extension (alignment files, BCF, samtools, faidx): about 40 M
    instructions, 10–15 ms, a twentieth of an indexed genome run that needs only tabix. The
    package object is registered without running its ``__init__`` while the extension
    and the modules it imports load; then it is removed, so a later ``import pysam`` (phasing,
    ``--fasta``) runs the real ``__init__`` and reuses the extensions already loaded. Anything
    unexpected falls back to the plain import.
    """
    import importlib
    import sys

    if "pysam" not in sys.modules:
        import importlib.util

        spec = importlib.util.find_spec("pysam")
        if spec is not None and spec.submodule_search_locations is not None:
            sys.modules["pysam"] = importlib.util.module_from_spec(spec)
            deferred = _defer_unused(sys.modules)
            try:
                libchtslib = importlib.import_module("pysam.libchtslib")
                extension = importlib.import_module(f"pysam.{name}")
            except Exception:   # noqa: BLE001 — whatever it was, the full import below decides
                extension = None
            finally:
                del sys.modules["pysam"]
                for stand_in in deferred:        # later importers get the real module
                    if sys.modules.get(stand_in.__name__) is stand_in:
                        del sys.modules[stand_in.__name__]
                # pure-Python submodules loaded meanwhile (pysam.utils …) were bound to the stand-in
                # package: drop them, so the real ``import pysam`` loads and binds them itself
                for loaded in [m for m in sys.modules if m.startswith("pysam.")]:
                    if not str(getattr(sys.modules[loaded], "__file__", "") or "").endswith((".so", ".pyd")):
                        del sys.modules[loaded]
            if extension is not None:
                libchtslib.set_verbosity(0)
                return extension
    import pysam

    pysam.set_verbosity(0)
    return getattr(pysam, name)
