"""What an input path is, decided before anything opens it; pipes become a spooled file.

Every input (the file to annotate, a samplesheet, ``--bam``/``--fasta``) goes through
``check_input``: a missing file, a dangling symlink, a symlink loop, a directory, a file
without read permission, a device, a terminal or a socket is an ``InputError`` (exit 3,
one line naming the path) — never click's three-line usage error, never a hang.

Pipes are read once, here, and nowhere else (``local_input``): a named pipe (FIFO), a
process substitution ``<(…)`` (``/dev/fd/63``) or a piped ``/dev/stdin`` is copied into a
temporary file, which the readers then sniff and read like any file (they need to open it
more than once: a sniff, then htslib or the table reader).  The copy is bounded:

* ``MAX_PIPE_BYTES`` (1 GiB, as read: compressed bytes for a compressed stream) — over
  it is an ``InputTooLargeError``; give the file itself;
* ``PIPE_WAIT_SECONDS`` (10 s; environment ``ALKSEQ_PIPE_WAIT`` overrides) — a FIFO with
  no writer is opened without blocking and refused when nothing arrives in that time,
  instead of hanging for ever.

The copy (same base name, in a private folder of ``$TMPDIR``) is removed when the
``with`` block ends; error messages name the path the user gave, not the copy.
``spool`` is the one function that copies a stream, for ``-`` (stdin) as for a FIFO.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from alkseq.errors import AlkseqError, InputError, InputTooLargeError

MAX_PIPE_BYTES = 1 << 30
PIPE_WAIT_SECONDS = 10.0
_CHUNK = 1 << 20


def pipe_wait_seconds() -> float:
    """How long to wait for a FIFO's first byte (``ALKSEQ_PIPE_WAIT`` or 10 s)."""
    try:
        return max(0.0, float(os.environ.get("ALKSEQ_PIPE_WAIT", PIPE_WAIT_SECONDS)))
    except ValueError:
        return PIPE_WAIT_SECONDS


def check_input(path: str | Path, what: str = "input file") -> str:
    """``"file"`` or ``"pipe"`` for a readable input; ``InputError`` (one line) otherwise."""
    given = os.fspath(path)
    if given == "-":                     # standard input: read once, spooled like any pipe
        return "pipe"
    try:
        info = os.stat(given)
    except FileNotFoundError:
        if os.path.islink(given):
            raise InputError(f"symbolic link to a missing file ({os.readlink(given)})",
                             path=given) from None
        raise InputError("no such file", path=given) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("symbolic link loop (the link points back to itself)",
                             path=given) from None
        if exc.errno == errno.EACCES:
            raise InputError(f"cannot read {what}: permission denied (on a folder of its path)",
                             path=given) from None
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=given) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise InputError(f"is a directory, not a file ({what} expected)", path=given)
    if stat.S_ISREG(mode):
        if not os.access(given, os.R_OK):
            raise InputError(f"cannot read {what}: permission denied", path=given)
        return "file"
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISCHR(mode):
        if _is_terminal(given):
            raise InputError("is a terminal, not a file", path=given,
                             hint="pipe the data in (… | alkseq annotate -) or give a file")
        raise InputError("is a character device, not a file", path=given)
    if stat.S_ISBLK(mode):
        raise InputError("is a block device, not a file", path=given)
    if stat.S_ISSOCK(mode):
        raise InputError("is a socket, not a file", path=given)
    raise InputError("is not a regular file", path=given)


def require_file(path: str | Path, what: str) -> None:
    """An input read by position (BAM/CRAM, FASTA: through an index) must be a regular file."""
    if check_input(path, what) == "pipe":
        raise InputError(f"a {what} is read through its index and must be a file, not a pipe",
                         path=os.fspath(path))


def _is_terminal(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


@contextmanager
def local_input(path: str | Path, what: str = "input file") -> Iterator[Path]:
    """``path`` itself for a regular file; for a pipe, a spooled temporary copy of it."""
    if check_input(path, what) == "file":
        yield Path(path)
        return
    if os.fspath(path) == "-":
        copy = spool_stdin()
    else:
        with _open_pipe(path) as handle:
            copy = spool(handle, path)
    try:
        yield copy
    except AlkseqError as error:
        if error.path == str(copy):      # name what the user gave, never the copy
            error.path = os.fspath(path)
        raise
    finally:
        remove_spool(copy)


def read_pipe_bytes(path: str | Path) -> bytes:
    """All bytes of a FIFO or pipe (bounded, never hanging on a FIFO without a writer)."""
    with local_input(path) as copy:
        return copy.read_bytes()


@contextmanager
def _open_pipe(path: str | Path) -> Iterator[BinaryIO]:
    """Open a FIFO without blocking; wait at most ``pipe_wait_seconds()`` for data or EOF."""
    given = os.fspath(path)
    try:
        fd = os.open(given, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot open pipe: {exc.strerror or exc}", path=given) from None
    try:
        wait = pipe_wait_seconds()
        import select     # only a pipe or FIFO is polled

        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        if not poller.poll(int(wait * 1000)):
            raise InputError(f"named pipe: nothing arrived in {wait:g} s (no writer?)",
                             path=given, hint="start the writer first (ALKSEQ_PIPE_WAIT "
                                              "sets the wait), or give a file")
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def spool_stdin() -> Path:
    """Standard input (``-``) as a spooled file; a terminal is refused rather than waited on."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError("standard input is closed", path="-")
    try:
        interactive = os.isatty(stream.fileno())
    except (OSError, ValueError):
        interactive = False
    if interactive:
        raise InputError("standard input is a terminal, not data", path="-",
                         hint="pipe the data in (… | alkseq annotate -) or give a file")
    return spool(stream, "-")


def spool(stream: BinaryIO, name: str | Path, *, limit: int | None = None) -> Path:
    """Copy a binary stream (a pipe, stdin) into a temporary file; the caller removes it.

    More than ``limit`` (``MAX_PIPE_BYTES``) bytes is an ``InputTooLargeError`` naming
    ``name``; the partial copy is removed.
    """
    limit = MAX_PIPE_BYTES if limit is None else limit
    # the copy keeps the given base name (readers name a sample after it when nothing else does)
    base = "stdin" if str(name) in ("-", "") else Path(os.fspath(name)).name or "stdin"
    import tempfile   # pipes only: its import (shutil, random, bz2, lzma) is ~4 ms of a start-up

    folder = Path(tempfile.mkdtemp(prefix="alkseq-pipe-"))
    copy = folder / base
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    total = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except OSError as exc:
                    raise InputError(f"cannot read pipe: {exc.strerror or exc}",
                                     path=os.fspath(name)) from None
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise InputTooLargeError(f"more than {limit:,} bytes from a pipe",
                                             path=os.fspath(name),
                                             hint="give the file itself, not a pipe")
                out.write(chunk)
    except BaseException:
        remove_spool(copy)
        raise
    return copy


def remove_spool(copy: Path) -> None:
    """Remove a copy made by ``spool`` and its private folder."""
    for leftover in (copy, copy.parent):
        try:
            leftover.rmdir() if leftover.is_dir() else leftover.unlink()
        except OSError:
            pass
