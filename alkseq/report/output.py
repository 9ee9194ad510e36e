"""Writing outputs safely: atomically (temp file + rename) and never over an input.

* The data go to a temporary file in the target's directory, are flushed and fsync'd,
  then renamed over the target: a reader sees the old file or the whole new one, and a
  failure (or Ctrl-C) leaves no half-written output and no temporary file behind.
* An output that is the same file as an input — the same path, a symlink to it or a hard
  link (``os.path.samefile``: same device and inode) — is refused (``OutputError``, exit 6).
* The new file gets the permissions a plain ``open()`` would give it (0666 less the
  umask), or keeps those of the file it replaces; ``mkstemp``'s 0600 would hide results
  from the rest of a group.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from alkseq.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import (before any worker threads exist)


def _same_file(given, target: Path) -> bool:
    try:
        return os.path.samefile(given, target)
    except (OSError, ValueError):
        return False


def check_not_input(path: str | Path, inputs=()) -> None:
    """Refuse an output path that is (a link to) one of the inputs."""
    target = Path(path)
    for given in inputs:
        if not given or str(given) == "-":
            continue
        if _same_file(given, target) or \
                os.path.abspath(os.fspath(given)) == os.path.abspath(os.fspath(target)):
            raise OutputError("refusing to overwrite an input file", path=str(target),
                              hint=f"{given} is read by this command; choose another -o")


def write_atomic(path: str | Path, data: str | bytes, *, inputs=()) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    target = Path(path)
    check_not_input(target, inputs)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError("output directory does not exist", path=str(directory))
    if target.is_dir():
        raise OutputError("is a directory; give a file name", path=str(target))
    try:
        mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o666 & ~_UMASK
    except OSError:
        mode = 0o666 & ~_UMASK
    if isinstance(data, str):
        data = data.encode("utf-8", errors="backslashreplace")  # a lone surrogate never aborts
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write in {directory}: {exc.strerror or exc}",
                          path=str(target)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(target)) from None
        raise


def emit(text: str, output: str | None, *, inputs=()) -> None:
    """To a file (atomically) when ``output`` is given, else to stdout."""
    if output and output != "-":
        write_atomic(output, text, inputs=inputs)
        return
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a terminal that is not UTF-8: never an internal error
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode(sys.stdout.encoding or "ascii",
                                            errors="backslashreplace"))
    sys.stdout.flush()
