"""Containers: which compression a file uses (by magic bytes), and its text as a stream of chunks
(plain, multi-member gzip, BGZF inflated in worker threads) with constant memory."""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import InputError

EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_CHUNK = 1 << 22             # bytes of text handled at a time when streaming (constant memory)
_GROUP_BYTES = 1 << 20       # compressed bytes of BGZF blocks inflated as one chunk (~4 MB of VCF text)


def container_of(path: Path) -> str:
    """'bgzf', 'gzip', 'bcf' (BGZF or raw) or 'plain', by magic bytes; other compressions are refused."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(18)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from None
    from alkseq.readers._text import refuse_unsupported_compression

    refuse_unsupported_compression(magic, path, "alkseq reads plain VCF, bgzip/gzip VCF and BCF")
    if magic[:3] == b"BCF":
        return "bcf"
    if magic[:2] == b"\x1f\x8b":
        if _head_is_bcf(path):
            return "bcf"
        return "bgzf" if magic[3:4] == b"\x04" and magic[12:14] == b"BC" else "gzip"
    return "plain"


def check_bgzf_eof(path: Path, what: str = "BGZF file") -> None:
    """A BGZF file must end with the 28-byte EOF block; without it the file was truncated."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(18)
            if head[:4] != b"\x1f\x8b\x08\x04" or head[12:14] != b"BC":
                return  # plain gzip or not compressed: nothing to check
            handle.seek(0, 2)
            if handle.tell() < 28:
                raise InputError(f"truncated {what} (shorter than one BGZF block)", path=str(path))
            handle.seek(-28, 2)
            tail = handle.read(28)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if tail != EOF_BLOCK:
        raise InputError(f"truncated {what} (no BGZF end-of-file block)", path=str(path),
                         hint="the file was cut short; re-copy or re-run bgzip")


def _head_is_bcf(path: Path) -> bool:
    from alkseq.readers._text import decompressed_head

    return decompressed_head(path, 4096)[:3] == b"BCF"


def plain_chunks(path: Path):
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_CHUNK)
            if not data:
                return
            yield data


def _gzip_chunks(path: Path):
    """Plain (multi-member) gzip, streamed with constant memory (output capped per step)."""
    import zlib

    def fail(exc):
        return InputError(f"corrupt gzip data: {exc}", path=str(path))

    with open(path, "rb") as handle:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        started = False
        raw = b""
        while True:
            if not raw:
                raw = handle.read(1 << 20)
                if not raw:
                    break
            started = True
            try:
                data = inflater.decompress(raw, _CHUNK)
                if data:
                    yield data
                while inflater.unconsumed_tail:
                    data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                    if data:
                        yield data
            except zlib.error as exc:
                raise fail(exc) from None
            raw = b""
            if inflater.eof:
                rest = inflater.unused_data
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                started = False
                if rest[:2] == b"\x1f\x8b":
                    raw = rest          # the next gzip member
                elif rest.strip(b"\0"):
                    raise InputError("data after the end of the gzip stream", path=str(path))
        if started and not inflater.eof:
            raise InputError("truncated gzip file (unexpected end of data)", path=str(path),
                             hint="the file was cut short; re-copy it")


_USE_ISAL = True             # tests turn it off to check the zlib fallback gives the same bytes


def raw_inflate():
    """(decompress(data, wbits, bufsize), errors) for raw DEFLATE data such as a BGZF block's payload.

    ISA-L's inflate (the ``isal`` package) when installed: about 2.5× zlib's on BGZF blocks here, and
    it releases the GIL as zlib does; otherwise zlib. The one inflate of the VCF and BCF readers."""
    import zlib

    if _USE_ISAL:
        try:
            from isal import isal_zlib
        except ImportError:
            pass
        else:
            return isal_zlib.decompress, (isal_zlib.error, zlib.error)
    return zlib.decompress, (zlib.error,)


