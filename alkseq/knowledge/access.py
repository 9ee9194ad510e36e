"""Where a run's knowledge base comes from: the per-process memo, else the per-user cache
(``knowledge/cache.py``), else the tables read and validated (``knowledge/loader.py``).

Apart from the loader, which only a cache miss imports: plain ``os.path``, no pathlib, csv or
schema, so a start-up whose tables are cached pays for the unpickling only.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from alkseq.knowledge import cache
from alkseq.knowledge.paths import reference_root

if TYPE_CHECKING:
    from alkseq.knowledge.kb import KnowledgeBase

_MEMO: dict[tuple, KnowledgeBase] = {}   # per process: the files' signature → their knowledge base
_MEMO_SIZE = 8


def _signature(base: str, overlay: str | None) -> tuple | None:
    """Name, size, mtime and inode of every knowledge file: an edited table (a notebook changing an
    overlay) changes it, so the per-process memo never hands back a stale knowledge base; hashing
    the bytes (the disk cache's key) then decides. None when a directory cannot be read."""
    parts: list = []
    try:
        for root in (base, overlay):
            if root is not None:
                for _relative, path in cache.knowledge_files(root):
                    info = os.stat(path)
                    parts.append((path, info.st_size, info.st_mtime_ns, info.st_ino))
    except OSError:
        return None
    return (os.path.normpath(base), overlay and os.path.normpath(overlay), tuple(sorted(parts)))


def load_knowledge(path: str | os.PathLike | None = None,
                   overlay: str | os.PathLike | None = None) -> KnowledgeBase:
    """Load and validate the shipped tables (or ``path``), plus an optional overlay dir.

    Kept per process keyed on the files' signature (a batch worker pays once, an edited overlay
    is read again) and, once validated, per user on disk keyed on the tables' bytes
    (``knowledge/cache.py``), so one-sample-per-process pipelines skip re-validation.
    """
    base = os.fspath(path) if path else reference_root()
    overlay_dir = os.fspath(overlay) if overlay else None
    readable = os.path.isdir(base) and (overlay_dir is None or os.path.isdir(overlay_dir))
    signature = _signature(base, overlay_dir) if readable else None
    if signature is not None and signature in _MEMO:
        return _MEMO[signature]
    kb = _load_validated(base, overlay_dir, readable)
    if signature is not None:
        if len(_MEMO) >= _MEMO_SIZE:
            del _MEMO[next(iter(_MEMO))]
        _MEMO[signature] = kb
    return kb


load_knowledge.cache_clear = _MEMO.clear   # type: ignore[attr-defined]


def _load_validated(base: str, overlay: str | None, readable: bool) -> KnowledgeBase:
    key = None
    if readable:
        try:
            key = cache.key_for(base, overlay)
        except OSError:
            key = None
    if key is not None:
        cached = cache.load(key)
        if cached is not None:
            return cached
    from alkseq.errors import KnowledgeError
    from alkseq.knowledge.loader import validate_knowledge

    kb, problems = validate_knowledge(base, overlay)
    if problems:
        first = problems[0]
        more = f" (+{len(problems) - 1} more problems; run `alkseq kb validate`)" \
            if len(problems) > 1 else ""
        error = KnowledgeError(f"{first}{more}")
        error.problems = problems  # type: ignore[attr-defined]
        raise error
    assert kb is not None
    if key is not None:
        cache.store(key, kb)
    return kb
