"""A per-user cache of the *validated* knowledge base, so a pipeline calling alkseq once per
sample does not re-parse and re-validate the same tables thousands of times.

The key is a SHA-256 of alkseq's version, the source of the classes pickled and of the code
that builds them (``kb.py``, ``loader.py``, ``schema.py``, ``model.py``), where the tables sit, and every knowledge file's path and bytes (shipped tables plus any
``--knowledge`` overlay): any edit to a table or to those classes misses the cache and the
tables are validated afresh. Only a knowledge base that passed validation is stored. The cache lives in
``$ALKSEQ_CACHE_DIR`` (``off`` disables it), else ``$XDG_CACHE_HOME/alkseq`` or
``~/.cache/alkseq``; it is used only when the directory and file belong to the current user
and are not writable by others (a pickle must never come from someone else). Any problem
reading or writing it is silent: the tables are then simply loaded and validated. The cached
form shares equal cells (``_shared``) and is read with the C unpickler alone, the collector
paused; ``knowledge/access.py`` reaches it without importing the loader.

Reading and hashing every table costs a few milliseconds per start-up, so the key itself is
kept too: a tiny ``files-SIGNATURE`` entry maps the files' inodes, sizes, mtimes and ctimes to
the key computed from their bytes (``key_for``); any change to a file gives a new signature and
the bytes are hashed again.

Beside each knowledge base sits the book of ``alkseq lookup`` answers computed with it
(``lookup-KEY.marshal``): the rendered output per query, keyed by the knowledge key and by the
size and mtime of every module of the installed package (what Python's own bytecode cache
trusts), so a repeated lookup prints its answer without importing the interpreter, and an edited
table, overlay or module is a new book. Plain ``os`` and ``marshal`` here (no pathlib, no
pickle): that path is as short as ``import click``.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from alkseq import usercache

if TYPE_CHECKING:
    from pathlib import Path

SUFFIXES = {".tsv", ".yaml", ".fa", ".md"}
ANSWERS_KEPT = 256   # answers per book; the oldest go first


def _sha256():
    """hashlib's SHA-256 without hashlib's import (OpenSSL: ~3.5 ms at start-up), when the
    interpreter has its built-in one (``_sha256`` up to 3.11, ``_sha2`` from 3.12)."""
    for name in ("_sha2", "_sha256"):
        try:
            return __import__(name).sha256()
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256()


def cache_dir() -> Path | None:
    from pathlib import Path

    root = usercache.root()
    return None if root is None else Path(root)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def class_sources() -> tuple[str, ...]:
    """The modules defining what a pickle holds and how it is built from the tables: an edit to
    them (a field added, a row class changed, a column read differently) must miss the cache even
    when the version and the tables did not change."""
    return tuple(os.path.join(_PACKAGE, "knowledge", name) for name in ("kb.py", "loader.py", "schema.py")) + \
        (os.path.join(_PACKAGE, "model.py"),)


def knowledge_files(root: str) -> list[tuple[str, str]]:
    """(path relative to ``root``, path) of every knowledge file under ``root``, sorted."""
    found = []
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(entry.path)
                elif os.path.splitext(entry.name)[1] in SUFFIXES and entry.is_file():
                    found.append((os.path.relpath(entry.path, root), entry.path))
    return sorted(found)


def _read(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def cache_key(base, overlay) -> str:
    """The knowledge base's key (``base``, ``overlay``: directories as str or Path; OSError
    when one cannot be read)."""
    from alkseq._version import __version__

    digest = _sha256()
    digest.update(f"alkseq {__version__}\n".encode())
    for module in class_sources():
        digest.update(_read(module) + b"\0")
    for root in (base, overlay):
        if root is None:
            continue
        # rows remember the table they came from (for file:line messages): the same bytes at
        # another place are another entry
        root = os.path.realpath(os.fspath(root))
        digest.update(root.encode() + b"\0")
        for relative, path in knowledge_files(root):
            digest.update(relative.encode() + b"\0")
            digest.update(_read(path) + b"\0")
    return digest.hexdigest()[:32]


SETTLED_SECONDS = 2.0   # a file changed more recently than this is hashed every time


def _stat_signature(base, overlay) -> tuple[str, float]:
    """A digest of what says whether any file behind ``cache_key`` changed — the version, and
    each class source's and knowledge file's path, inode, size, mtime and ctime (a write, a
    rename over it or ``touch`` changes the ctime, which no tool can set back) — and the
    newest ctime among them."""
    from alkseq._version import __version__

    parts = [f"alkseq {__version__}"]
    newest = 0.0

    def add(name: str, path) -> None:
        nonlocal newest
        info = os.stat(path)
        newest = max(newest, info.st_ctime)
        parts.append(f"{name}\0{info.st_ino}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}")

    for module in class_sources():
        add(os.fspath(module), module)
    for root in (base, overlay):
        if root is None:
            continue
        root = os.path.realpath(os.fspath(root))
        parts.append(root)
        for relative, path in knowledge_files(root):
            add(relative, path)
    digest = _sha256()
    digest.update("\n".join(parts).encode())
    return digest.hexdigest()[:32], newest


def key_for(base, overlay) -> str:
    """``cache_key(base, overlay)``, read from a small per-user index when no file behind it
    changed since it was computed (``_stat_signature``): the tables are then not read and
    hashed again on every start-up. OSError when a directory cannot be read."""
    signature, newest = _stat_signature(base, overlay)
    index = _entry(signature, "files")
    if index is not None:
        try:
            if usercache.is_private(os.path.dirname(index)) and usercache.is_private(index):
                with open(index, "rb") as handle:   # bytes: no text codec to import
                    key = handle.read().decode("ascii")
                if len(key) == 32 and all(c in "0123456789abcdef" for c in key):
                    return key
        except (OSError, ValueError):
            pass
    key = cache_key(base, overlay)
    # kept only for files that have settled (as git treats a "racily clean" file): a second
    # write within the file system's timestamp granularity could leave the stats unchanged,
    # and the bytes must not change between the signature and the hash
    import time

    if index is not None and newest < time.time() - SETTLED_SECONDS \
            and _stat_signature(base, overlay)[0] == signature:
        _write(index, key.encode("ascii"))
    return key


def _entry(key: str, kind: str) -> str | None:
    """The cache file for ``key`` when the cache is on and its directory is the user's own."""
    directory = usercache.root()
    if directory is None:
        return None
    return os.path.join(directory, f"{kind}-{key}")


