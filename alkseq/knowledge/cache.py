"""A per-user cache of the *validated* knowledge base, so a pipeline calling alkseq once per
sample does not re-parse and re-validate the same tables thousands of times.

The key is a SHA-256 of alkseq's version, the source of the classes pickled and of the code
that builds them (``kb.py``, ``loader.py``, ``schema.py``, ``model.py``), where the tables sit, and every knowledge file's path and bytes (shipped tables plus any
``--knowledge`` overlay): any edit to a table or to those classes misses the cache and the
tables are validated afresh. Only a knowledge base that passed validation is stored. The cache lives in
``$ALKSEQ_CACHE_DIR`` (``off`` disables it), else ``$XDG_CACHE_HOME/alkseq`` or
``~/.cache/alkseq``; it is used only when the directory and file belong to the current user
and are not writable by others (a pickle must never come from someone else). Any problem
reading or writing it is silent: the tables are then simply loaded and validated.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import stat
from pathlib import Path

SUFFIXES = {".tsv", ".yaml", ".fa", ".md"}


def cache_dir() -> Path | None:
    configured = os.environ.get("ALKSEQ_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "alkseq"


def class_sources() -> tuple[Path, ...]:
    """The modules defining what a pickle holds and how it is built from the tables: an edit to
    them (a field added, a row class changed, a column read differently) must miss the cache even
    when the version and the tables did not change."""
    package = Path(__file__).resolve().parent.parent
    return tuple(package / "knowledge" / name for name in ("kb.py", "loader.py", "schema.py")) + \
        (package / "model.py",)


def cache_key(base: Path, overlay: Path | None) -> str:
    from alkseq._version import __version__

    digest = hashlib.sha256(f"alkseq {__version__}\n".encode())
    for module in class_sources():
        digest.update(module.read_bytes() + b"\0")
    for root in (base, overlay):
        if root is None:
            continue
        # rows remember the table they came from (for file:line messages): the same bytes at
        # another place are another entry
        digest.update(str(root.resolve()).encode() + b"\0")
        for path in sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _private(path: Path) -> bool:
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(key: str):
    directory = cache_dir()
    if directory is None:
        return None
    path = directory / f"kb-{key}.pickle"
    try:
        if not (path.is_file() and _private(directory) and _private(path)):
            return None
        with open(path, "rb") as handle:
            kb = pickle.load(handle)  # noqa: S301 (own, private, content-addressed file)
    except Exception:  # a damaged or foreign cache entry is ignored, never fatal
        return None
    from alkseq.knowledge.kb import KnowledgeBase

    return kb if isinstance(kb, KnowledgeBase) else None


def store(key: str, kb) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(directory):
            return
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".part", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"kb-{key}.pickle")
    except Exception:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except Exception:
            pass
