"""BCF: htslib (pysam's ``libcbcf``, opened through ``bcfio`` as the VCF writer's BCF is) decodes
records into VCF text, and the text path parses them.

So a BCF and the same records as text VCF share one record parser, the background counter and
every check after it. Indexed (``.csi``): alkseq reads the CSI index itself (``csi``: htslib's
full index load was the largest part of an indexed run), seeks to where each merged gene interval's
records start and keeps those htslib's own region query would; an index it cannot read, or an
interval it leaves undecided, goes to htslib's query as before; with ``helper_process`` (the CLI),
a forked child counts background records while this process prepares the interpretation, then both
take intervals from one queue until none is left (``CsiItems``). Streamed: the fixed
record header (CHROM id, POS, reference length) is read on the raw inflated bytes and records
outside every gene are skipped undecoded; the few survivors go, with the file's own header, into
a small temporary BCF that htslib decodes. Big inputs find record starts with numpy, per chunk in
the threads that inflate it (``BcfTable.prepare``), before the chunk's first record is known; this
thread links each chunk to the record carried over from the one before. A chain that does not fit
falls back to this thread's numpy chain from the known first record (``_chain``), then to the loop,
so the result is the same either way.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

from alkseq.errors import InputError
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.csi import load as load_csi
from alkseq.readers.vcf.bcfio import open_bcf, record_texts
from alkseq.readers.vcf.header import TextHeader
from alkseq.readers.vcf.prefilter import find_index, merged_spans, overlaps_any, spans_by_chrom, with_extra

_RECORD = struct.Struct("<IIiii")      # l_shared, l_indiv, CHROM id, POS (0-based), rlen
_MIN_HEADER = 32                       # bytes of a record before its ID: what ``_chain`` tests
_VECTOR_MIN_BYTES = 1 << 16            # chunks shorter than this are walked by the loop (tests lower it)
_LATE_CHAIN = 1 << 16                  # a chunk's exact chain starting later than this: make the pruned one too
_WALK_BYTES = 1 << 12                  # records walked one by one before a prepared chain starts, at most


def read_bcf(path: Path, options: ReadOptions, build: str | None, build_source: str, warnings: list[str], *,
              numpy_min_bytes: int = 16 << 20):
    """Every reported sample of a BCF: htslib's text of the records that may touch a known gene, read by
    the text path (``read_records``), so BCF and text VCF give the same report."""
    from alkseq.readers.vcf.samples import read_records

    index = find_index(path)
    table = load_csi(index) if index and index.endswith(".csi") and os.path.isdir("/dev/fd") else None
    try:
        handle = open_bcf(path, index=index if index and table is None else None, without_index=table is not None)
    except InputError:
        if _raw_bcf_cut_short(path):
            raise InputError("truncated BCF file (its header is cut short)", path=str(path),
                             hint="the file was cut short; re-copy or re-write it") from None
        raise
    try:
        lines = str(handle.header).rstrip("\n").split("\n")

        def source(builds, extra_spans):
            spans = with_extra(spans_by_chrom(builds), extra_spans)
            if table is not None:
                return "indexed", CsiItems(path, handle, table, spans, index, options.helper_process)
            if index:
                return "indexed", _indexed_items(path, handle, spans)
            names = {contig.id: name for name, contig in handle.header.contigs.items()}
            texts = _streamed_texts(path, names, spans, TextHeader(lines), numpy_min_bytes)
            return "streamed", ((text, None, number, None) for number, text in enumerate(texts, 1))

        return read_records(path, options, lines, build, build_source, warnings, source)
    finally:
        handle.close()


def _indexed_items(path: Path, handle, spans):
    """One CSI query per merged gene interval, contigs in name order (as the tabix path): record text items;
    ``earlier`` lists the intervals of that contig already queried (a long record is not read twice)."""
    contigs = set(handle.header.contigs)
    record = 0
    for chrom, ranges in sorted(merged_spans(spans).items()):
        if chrom not in contigs:
            continue
        for number, (start, end) in enumerate(ranges):
            earlier = ranges[:number]
            try:
                found = handle.fetch(chrom, start - 1, end)
            except (ValueError, OSError) as exc:
                raise InputError(f"cannot query {chrom}:{start}-{end}: {exc}", path=str(path)) from None
            for text in record_texts(handle, path, found, f"cannot query {chrom}:{start}-{end}"):
                record += 1
                yield text, None, record, earlier


class CsiItems:
    """What ``_indexed_items`` gives, without htslib loading the whole index (iterate once): per merged
    interval, a seek to where the CSI index says its records start (``csi.Csi.start``), then records in
    file order with htslib's own tests (``_from``). An interval the index leaves undecided is fetched by
    htslib (index loaded then, once).

    ``count_in_bulk(background, spans)`` before iterating (one sample, build known): when the intervals
    hold enough records and ``helper_process`` allows it, a forked child (``forked``) and this process
    share their background counting (``Background.count``, the test ``TextSample.call`` makes first).
    Neither gets a fixed part: both take intervals from one queue (``_Claims``, largest first) until it
    is empty, the child from the fork on, this process once the caller's ``meanwhile`` (``run_meanwhile``)
    is done, so they finish together however long that takes. Only the records neither counted are
    yielded, in file order and numbered as reading in order would number them. Background counts do not
    depend on order, so the report is the same; an interval the child took but did not send (it failed
    or died) is read here, and an error is raised after every record before it, where reading in order
    would have met it."""

    def __init__(self, path: Path, handle, table, spans, index: str, helper_process: bool = False):
        self.path, self.handle, self.table, self.index = path, handle, table, index
        self.plan = _interval_plan(handle, table, spans)
        self.helper_process = helper_process
        self.counter: tuple | None = None
        self.meanwhile = None

    def count_in_bulk(self, background, spans) -> None:
        if self.helper_process:
            self.counter = (background, spans)

    def run_meanwhile(self, meanwhile) -> None:
        """Run the caller's ``meanwhile`` once the child has started (or, with none, before reading)."""
        self.meanwhile = meanwhile

    def __iter__(self):
        child = claims = None
        if self.counter is not None:
            background, spans = self.counter
            order = _work_order(self.table, self.plan)
            if order is not None:
                from alkseq import forked

                claims = _Claims(order)
                child = forked.start(lambda: _count_claimed(self.path, self.handle, self.table, self.plan, claims,
                                                            self.index, background, spans))
        if child is None:
            if claims is not None:
                claims.close()
            if self.meanwhile is not None:
                self.meanwhile()
            yield from _interval_items(self.path, self.handle, self.table, self.plan, self.index)
            return
        handle = None
        undecided = _Undecided(self.path, self.index)
        try:
            if self.meanwhile is not None:
                self.meanwhile()
            # the handle open before the fork is the child's now (its descriptor's file position is shared):
            # this process reads on a fresh one, opened while the child counts (not on the child's time)
            handle = open_bcf(self.path, without_index=True)
            done: dict[int, tuple] = {}        # interval → (records read, records left, error or None)
            for interval in claims:
                done[interval] = _count_one(self.path, handle, self.table, self.plan, interval, self.index,
                                            background, spans, undecided)
            for interval, records, left, tally in child.values():
                background.add_counts(*tally)
                done[interval] = (records, left, None)
            child = None
            before = 0
            for interval, entry in enumerate(self.plan):
                if interval not in done:       # taken by a child that failed or died before sending it
                    done[interval] = _count_one(self.path, handle, self.table, self.plan, interval, self.index,
                                                background, spans, undecided)
                records, left, error = done[interval]
                for text, record in left:
                    yield text, None, before + record, entry[4]
                if error is not None:
                    raise error
                before += records
        finally:
            if child is not None:
                child.cancel()
            claims.close()
            undecided.close()
            if handle is not None:
                handle.close()


