"""BCF: htslib (pysam's ``libcbcf``, opened through ``bcfio`` as the VCF writer's BCF is) decodes
records into VCF text, and the text path parses them.

So a BCF and the same records as text VCF share one record parser, the background counter and
every check after it. Indexed (``.csi``): one query per merged gene interval. Streamed: the fixed
record header (CHROM id, POS, reference length) is read on the raw inflated bytes and records
outside every gene are skipped undecoded; the few survivors go, with the file's own header, into
a small temporary BCF that htslib decodes. Big inputs find record starts with numpy
(``_chain``) instead of a Python loop; a record the fast test misses falls back to the loop, so
the result is the same either way.
"""
from __future__ import annotations

import struct
from pathlib import Path

from alkseq.errors import InputError
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.bcfio import open_bcf, record_texts
from alkseq.readers.vcf.header import TextHeader
from alkseq.readers.vcf.prefilter import find_index, merged_spans, overlaps_any, spans_by_chrom, with_extra

_RECORD = struct.Struct("<IIiii")      # l_shared, l_indiv, CHROM id, POS (0-based), rlen
_MIN_HEADER = 32                       # bytes of a record before its ID: what ``_chain`` tests


def read_bcf(path: Path, options: ReadOptions, build: str | None, build_source: str, warnings: list[str], *,
              numpy_min_bytes: int = 16 << 20):
    """Every reported sample of a BCF: htslib's text of the records that may touch a known gene, read by
    the text path (``read_records``), so BCF and text VCF give the same report."""
    from alkseq.readers.vcf.samples import read_records

    index = find_index(path)
    try:
        handle = open_bcf(path, index=index if index else None)
    except InputError:
        if _raw_bcf_cut_short(path):
            raise InputError("truncated BCF file (its header is cut short)", path=str(path),
                             hint="the file was cut short; re-copy or re-write it") from None
        raise
    try:
        lines = str(handle.header).rstrip("\n").split("\n")

        def source(builds, extra_spans):
            spans = with_extra(spans_by_chrom(builds), extra_spans)
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
    """Text of every record that may overlap a known gene, streaming the file once."""
    import os
    import tempfile

    from alkseq.readers.vcf.containers import bgzf_chunks, plain_chunks

    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    big = size * (4 if compressed else 1) >= numpy_min_bytes
    table = BcfTable(names, spans)
    chunks = bgzf_chunks(path) if compressed else plain_chunks(path)
    directory = tempfile.mkdtemp(prefix="alkseq-bcf-")
    survivors = os.path.join(directory, "survivors.bcf")
    try:
        with open(survivors, "wb") as out:
            pending = b""
            offset = None               # of the first record in ``pending``, once the header is read
            for chunk in chunks:
                pending = pending + chunk if pending else chunk
                if offset is None:
                    if len(pending) < 9:
                        continue
                    if pending[:4] != b"BCF\x02":
                        raise InputError("not a BCF 2 file (bad magic)", path=str(path))
                    offset = 9 + struct.unpack_from("<I", pending, 5)[0]
                    if len(pending) < offset:
                        offset = None
                        continue
                    out.write(pending[:offset])          # the file's own header, verbatim
                kept, offset = table.survivors(pending, offset, big, path)
                out.write(b"".join(kept))
                pending, offset = pending[offset:], 0
            if offset is None:
                raise InputError("truncated BCF file (the header is cut short)", path=str(path))
            if pending:
                raise InputError("truncated BCF file (the last record is cut short)", path=str(path))
        with open_bcf(survivors, path=path) as decoded:
            yield from record_texts(decoded, path)
    finally:
        chunks.close()
        try:
            os.unlink(survivors)
        except OSError:
            pass
        os.rmdir(directory)


class BcfTable:
    """Contig id → merged gene intervals, for the test on a record's fixed header."""

    def __init__(self, names: dict[int, str], spans):
        merged = merged_spans(spans)
        self.by_id = {rid: merged[name] for rid, name in names.items() if name in merged}
        self._numpy = None

    def survivors(self, data: bytes, offset: int, big: bool, path: Path) -> tuple[list[bytes], int]:
        """Raw bytes of the records starting at ``offset`` that may overlap a gene, and where the first
        incomplete record starts."""
        if big and len(data) - offset > 1 << 16:
            found = self._chain(data, offset)
            if found is not None:
                return found
        return self._loop(data, offset, path)

    def _loop(self, data: bytes, offset: int, path: Path) -> tuple[list[bytes], int]:
        kept = []
        unpack, by_id, size = _RECORD.unpack_from, self.by_id, len(data)
        while offset + 20 <= size:
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
        rid = words[records + 8].astype(np.int64)
        pos = words[records + 12].astype(np.int64)
        rlen = np.maximum(words[records + 16].view(np.int32).astype(np.int64), 1)
        known = (rid >= 0) & (rid < len(slot) - 1)
        where = np.where(known, slot[np.clip(rid, 0, len(slot) - 1)], -1)
        known &= where >= 0
        g_start = (where << 33) + pos + 1
        g_end = (where << 33) + pos + rlen
        j = np.searchsorted(starts_g, g_end, side="right") - 1
        hit = known & (j >= 0) & (ends_g[np.maximum(j, 0)] >= g_start)
        kept = [data[s:e] for s, e in zip(records[hit].tolist(), ends[hit].tolist())]
        return kept, resume
