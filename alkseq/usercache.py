"""The per-user cache folder: ``$ALKSEQ_CACHE_DIR`` (``off`` disables it), else
``$XDG_CACHE_HOME/alkseq`` or ``~/.cache/alkseq``.

What alkseq keeps there is compiled from files it ships or reads (the validated knowledge base,
``alkseq.knowledge.cache``; the HTML templates' Jinja bytecode, ``alkseq.report.html``), so it is
used only when the folder belongs to the current user and is closed to others: a pickle or a code
object must never come from someone else. Plain ``os`` (this is on every start-up path).
"""
from __future__ import annotations

import os
import stat


def root() -> str | None:
    """The cache folder (not created here), or ``None`` when the cache is off."""
    configured = os.environ.get("ALKSEQ_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "alkseq")


def is_private(path) -> bool:
    """Owned by the current user and writable by nobody else."""
    info = os.stat(path)
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def private_folder(name: str) -> str | None:
    """``<cache>/<name>``, created (0700) if missing; ``None`` when the cache is off, the folder
    is not private, or on any error."""
    base = root()
    if base is None:
        return None
    folder = os.path.join(base, name)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return folder if is_private(base) and is_private(folder) else None
    except OSError:
        return None