def _interval_plan(handle, table, spans) -> list[tuple[str, int, int, int, list]]:
    """(contig, contig id, start, end, earlier intervals of that contig) per merged gene interval the file
    may hold, contigs in name order and intervals by start."""
    ids = {name: contig.id for name, contig in handle.header.contigs.items()}
    plan = []
    for chrom, ranges in sorted(merged_spans(spans).items()):
        rid = ids.get(chrom)
        if rid is None or not table.has_records(rid):
            continue
        plan.extend((chrom, rid, start, end, ranges[:number]) for number, (start, end) in enumerate(ranges))
    return plan


_HELPER_MIN_BYTES = 64 << 10    # compressed bytes the intervals span before a child is worth forking


def _work_order(table, plan) -> list[int] | None:
    """The indexes of ``plan``'s intervals, largest first (compressed bytes between the CSI offsets at
    its start and end, then bases), as ``_Claims`` hands them out: the last ones taken are the smallest,
    so neither process is left counting a big interval alone. None when sharing does not pay: the
    intervals span fewer than ``_HELPER_MIN_BYTES`` (about 1,400 records), there are fewer than two, or
    more than a one-byte claim can name."""
    sizes, spanned = [], 0
    for interval, (_chrom, rid, start, end, _earlier) in enumerate(plan):
        begin, stop = table.start(rid, start - 1), table.start(rid, end)
        size = max(0, stop - begin) if begin is not None and stop is not None else 0
        spanned += size >> 16
        sizes.append((-size, -(end - start), interval))
    if spanned < _HELPER_MIN_BYTES or not 2 <= len(plan) <= 256:
        return None
    return [interval for _size, _bases, interval in sorted(sizes)]


