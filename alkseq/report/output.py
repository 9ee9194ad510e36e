"""Writing outputs safely: atomically (temp file + rename) and never over an input."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from alkseq.errors import OutputError


def write_atomic(path: str | Path, data: str | bytes, *, inputs=()) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    target = Path(path)
    for given in inputs:
        if given and Path(given).exists() and target.exists() and \
                os.path.samefile(given, target):
            raise OutputError("refusing to overwrite an input file", path=str(target))
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError("output directory does not exist", path=str(directory))
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