def load(key: str):
    path = _entry(key, "kb")
    if path is None:
        return None
    path += ".pickle"
    try:
        if not (os.path.isfile(path) and usercache.is_private(os.path.dirname(path))
                and usercache.is_private(path)):
            return None
        try:   # the C unpickler itself: pickle.py (and struct) cost ~1.5 ms to import
            from _pickle import load as unpickle
        except ImportError:
            from pickle import load as unpickle

        import gc

        with open(path, "rb") as handle:
            # thousands of acyclic rows at once: left to the collector, they trigger young
            # and middle collections over every object of the start-up (~1.5 ms cold)
            enabled = gc.isenabled()
            gc.disable()
            try:
                kb = unpickle(handle)  # noqa: S301 (own, private, content-addressed file)
            finally:
                if enabled:
                    gc.enable()
    except Exception:  # a damaged or foreign cache entry is ignored, never fatal
        return None
    from alkseq.knowledge.kb import KnowledgeBase

    return kb if isinstance(kb, KnowledgeBase) else None


def _write(path: str, data: bytes) -> None:
    """``data`` into ``path`` atomically, in a private cache directory; silent on failure."""
    directory = os.path.dirname(path)
    tmp = None
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not usercache.is_private(directory):
            return
        # a private, never-reused name (O_EXCL), as tempfile.mkstemp makes, without its
        # import (~5 ms: shutil, random, bz2, lzma) on the path of a first lookup
        name = os.path.join(directory, f".part-{os.getpid()}-{os.urandom(6).hex()}")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        tmp = name
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except Exception:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _shared(value, seen: dict):
    """``value`` rebuilt with every equal string, and every equal immutable record made of the
    same parts, as one object: the tables repeat their cells (classes, evidence kinds, sources,
    citations), and pickle writes each distinct object once, so the cached form is ~45% smaller
    and unpickles ~30% faster. Records (tuples, named tuples, frozen dataclasses) are matched by
    their type and the identity of their shared parts, so 1 never stands in for 1.0; dicts and
    lists are rebuilt, never shared; anything else is kept as it is."""
    kind = type(value)
    if kind is str:
        return seen.setdefault(value, value)
    if kind is dict:
        return {_shared(k, seen): _shared(v, seen) for k, v in value.items()}
    if kind is list:
        return [_shared(v, seen) for v in value]
    if kind is tuple or (isinstance(value, tuple) and hasattr(kind, "_make")):
        parts = [_shared(v, seen) for v in value]
        built = tuple(parts) if kind is tuple else kind._make(parts)
        token = (kind, *map(id, parts))
    elif getattr(getattr(kind, "__dataclass_params__", None), "frozen", False) \
            and type(getattr(value, "__dict__", None)) is dict:
        state = {name: _shared(v, seen) for name, v in vars(value).items()}
        built = object.__new__(kind)
        object.__setattr__(built, "__dict__", state)   # as unpickling restores it
        token = (kind, *state, *map(id, state.values()))
    else:
        return value
    # every id in a kept token is of a part that the kept record holds: none is reused
    return seen.setdefault(token, built)


