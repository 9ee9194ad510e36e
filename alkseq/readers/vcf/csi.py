"""Where a region's records start in a BGZF file, read from its CSI index without loading all of it.

htslib's index load builds a hash table of every bin of every contig (~185,000 for a 5M-record
genome: ~30 ms, the largest part of an indexed BCF query). A region query needs much less: the
file offset from which reading forward, in order, meets every record that overlaps the region
(htslib's own ``min_off``: the linear offset of the leaf bin holding the region's start, or of the
nearest bin before it). That offset is found here on the inflated index with bytes operations —
bins with one chunk (nearly all of them) are skipped 32 bytes at a time by C-level stripes — and
the reader seeks there and applies htslib's overlap and stop tests itself (``bcf``). Anything this
module does not recognise returns None, and the caller lets htslib load the index as before.
"""
from __future__ import annotations

import struct

_HEAD = struct.Struct("<iii")         # min_shift, depth, l_aux
_BIN = struct.Struct("<IQi")          # bin, loffset, n_chunk
_PLAIN = 32                           # bytes of a bin with one chunk


class Csi:
    """The parsed layout of one CSI index: per contig id, its runs of one-chunk bins and the others."""

    def __init__(self, data: bytes):
        if data[:4] != b"CSI\x01":
            raise ValueError("not a CSI index")
        self.data = data
        self.min_shift, self.depth, aux = _HEAD.unpack_from(data, 4)
        if not (0 < self.min_shift < 32 and 0 < self.depth < 16 and aux >= 0):
            raise ValueError("implausible CSI header")
        self.meta_bin = ((1 << ((self.depth + 1) * 3)) - 1) // 7 + 1     # htslib's pseudo-bin
        offset = 16 + aux
        (n_ref,) = struct.unpack_from("<i", data, offset)
        offset += 4
        self.refs: list[tuple[list[tuple[int, int]], dict[int, int]]] = []
        self._columns: dict[int, list[tuple[int, bytes]]] = {}
        for _ in range(n_ref):
            runs, others, offset = self._ref(offset)
            self.refs.append((runs, others))

    def _ref(self, offset: int):
        """(runs of one-chunk bins as (byte offset, count), other bins as bin → loffset, next offset)."""
        data = self.data
        (left,) = struct.unpack_from("<i", data, offset)
        offset += 4
        if left < 0:
            raise ValueError("negative bin count")
        runs: list[tuple[int, int]] = []
        others: dict[int, int] = {}
        while left:
            stop = offset + _PLAIN * left
            if stop > len(data):
                stop = offset + _PLAIN * ((len(data) - offset) // _PLAIN)
            run = (stop - offset) // _PLAIN
            for at, byte in ((12, b"\x01"), (13, b"\x00"), (14, b"\x00"), (15, b"\x00")):   # n_chunk == 1
                if not run:
                    break
                stripe = data[offset + at:offset + at + _PLAIN * run:_PLAIN]
                run = min(run, len(stripe) - len(stripe.lstrip(byte)))
            if run:
                runs.append((offset, run))
                offset += _PLAIN * run
                left -= run
                continue
            number, loffset, n_chunk = _BIN.unpack_from(data, offset)
            if n_chunk < 0:
                raise ValueError("negative chunk count")
            others[number] = loffset
            offset += 16 + 16 * n_chunk
            left -= 1
        if offset > len(data):
            raise ValueError("CSI index cut short")
        return runs, others, offset

    def _loffset(self, rid: int, number: int) -> int | None:
        runs, others = self.refs[rid]
        if number in others:
            return others[number]
        key = struct.pack("<I", number)
        data = self.data
        columns = self._columns.get(rid)
        if columns is None:     # the bin numbers of each run, 4 bytes apiece, made once per contig
            columns = self._columns[rid] = [
                (start, memoryview(data)[start:start + _PLAIN * count].cast("I")[::_PLAIN // 4].tobytes())
                for start, count in runs]
        for start, column in columns:
            at = column.find(key)
            while at >= 0 and at % 4:
                at = column.find(key, at + 1)
            if at >= 0:
                return struct.unpack_from("<Q", data, start + (at // 4) * _PLAIN + 4)[0]
        return None

    def has_records(self, rid: int) -> bool:
        return 0 <= rid < len(self.refs) and any(self.refs[rid])

    def start(self, rid: int, begin: int) -> int | None:
        """Virtual offset to read forward from for records overlapping 0-based ``begin`` onwards on contig
        ``rid`` (htslib's ``min_off``); None when no bin precedes ``begin`` (then htslib decides)."""
        if not self.has_records(rid) or begin >> (self.min_shift + 3 * self.depth):
            return None
        number = ((1 << (self.depth * 3)) - 1) // 7 + (begin >> self.min_shift)
        while number:
            found = self._loffset(rid, number)
            if found is not None:
                return found or None
            first = (((number - 1) >> 3) << 3) + 1
            number = number - 1 if number > first else (number - 1) >> 3
        found = self._loffset(rid, 0)
        return found or None


def load(index_path: str) -> Csi | None:
    """The CSI index at ``index_path``, or None when it is not one this module reads (htslib decides)."""
    from alkseq import prefetch

    try:
        data = prefetch.take(index_path)      # inflated by ``alkseq annotate`` while it imported
        if data is None:
            with open(index_path, "rb") as handle:
                data = _inflate(handle.read())
        return Csi(data)
    except (OSError, ValueError, struct.error, IndexError):
        return None


def _inflate(raw: bytes) -> bytes:
    """A whole BGZF file inflated (each block's raw deflate stream, checked against its ISIZE), by the
    readers' one inflate (ISA-L when installed: 15 against 21 ms for a 5M-record genome's index,
    its import included). One thread: half the blocks in a second one measured slower (49 against
    18 ms with zlib), each block's hand-back of the GIL waiting on the other thread. Not ISA-L's
    one-shot gzip reader in this thread (``prefetch`` uses it in its own): its CRC-32 leaves this
    CPU slower for the rest of the run (the bare loop over 4,726 BCF records 14.8 → 17.5 ms after
    one ``isal_zlib.crc32`` of the index, best of 25, twice)."""
    from alkseq.readers.vcf import containers

    decompress, errors = containers.raw_inflate()
    parts = []
    offset, size = 0, len(raw)
    while offset < size:
        if raw[offset:offset + 4] != b"\x1f\x8b\x08\x04" or raw[offset + 12:offset + 14] != b"BC":
            raise ValueError("not BGZF")
        block = int.from_bytes(raw[offset + 16:offset + 18], "little") + 1
        expected = int.from_bytes(raw[offset + block - 4:offset + block], "little")
        try:
            part = decompress(raw[offset + 18:offset + block - 8], -15, max(expected, 1))
        except errors as exc:
            raise ValueError(f"unreadable BGZF block: {exc}") from None
        if len(part) != expected:
            raise ValueError("BGZF block size mismatch")
        parts.append(part)
        offset += block
    return b"".join(parts)