def bgzf_chunks(path: Path, threads: int = 2, prepare=None):
    """BGZF blocks inflated in worker threads (the inflate releases the GIL), in order, a few MB at a time.

    ``prepare``: a function of one inflated chunk, run in the worker thread right after its inflate
    (the BCF reader finds record starts there, numpy releasing the GIL); then the chunks come as
    ``(chunk, prepare(chunk))`` pairs, the first one (the header, inflated here) with None."""
    import struct
    from collections import deque

    import zlib

    def inflate(blocks: list[tuple[bytes, int]], decompress=zlib.decompress) -> bytes:
        return b"".join([decompress(block, -15, min(size, 1 << 16) or 1) for block, size in blocks])

    def inflate_and_prepare(blocks: list[tuple[bytes, int]], decompress):
        data = inflate(blocks, decompress)
        return data if prepare is None else (data, prepare(data))

    decompress, errors = zlib.decompress, (zlib.error,)

    def groups(handle):
        """Lists of (raw DEFLATE payload, inflated size) per ~1 MB of the file; payloads are views of
        the bytes read (no copy), and the common header (XLEN 6, only the BC subfield) is read directly."""
        buffer = b""
        size = 1 << 16                 # the first group is small: it holds the header
        unpack = struct.unpack_from
        while True:
            raw = handle.read(size)
            size = _GROUP_BYTES
            buffer = buffer + raw if buffer else raw
            view = memoryview(buffer)
            blocks, offset, end = [], 0, len(buffer)
            while end - offset >= 18:
                if not buffer.startswith(b"\x1f\x8b\x08\x04", offset):
                    raise InputError("corrupt BGZF block", path=str(path),
                                     hint="not a bgzip file throughout; re-run bgzip")
                if buffer.startswith(b"\x06\x00BC\x02\x00", offset + 10):
                    xlen, bsize = 6, unpack("<H", buffer, offset + 16)[0] + 1
                else:
                    xlen, bsize = unpack("<H", buffer, offset + 10)[0], None
                    extra = buffer[offset + 12:offset + 12 + xlen]
                    at = 0
                    while at + 4 <= len(extra):
                        sub_len = unpack("<H", extra, at + 2)[0]
                        if extra[at:at + 2] == b"BC" and sub_len == 2:
                            bsize = unpack("<H", extra, at + 4)[0] + 1
                        at += 4 + sub_len
                    if bsize is None:
                        raise InputError("corrupt BGZF block (no block size)", path=str(path))
                if end - offset < bsize:
                    break
                isize = unpack("<I", buffer, offset + bsize - 4)[0]   # inflated size: one allocation
                blocks.append((view[offset + 12 + xlen:offset + bsize - 8], isize))
                offset += bsize
            buffer = buffer[offset:]
            if blocks:
                yield blocks
            if not raw:
                if buffer:
                    raise InputError("truncated BGZF file (a block is cut short)", path=str(path))
                return

    with open(path, "rb") as handle:
        pending: deque = deque()
        pool = None
        try:
            for number, blocks in enumerate(groups(handle)):
                if number == 0:             # the header: nothing is inflated ahead when only it is wanted (indexed)
                    data = inflate(blocks)
                    yield data if prepare is None else (data, None)
                    continue
                if pool is None:            # threads, their import and isal's only once the body is streamed
                    from concurrent.futures import ThreadPoolExecutor
                    pool = ThreadPoolExecutor(max_workers=max(1, threads))
                    decompress, errors = raw_inflate()
                pending.append(pool.submit(inflate_and_prepare, blocks, decompress))
                if len(pending) > 2 * threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except errors as exc:
            raise InputError(f"corrupt BGZF data: {exc}", path=str(path)) from None
        finally:
            for future in pending:
                future.cancel()
            if pool is not None:
                pool.shutdown(wait=True)


def text_chunks(path: Path, container: str):
    if container == "bgzf":
        return bgzf_chunks(path)
    if container == "gzip":
        return _gzip_chunks(path)
    return plain_chunks(path)