def store(key: str, kb) -> None:
    path = _entry(key, "kb")
    if path is None:
        return
    try:
        import pickle

        data = pickle.dumps(_shared(kb, {}), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    _write(path + ".pickle", data)


# ---- the book of lookup answers --------------------------------------------------------------

def _code_signature(digest) -> None:
    """Every module and template of the installed package, by name, size and mtime."""
    folders = [_PACKAGE]
    parts = []
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir():
                    folders.append(entry.path)
                else:
                    info = entry.stat()
                    parts.append(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}\n")
    digest.update("".join(sorted(parts)).encode())


def answer_key(overlay: str | None) -> str | None:
    """The key of the lookup answers given with the shipped tables plus ``overlay``; None
    when the cache is off or a directory cannot be read (the full path then says why)."""
    if usercache.root() is None:
        return None
    from alkseq.knowledge.paths import reference_root

    try:
        if overlay is not None and not os.path.isdir(overlay):
            return None
        digest = _sha256()
        digest.update(key_for(reference_root(), overlay).encode())
        _code_signature(digest)
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _book(path: str) -> dict:
    import marshal

    try:
        if not (usercache.is_private(os.path.dirname(path)) and usercache.is_private(path)):
            return {}
        with open(path, "rb") as handle:
            book = marshal.load(handle)
    except Exception:   # missing, damaged or foreign: no answers
        return {}
    return book if isinstance(book, dict) else {}


def find_answer(key: str, query: tuple) -> str | None:
    """The output a lookup ``query`` gave with this knowledge and code, if it was kept."""
    path = _entry(key, "lookup")
    if path is None:
        return None
    answer = _book(path + ".marshal").get(query)
    return answer if isinstance(answer, str) else None


def store_answer(key: str, query: tuple, answer: str) -> None:
    path = _entry(key, "lookup")
    if path is None:
        return
    import marshal

    path += ".marshal"
    book = _book(path)
    book.pop(query, None)
    book[query] = answer
    while len(book) > ANSWERS_KEPT:
        del book[next(iter(book))]
    try:
        data = marshal.dumps(book)
    except ValueError:   # a query that marshal cannot hold: not kept
        return
    _write(path, data)
