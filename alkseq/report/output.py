"""Writing outputs safely: atomically (temp file + rename), never over an input, never
replacing a node that is not a regular file.

``resolve_output`` decides what a ``-o`` path is before anything is written:

* ``-``, ``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1`` are standard output (and
  ``/dev/stderr``, ``/dev/fd/N``: that open descriptor), written through, never renamed over
  (a rename would replace the device node for every process on the machine, as root).
* A symlink is resolved: the file it points to is replaced atomically, beside itself, and
  the link stays a link (``results/latest.json`` keeps pointing where it did).
* An existing node that is not a regular file — a character or block device
  (``/dev/null``), a FIFO — is opened and written through; a FIFO waits for its reader
  like any Unix tool.  A socket or a directory is refused.
* A regular file: the data go to a temporary file in its directory, are flushed and
  fsync'd, then renamed over it: a reader sees the old file or the whole new one, and a
  failure (or Ctrl-C) leaves no half-written output and no temporary file behind.  A
  read-only existing file (no write bit, root included) is refused, not replaced.
* An output that is the same file as an input — the same path, a symlink to it or a hard
  link (``os.path.samefile``: same device and inode) — is refused.

Every refusal is an ``OutputError`` (exit 6, one line).  The new file gets the permissions
a plain ``open()`` would give it (0666 less the umask), or keeps those of the file it
replaces; ``mkstemp``'s 0600 would hide results from the rest of a group.
"""
from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from alkseq.errors import OutputError
from alkseq.model import dataclass  # frozen records without code generation at import


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import (before any worker threads exist)

_FD_PREFIXES = ("/dev/fd/", "/proc/self/fd/")    # then the descriptor's number
_NAMED_FDS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


@dataclass(frozen=True)
class OutputTarget:
    """Where ``-o PATH`` really goes.

    ``kind`` is ``"fd"`` (an open descriptor: ``fd`` is set; 1 = stdout), ``"node"`` (an
    existing device or FIFO, written through at ``path``) or ``"file"`` (a regular file,
    written atomically at ``path``, the symlink-resolved target).
    """

    kind: str
    path: Path | None = None
    fd: int | None = None
    given: str = ""

    @property
    def is_stdout(self) -> bool:
        return self.kind == "fd" and self.fd == 1


def check_not_input(path: str | Path, inputs=()) -> None:
    """Refuse an output path that is (a link to) one of the inputs.

    The output is looked at once (a batch has hundreds of inputs); an input is stat'ed only when the
    output exists, since only then can it be the same file under another name."""
    target = Path(path)
    wanted = os.path.abspath(os.fspath(target))
    try:
        found = os.stat(target)
        identity = (found.st_dev, found.st_ino)
    except (OSError, ValueError):
        identity = None
    for given in inputs:
        if not given or str(given) == "-":
            continue
        if os.path.abspath(os.fspath(given)) == wanted or (identity is not None and _identity(given) == identity):
            raise OutputError("refusing to overwrite an input file", path=str(target),
                              hint=f"{given} is read by this command; choose another -o")