class _Claims:
    """A queue of interval indexes shared by this process and a forked child: a pipe holding one byte per
    interval, its writing end closed once filled, so each one-byte read takes the next interval (the
    kernel serialises reads of a pipe: no interval is taken twice) and an emptied pipe reads as its end.
    Iterating takes intervals until none is left; filled before the fork, read by both after it."""

    def __init__(self, order: list[int]):
        self._read, write = os.pipe()
        try:
            os.write(write, bytes(order))      # at most 256 bytes: far under a pipe's capacity
        finally:
            os.close(write)

    def __iter__(self):
        while self._read is not None:
            token = os.read(self._read, 1)
            if not token:
                return
            yield token[0]

    def close(self) -> None:
        if self._read is not None:
            os.close(self._read)
            self._read = None


def _count_one(path: Path, handle, table, plan, interval: int, index: str, background, spans,
               undecided: _Undecided) -> tuple:
    """(records read, records left as (text, record number within the interval), the ``InputError`` that
    stopped the reading or None) for interval ``interval`` of ``plan``; the others are counted in
    ``background``."""
    left = []
    count = background.count
    record = 0
    earlier = plan[interval][4]
    texts = _interval_texts(path, handle, table, [plan[interval]], index, undecided)
    try:
        for record, (_interval, text) in enumerate(texts, 1):
            if count(text.rstrip("\r").split("\t"), spans, earlier) is None:
                left.append((text, record))
    except InputError as exc:
        return record, left, exc
    return record, left, None


def _count_claimed(path: Path, handle, table, plan, claims: _Claims, index: str, background, spans):
    """In the forked child, interval by interval as it takes them from ``claims``: (its index, records read,
    records left as (text, record number within the interval), its counts as ``Background.add_counts``'s
    arguments), on the handle opened before the fork (the parent reads on another from then on: the file
    position is shared through the descriptor). An error fails the child; the parent reads the interval
    itself and meets the error in order."""
    background.take_counts()                    # what the parent had counted stays the parent's
    undecided = _Undecided(path, index)
    try:
        for interval in claims:
            records, left, error = _count_one(path, handle, table, plan, interval, index, background, spans,
                                              undecided)
            if error is not None:
                raise error
            yield interval, records, left, background.take_counts()
    finally:
        undecided.close()


def _interval_items(path: Path, handle, table, plan, index: str):
    """The record text items of ``plan``'s intervals, numbered from 1 (``CsiItems``)."""
    for record, (interval, text) in enumerate(_interval_texts(path, handle, table, plan, index), 1):
        yield text, None, record, plan[interval][4]


def _interval_texts(path: Path, handle, table, plan, index: str, undecided: _Undecided | None = None):
    """(index in ``plan``, record text) of every record overlapping each interval, in order; the intervals
    the index leaves undecided through ``undecided`` (one of its own when none is given)."""
    own = undecided is None
    if undecided is None:
        undecided = _Undecided(path, index)
    try:
        for interval, (chrom, rid, start, end, _earlier) in enumerate(plan):
            where = f"cannot query {chrom}:{start}-{end}"
            offset = table.start(rid, start - 1)
            if offset is None:
                texts = undecided.texts(chrom, start, end, where)
            else:
                texts = record_texts(handle, path, _from(handle, offset, rid, start - 1, end, path, where), where)
            for text in texts:
                yield interval, text
    finally:
        if own:
            undecided.close()


