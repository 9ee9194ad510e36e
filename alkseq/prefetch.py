"""Inflate a BCF's CSI index in a thread while the rest of alkseq imports.

An indexed BCF run spends about 12 ms inflating its index (a 5M-record genome's CSI is 1.5 MB of
BGZF, 5.9 MB inflated) and, before that, about 35 ms importing the readers and the interpreter and
loading the knowledge base, all holding the GIL. ISA-L's one-shot gzip inflate releases the GIL for
the whole file, so started first (``start``) it runs on another core meanwhile, and the reader
takes the bytes (``take``) instead of inflating them itself. Only plain files are prefetched, and
only when the file is still the same one (inode, size, mtime) when the reader asks; anything else
(no ``isal``, an error, a changed file) leaves the reader to inflate as before, so the result is
the same either way. This module imports only ``os`` and ``threading``, and lives outside
``alkseq.readers`` so that importing it does not import the readers first: ``alkseq annotate`` starts
it before importing the readers, the interpreter and the writers (inside the package, the thread
started after the readers' import, and the reader waited 10 ms for the index; 2026-12-02).
"""
from __future__ import annotations

import os
import threading

_PENDING: dict[str, tuple[threading.Thread, list]] = {}


def start(path) -> None:
    """Begin inflating ``path``'s CSI index (``path.csi``, where no ``.tbi`` comes first) in a thread."""
    text = str(path)
    if not text.endswith(".bcf") or os.path.isfile(text + ".tbi"):
        return
    index = text + ".csi"
    if index in _PENDING or not os.path.isfile(index):
        return
    box: list = []
    thread = threading.Thread(target=_inflate, args=(index, box), name="alkseq-csi", daemon=True)
    _PENDING[index] = (thread, box)
    thread.start()


def take(index: str) -> bytes | None:
    """The inflated bytes of ``index`` when ``start`` prefetched this very file, else None."""
    pending = _PENDING.pop(index, None)
    if pending is None:
        return None
    thread, box = pending
    thread.join()
    if not box:
        return None
    identity, data = box[0]
    try:
        return data if _identity(index) == identity else None
    except OSError:
        return None


def gzip_inflate():
    """ISA-L's one-shot inflate of a whole multi-member gzip file (CRC and size of every member
    checked): its C reader when this ``isal`` has it (``igzip.decompress`` wraps it, but importing
    ``igzip`` imports ``gzip``, about 2 ms of GIL-holding work on another thread), else
    ``igzip.decompress``; ImportError without ``isal``."""
    try:
        from isal.isal_zlib import _GzipReader
    except ImportError:
        from isal import igzip

        return igzip.decompress
    return lambda data: _GzipReader(data).readall()


def _identity(path: str) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _inflate(index: str, box: list) -> None:
    """Read and inflate ``index`` into ``box`` as (identity, bytes); leave ``box`` empty on any failure."""
    try:
        inflate = gzip_inflate()
        with open(index, "rb") as handle:
            identity = os.fstat(handle.fileno())
            raw = handle.read()
        box.append(((identity.st_ino, identity.st_size, identity.st_mtime_ns), inflate(raw)))
    except Exception:   # noqa: BLE001 — whatever it was, the reader inflates the index itself
        box.clear()