def _identity(path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def _fd_number(given: str) -> int | None:
    """N of ``/dev/fd/N`` or ``/proc/self/fd/N`` (ASCII digits only), else None."""
    for prefix in _FD_PREFIXES:
        if given.startswith(prefix):
            digits = given[len(prefix):]
            return int(digits) if digits.isascii() and digits.isdigit() else None
    return None


def resolve_output(path: str | Path | None, inputs=()) -> OutputTarget:
    """Classify an output path (module docstring) and refuse what must not be written."""
    given = "-" if path is None else os.fspath(path)
    if given in ("", "-"):
        return OutputTarget("fd", fd=1, given="-")
    number = _NAMED_FDS.get(given)
    if number is None:
        number = _fd_number(given)
    if number is not None:
        if number == 0:
            raise OutputError("standard input is not an output", path=given)
        try:
            os.fstat(number)
        except OSError:
            raise OutputError(f"file descriptor {number} is not open", path=given) from None
        check_not_input(given, inputs)
        return OutputTarget("fd", fd=number, given=given)
    check_not_input(given, inputs)
    target = Path(os.path.realpath(given))   # through every symlink (the link itself stays)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot use as output: {exc.strerror or exc}", path=given) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError("is a directory; give a file name", path=given)
        if stat.S_ISSOCK(info.st_mode):
            raise OutputError("is a socket, not a file alkseq can write", path=given)
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            return OutputTarget("node", path=target, given=given)
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise OutputError("the existing file is read-only; refusing to replace it",
                              path=given, hint="make it writable, or choose another -o")
    directory = target.parent
    if not directory.is_dir():
        raise OutputError("output directory does not exist", path=str(directory))
    return OutputTarget("file", path=target, given=given)


@contextmanager
def open_output(path: str | Path | None, *, inputs=(), binary: bool = False,
                suffix: str = ".part") -> Iterator[IO]:
    """A handle for ``-o PATH`` (``resolve_output`` decides how); the output appears only
    when the ``with`` block ends without an exception.  Text handles are UTF-8.
    """
    target = resolve_output(path, inputs)
    if target.kind == "fd":
        yield from _fd_handle(target, binary)
        return
    if target.kind == "node":
        try:
            handle = open(target.path, "wb" if binary else "w",
                          **({} if binary else {"encoding": "utf-8", "errors": "backslashreplace"}))
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=target.given) from None
        with _os_errors(target):
            with handle:
                yield handle
        return
    with _os_errors(target):
        with atomic_path(target, suffix=suffix) as tmp:
            with open(tmp, "wb" if binary else "w",
                      **({} if binary else {"encoding": "utf-8", "errors": "backslashreplace"})
                      ) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())


@contextmanager
def atomic_path(target: OutputTarget, *, suffix: str = ".part") -> Iterator[str]:
    """A temporary path beside a ``file`` target, renamed over it when the block succeeds.

    For writers that need a file name (BGZF, tabix); removed on any failure.
    """
    final = target.path
    if final.exists():
        mode = final.stat().st_mode & 0o7777
    else:
        mode = 0o666 & ~_UMASK
    try:
        import tempfile   # only when a file is written (stdout and devices never need it)

        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix, dir=final.parent)
    except OSError as exc:
        raise OutputError(f"cannot write in {final.parent}: {exc.strerror or exc}",
                          path=target.given) from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@contextmanager
def _os_errors(target: OutputTarget) -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=target.given) from None


def _fd_handle(target: OutputTarget, binary: bool):
    """stdout/stderr through Python's own streams (their buffers stay in order), else the fd."""
    stream = {1: sys.stdout, 2: sys.stderr}.get(target.fd)
    if stream is not None:
        stream.flush()
        if binary:
            yield stream.buffer
            stream.buffer.flush()
        else:
            yield _Utf8Text(stream)
            stream.flush()
        return
    handle = os.fdopen(os.dup(target.fd), "wb" if binary else "w", closefd=True,
                       **({} if binary else {"encoding": "utf-8", "errors": "backslashreplace"}))
    with _os_errors(target):
        with handle:
            yield handle


class _Utf8Text:
    """A text stream that never fails on a character its encoding lacks (a non-UTF-8 terminal)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            self._stream.flush()
            self._stream.buffer.write(text.encode(self._stream.encoding or "ascii",
                                                  errors="backslashreplace"))
            return len(text)

    def flush(self) -> None:
        self._stream.flush()


def write_atomic(path: str | Path, data: str | bytes, *, inputs=()) -> None:
    """Write ``data`` to ``path``: atomically for a file, through for stdout or a device."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="backslashreplace")  # a lone surrogate never aborts
    with open_output(path, inputs=inputs, binary=True) as handle:
        handle.write(data)


def emit(text: str, output: str | None, *, inputs=()) -> None:
    """To a file (atomically) when ``output`` is given, else to stdout."""
    with open_output(output or "-", inputs=inputs) as handle:
        handle.write(text)


def make_directory(directory, what: str = "output folder"):
    """``directory`` created if missing (parents too), or one ``OutputError`` naming it."""
    from pathlib import Path

    from alkseq.errors import OutputError

    root = Path(directory)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the {what}: {exc.strerror or exc}", path=str(root)) from None
    return root