class _Undecided:
    """htslib's own region query, for the intervals the CSI index leaves undecided: the file is opened
    with its index (htslib loads all of it) on the first such interval, once per process."""

    def __init__(self, path: Path, index: str):
        self.path, self.index, self.handle = path, index, None

    def texts(self, chrom: str, start: int, end: int, where: str):
        if self.handle is None:
            self.handle = open_bcf(self.path, index=self.index)
        return record_texts(self.handle, self.path, self.handle.fetch(chrom, start - 1, end), where)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _from(handle, offset: int, rid: int, begin: int, end: int, path: Path, where: str):
    """Records from virtual ``offset`` overlapping 0-based ``[begin, end)`` of contig ``rid``, as htslib's
    iterator tests them."""
    try:
        handle.seek(offset)
    except (OSError, ValueError) as exc:
        raise InputError(f"{where}: {exc}", path=str(path)) from None
    for found in handle:
        if found.rid != rid or found.start >= end:
            return
        if found.stop > begin:
            yield found


def _raw_bcf_cut_short(path: Path) -> bool:
    """An uncompressed BCF (magic, then the header length) shorter than its own header says."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
            handle.seek(0, 2)
            size = handle.tell()
    except OSError:
        return False
    if head[:3] != b"BCF" or len(head) < 9:
        return head[:3] == b"BCF"
    return size < 9 + int.from_bytes(head[5:9], "little")


def _streamed_texts(path: Path, names: dict[int, str], spans, text_header: TextHeader,
                    numpy_min_bytes: int):
    """Text of every record that may overlap a known gene, streaming the file once.

    Chunks are taken as they come (no copy of one joined to the next): the record cut by a chunk's
    end is carried and completed from the next chunk's head, and the next chunk's records start
    where it ends. Big inputs have each chunk's record starts found in the inflating thread
    (``BcfTable.prepare``); this thread only checks that the chain found there starts where the
    carried record ends, else it walks the chunk itself (``BcfTable.survivors``)."""
    import os
    import tempfile

    from alkseq.readers.vcf.containers import bgzf_chunks, plain_chunks

    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    big = size * (4 if compressed else 1) >= numpy_min_bytes
    table = BcfTable(names, spans)
    prepare = table.vectorised() if big else None
    source = bgzf_chunks(path, prepare=prepare) if compressed else plain_chunks(path)
    if not (compressed and prepare):
        chunks = ((chunk, prepare(chunk) if prepare else None) for chunk in source)
    else:
        chunks = source
    directory = tempfile.mkdtemp(prefix="alkseq-bcf-")
    survivors = os.path.join(directory, "survivors.bcf")
    try:
        with open(survivors, "wb") as out:
            header = b""
            carry = None                # bytes of a record begun in earlier chunks; None until the header is read
            for chunk, prepared in chunks:
                if carry is None:
                    header += chunk
                    if len(header) < 9:
                        continue
                    if header[:4] != b"BCF\x02":
                        raise InputError("not a BCF 2 file (bad magic)", path=str(path))
                    body = 9 + struct.unpack_from("<I", header, 5)[0]
                    if len(header) < body:
                        continue
                    out.write(header[:body])          # the file's own header, verbatim
                    chunk, carry, prepared = header[body:], b"", ()
                start = 0
                if carry:
                    start = _carried_end(carry, chunk, path)
                    if start is None:
                        carry += chunk
                        continue
                    out.write(b"".join(table._loop(carry + chunk[:start], 0, path)[0]))
                if table.key is None and len(chunk) - start >= _MIN_HEADER:
                    table.key = int.from_bytes(chunk[start + 28:start + 32], "little")
                for chain in prepared or ():
                    found = chain.survivors(chunk, start, table, path)
                    if found is not None:
                        kept, resume = found
                        break
                else:
                    kept, resume = table.survivors(chunk, start, big, path)
                out.write(b"".join(kept))
                carry = chunk[resume:]
            if carry is None:
                raise InputError("truncated BCF file (the header is cut short)", path=str(path))
            if carry:
                raise InputError("truncated BCF file (the last record is cut short)", path=str(path))
        with open_bcf(survivors, path=path) as decoded:
            yield from record_texts(decoded, path)
    finally:
        source.close()
        try:
            os.unlink(survivors)
        except OSError:
            pass
        os.rmdir(directory)


def _carried_end(carry: bytes, chunk: bytes, path: Path) -> int | None:
    """Where in ``chunk`` the record begun in ``carry`` (its first bytes) ends; None when it goes on
    past ``chunk``."""
    head = carry + chunk[:max(0, 8 - len(carry))]
    if len(head) < 8:
        return None
    shared, indiv = struct.unpack_from("<II", head)
    if shared < 24:
        raise InputError("corrupt BCF record (shared part shorter than 24 bytes)", path=str(path))
    end = 8 + shared + indiv - len(carry)
    return end if end <= len(chunk) else None


class BcfTable:
    """Contig id → merged gene intervals, for the test on a record's fixed header."""

    def __init__(self, names: dict[int, str], spans):
        merged = merged_spans(spans)
        self.by_id = {rid: merged[name] for rid, name in names.items() if name in merged}
        self._numpy = None
        self.key: int | None = None     # the first record's sample and FORMAT counts (32 bits at +28), once seen

    def vectorised(self):
        """``prepare``, with numpy and the interval tables loaded here (not in a worker thread)."""
        self._tables()
        return self.prepare

    def prepare(self, data: bytes) -> tuple[PreparedChunk, ...]:
        """Where the records of one chunk start, found before the chunk's first record is known (in the
        inflating thread), as chains for ``PreparedChunk.survivors`` to try in turn.

        Candidates are the offsets whose 32 bits at +28 (sample and FORMAT counts) are the first
        record's: in most files every record's, and then the candidates from the last break on, where
        each one's lengths name the next, are the chunk's records. When that chain starts late (a
        record with other FORMAT fields broke it), a second one is made from the 24-bit sample count
        alone (every record has it, other offsets too), keeping the candidates some other candidate
        leads to, four times over (which also drops the chunk's first few records: the caller walks
        those). Empty when there is nothing to go by (no first record yet, a small chunk)."""
        key = self.key
        size = len(data)
        if not key or size < max(_VECTOR_MIN_BYTES, 2 * _MIN_HEADER):
            return ()                   # (a key of 0, no samples nor FORMAT: zeros are everywhere)
        np = self._tables()[0]
        exact = self._chain_of(np, data, _candidates(np, data, key, 0xFFFFFFFF), prune=False)
        if (exact is not None and exact.first <= min(_LATE_CHAIN, size // 8)) or not key & 0xFFFFFF:
            return () if exact is None else (exact,)
        general = self._chain_of(np, data, _candidates(np, data, key & 0xFFFFFF, 0xFFFFFF), prune=True)
        return tuple(chain for chain in (exact, general) if chain is not None)

    def _chain_of(self, np, data: bytes, cand, prune: bool) -> PreparedChunk | None:
        """The chain of candidates from the last break on (ascending offsets, each one's successor the
        next) and those of them that may touch a gene; None when there is none."""
        if cand is None or not len(cand):
            return None
        _np, slot, starts_g, ends_g = self._tables()
        fixed = np.ndarray(shape=(len(data) - 19, 5), dtype="<u4", buffer=data, strides=(1, 4))[cand]
        shared = fixed[:, 0].astype(np.int64)
        after = cand + 8 + shared + fixed[:, 1]
        if prune:
            count = len(cand)
            at = np.searchsorted(cand, after)
            leads = at < count
            leads[leads] = cand[at[leads]] == after[leads]
            keep = shared >= 24
            for _ in range(4):
                reached = np.zeros(count, dtype=bool)
                reached[at[leads & keep]] = True
                keep &= reached
            cand, after, fixed, shared = cand[keep], after[keep], fixed[keep], shared[keep]
            if not len(cand):
                return None
        if shared[-1] < 24:
            return None
        breaks = np.flatnonzero((after[:-1] != cand[1:]) | (shared[:-1] < 24))
        if len(breaks):
            first = int(breaks[-1]) + 1
            cand, after, fixed = cand[first:], after[first:], fixed[first:]
        hit = _gene_hits(np, fixed[:, 2], fixed[:, 3], fixed[:, 4], slot, starts_g, ends_g)
        return PreparedChunk(cand, int(after[-1]), cand[hit].tolist(), after[hit].tolist())

    def survivors(self, data: bytes, offset: int, big: bool, path: Path) -> tuple[list[bytes], int]:
        """Raw bytes of the records starting at ``offset`` that may overlap a gene, and where the first
        incomplete record starts."""
        if big and len(data) - offset > max(_VECTOR_MIN_BYTES, 2 * _MIN_HEADER):
            found = self._chain(data, offset)
            if found is not None:
                return found
        return self._loop(data, offset, path)

    def _loop(self, data: bytes, offset: int, path: Path, stop: int | None = None) -> tuple[list[bytes], int]:
        """The records from ``offset`` on, one by one (up to the first starting at or after ``stop``)."""
        kept = []
        unpack, by_id, size = _RECORD.unpack_from, self.by_id, len(data)
        stop = size if stop is None else stop
        while offset + 20 <= size and offset < stop:
            shared, indiv, rid, pos, rlen = unpack(data, offset)
            if shared < 24:
                raise InputError("corrupt BCF record (shared part shorter than 24 bytes)", path=str(path))
            after = offset + 8 + shared + indiv
            if after > size:
                break
            ranges = by_id.get(rid)
            if ranges is not None and overlaps_any(ranges, pos + 1, pos + max(rlen, 1)):
                kept.append(data[offset:after])
            offset = after
        return kept, offset

    def _tables(self):
        if self._numpy is None:
            import numpy as np

            rids = sorted(self.by_id)
            width = max(rids) + 2 if rids else 1
            slot = np.full(width, -1, dtype=np.int64)
            starts, ends = [], []
            for index, rid in enumerate(rids):
                slot[rid] = index
                for s, e in self.by_id[rid]:
                    starts.append((index << 33) + s)
                    ends.append((index << 33) + e)
            ends.append(-1 << 62)          # what a record on no gene contig (index -1 below) is compared with
            self._numpy = (np, slot, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
        return self._numpy

    def _chain(self, data: bytes, start: int):
        """``_loop``'s answer found with numpy, or None when the fast test misses a record.

        Candidates are the offsets whose sample-count field (24 bits at +28) holds the count of the
        record at ``start``; each candidate's successor is where its two lengths say the next record
        starts. Candidates no other candidate leads to are dropped until the rest is one unbroken
        chain from ``start`` — which then is exactly the records (each one's lengths name the next).
        Anything else (a record that is not a candidate, a chain that stops early) returns None."""
        np, slot, starts_g, ends_g = self._tables()
        size = len(data)
        last = size - _MIN_HEADER
        a = np.frombuffer(data, dtype=np.uint8)
        words = np.ndarray(shape=(size - 3,), dtype="<u4", buffer=data, strides=(1,))
        samples = int(words[start + 28]) & 0xFFFFFF
        hit = a[start + 28:last + 29] == (samples & 0xFF)
        hit &= a[start + 29:last + 30] == ((samples >> 8) & 0xFF)
        hit &= a[start + 30:last + 31] == (samples >> 16)
        cand = np.flatnonzero(hit) + start
        if not len(cand) or cand[0] != start:
            return None
        after = cand + 8 + words[cand].astype(np.int64) + words[cand + 4]
        k = len(cand)
        at = np.searchsorted(cand, after)
        leads = at < k
        leads[leads] = cand[at[leads]] == after[leads]
        keep = np.ones(k, dtype=bool)
        for _ in range(4):
            reached = np.zeros(k, dtype=bool)
            reached[at[leads & keep]] = True
            reached[0] = True
            if (reached == keep).all():
                break
            keep &= reached
        records, ends = cand[keep], after[keep]
        if len(records) > 1 and (ends[:-1] != records[1:]).any():
            return None
        if int(ends[-1]) > size:           # the last record continues in the next chunk
            records, ends, resume = records[:-1], ends[:-1], int(records[-1])
        else:
            resume = int(ends[-1])
            if resume <= last:
                return None                # a record the candidate test missed: the loop decides
        if (words[records].astype(np.int64) < 24).any():
            return None
        hit = _gene_hits(np, words[records + 8], words[records + 12], words[records + 16], slot, starts_g, ends_g)
        kept = [data[s:e] for s, e in zip(records[hit].tolist(), ends[hit].tolist())]
        return kept, resume


def _candidates(np, data: bytes, key: int, mask: int):
    """Ascending offsets ``r`` where the 32 bits at ``r + 28``, masked, equal ``key``: four aligned word
    compares (a word index per four offsets), then which offsets of each matched word. None when
    they are too dense to be records (a key of 0, as with no samples: the loop walks those)."""
    size = len(data)
    count = (size - 3) // 4

    def equal(shift):
        words = np.frombuffer(data, dtype="<u4", offset=shift, count=count)
        return (words if mask == 0xFFFFFFFF else words & mask) == key

    found = equal(0)
    for shift in (1, 2, 3):
        found |= equal(shift)
    index = np.flatnonzero(found)
    if len(index) > size // 8:
        return None
    quads = np.ndarray(shape=(count, 4), dtype="<u4", buffer=data, strides=(4, 1))[index]   # 4i + 0..3
    which = (quads if mask == 0xFFFFFFFF else quads & mask) == key
    code = which.view("<u4")[:, 0]                            # one byte per offset that matched
    if (code & (code - 1)).any():                             # two in one word
        cand = (index[:, None] * 4 + np.arange(4))[which]
    else:
        cand = index * 4 + ((code > 0xFF).astype(np.int64) + (code > 0xFFFF) + (code > 0xFFFFFF))
    tail = [at for at in range(4 * count, size - 3)
            if int.from_bytes(data[at:at + 4], "little") & mask == key]   # the last offsets no word covers
    if tail:
        cand = np.concatenate([cand, np.array(tail, dtype=cand.dtype)])
    cand -= 28
    return cand[cand >= 0]


def _gene_hits(np, rid, pos, rlen, slot, starts_g, ends_g):
    """Which records may overlap a gene (``overlaps_any`` on CHROM id, POS and rlen, vectorised), from
    the 32-bit words of their fixed headers.

    Keys are (gene contig index << 33) + position; a CHROM id without genes (or out of range, or -1)
    takes slot -1, whose keys are below every interval's, so the search lands on the sentinel end."""
    where = np.take(slot, rid, mode="clip") << 33           # the slot past the last id is -1
    g_start = where + pos + 1
    g_end = g_start + np.maximum(rlen.view(np.int32), 1) - 1
    j = np.searchsorted(starts_g, g_end, side="right") - 1
    return ends_g[j] >= g_start


class PreparedChunk:
    """One chunk's record chain as ``BcfTable.prepare`` found it: candidate offsets (ascending, each
    one's successor the next), where the last one ends, and those that may touch a gene (start, end)."""

    __slots__ = ("chain", "first", "last_end", "hit_starts", "hit_ends")

    def __init__(self, chain, last_end: int, hit_starts: list[int], hit_ends: list[int]):
        self.chain, self.first, self.last_end = chain, int(chain[0]), last_end
        self.hit_starts, self.hit_ends = hit_starts, hit_ends

    def survivors(self, data: bytes, start: int, table: BcfTable, path: Path) -> tuple[list[bytes], int] | None:
        """``table._loop(data, start)``'s answer when the record at ``start`` leads onto the chain (it is on
        it, or a few records walked one by one reach its first): then every record after is on it,
        in order (each one's lengths name the next), up to the last. None otherwise (a break after
        ``start``, a record the candidate test missed), and the caller walks the chunk itself."""
        from bisect import bisect_left

        kept: list[bytes] = []
        if start < self.first:
            if self.first - start > _WALK_BYTES:
                return None
            kept, start = table._loop(data, start, path, stop=self.first)
            if start != self.first:
                return None
        chain = self.chain
        at = int(chain.searchsorted(start))
        if at == len(chain) or int(chain[at]) != start:
            return None
        size = len(data)
        if self.last_end > size:                  # the last record continues in the next chunk
            resume = int(chain[-1])
        elif self.last_end > size - _MIN_HEADER:  # too close to the end for the test to see another
            resume = self.last_end
        else:
            return None                           # a record the candidate test missed
        starts, ends = self.hit_starts, self.hit_ends
        first, stop = bisect_left(starts, start), bisect_left(starts, resume)
        kept += [data[s:e] for s, e in zip(starts[first:stop], ends[first:stop])]
        return kept, resume
