"""BCF: htslib (pysam) decodes records into VCF text, and the text path parses them.

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
from alkseq.readers.vcf.background import _Background
from alkseq.readers.vcf.callers import _choose_sample
from alkseq.readers.vcf.header import _Header, _TextHeader
from alkseq.readers.vcf.prefilter import _find_index, _merged, _overlaps, _spans_by_chrom
from alkseq.readers.vcf.records import _Call, _parse_record

_RECORD = struct.Struct("<IIiii")      # l_shared, l_indiv, CHROM id, POS (0-based), rlen
_MIN_HEADER = 32                       # bytes of a record before its ID: what ``_chain`` tests


def _read_bcf(path: Path, options: ReadOptions, build: str | None, build_source: str, warnings: list[str], *,
              numpy_min_bytes: int = 16 << 20):
    """(header, sample, calls, mode, background, build, build_source) of one BCF, as the text path has them."""
    from alkseq.readers.vcf.collect import _pysam_extension

    libcbcf = _pysam_extension("libcbcf")
    index = _find_index(path)
    try:
        handle = libcbcf.VariantFile(str(path), index_filename=index if index else None)
    except (OSError, ValueError) as exc:
        reason = "no valid VCF/BCF header" if "valid header" in str(exc) else str(exc)
        raise InputError(f"cannot read as BCF: {reason}", path=str(path),
                         hint="is the file complete and a BCF 2? re-index with bcftools index if the index is stale") from None
    try:
        lines = str(handle.header).rstrip("\n").split("\n")
        header = _Header.parse("\n".join(lines) + "\n")
        text_header = _TextHeader(lines)
        if text_header.problems:
            more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
            warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
        sample, sample_index = _choose_sample(text_header.samples, header, options, path, warnings)
        if build is None:
            build, build_source = header.build()
        builds = (build,) if build else ("GRCh37", "GRCh38")
        background = _Background.for_file(build, header, text_header, sample_index, options)
        spans = _spans_by_chrom(builds)
        reader = _Lines(path, text_header, header, sample_index, spans, background)
        if index:
            contigs = set(handle.header.contigs)
            for chrom, ranges in _merged(spans).items():
                if chrom not in contigs:
                    continue
                for number, (start, end) in enumerate(ranges):
                    try:
                        texts = [str(record) for record in handle.fetch(chrom, start - 1, end)]
                    except (ValueError, OSError) as exc:
                        raise InputError(f"cannot query {chrom}:{start}-{end}: {exc}", path=str(path)) from None
                    reader.add(texts, spans[chrom], ranges[:number])
            reader.calls.sort(key=lambda c: (c.chrom, c.pos))
            mode = "indexed"
        else:
            names = {contig.id: name for name, contig in handle.header.contigs.items()}
            reader.add(_streamed_texts(path, libcbcf, names, spans, text_header, numpy_min_bytes), None, ())
            mode = "streamed"
    finally:
        handle.close()
    return header, sample, reader.calls, mode, background, build, build_source


class _Lines:
    """VCF text lines of records → ``_Call``s in known genes (background records only counted)."""

    def __init__(self, path, text_header, header, sample_index, spans, background):
        self.path, self.text_header, self.header, self.sample_index = path, text_header, header, sample_index
        self.spans, self.background = spans, background
        self.calls: list[_Call] = []
        self.record = 0

    def add(self, texts, genes, earlier) -> None:
        """``genes``: the query's contig intervals (None: look them up); ``earlier``: intervals already
        queried, whose records were handed over before."""
        background = self.background
        for text in texts:
            text = text.rstrip("\n")
            self.record += 1
            candidate = background.candidate(text) if background is not None else None
            if candidate is not None:
                ranges = genes if genes is not None else self.spans.get(candidate[1])
                if earlier and _overlaps(earlier, candidate[2], candidate[3]):
                    continue
                if ranges is None or not _overlaps(ranges, candidate[2], candidate[3]) or background.take(candidate):
                    continue
            call = _parse_record(text, self.text_header, self.header, self.sample_index, None, self.record, self.path)
            if earlier and _overlaps(earlier, call.pos, call.end):
                continue
            ranges = genes if genes is not None else self.spans.get(call.chrom)
            if ranges is not None and _overlaps(ranges, call.pos, call.end):
                self.calls.append(call)


def _streamed_texts(path: Path, libcbcf, names: dict[int, str], spans, text_header: _TextHeader,
                    numpy_min_bytes: int):
    """Text of every record that may overlap a known gene, streaming the file once."""
    import os
    import tempfile

    from alkseq.readers.vcf.containers import _bgzf_chunks, _plain_chunks

    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    big = size * (4 if compressed else 1) >= numpy_min_bytes
    table = _Table(names, spans)
    chunks = _bgzf_chunks(path) if compressed else _plain_chunks(path)
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
        try:
            decoded = libcbcf.VariantFile(survivors)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read as BCF: {exc}", path=str(path)) from None
        with decoded:
            try:
                for record in decoded:
                    yield str(record)
            except (OSError, ValueError) as exc:
                raise InputError(f"unreadable BCF record: {exc}", path=str(path)) from None
    finally:
        chunks.close()
        try:
            os.unlink(survivors)
        except OSError:
            pass
        os.rmdir(directory)


class _Table:
    """Contig id → merged gene intervals, for the test on a record's fixed header."""

    def __init__(self, names: dict[int, str], spans):
        merged = _merged(spans)
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
            if ranges is not None and _overlaps(ranges, pos + 1, pos + max(rlen, 1)):
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
