"""Streaming, bounded text input for the table readers (panel, MAF).

A table is read line by line from a plain or gzip file, never whole into memory, and
every resource limit gives a clear ``InputTooLargeError`` naming the file and line:

* ``MAX_TEXT_CHARS`` — 1 GiB of (decompressed) text per table: a gzip bomb stops there;
* ``MAX_LINE_CHARS`` — 1 MiB per line (a panel or MAF row is a few hundred bytes);
* ``MAX_LINES`` — 20 million lines (a newline bomb stops long before 1 GiB).

Text must be UTF-8 (a byte-order mark is fine); line endings may be LF, CRLF or CR.
docs/errors.md lists the same limits.
"""
from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from alkseq import sanitise
from alkseq.errors import InputError, InputTooLargeError, ParseError, quote

MAX_TEXT_CHARS = 1 << 30
MAX_LINE_CHARS = 1 << 20
MAX_LINES = 20_000_000

_NOT_UTF8 = "[\udc80-\udcff]"   # compiled on first use (re's cache): sniffing a VCF reads no table line
# C0 controls except tab/LF/CR, DEL, C1 controls and U+2028/2029 (line breaks to some
# tools): never in a real cell, and an ANSI
# escape (ESC, CSI) echoed into a report or a terminal must not act as one.


UNSUPPORTED_COMPRESSION = ((b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"),
                           (b"\x28\xb5\x2f\xfd", "zstd"), (b"PK\x03\x04", "zip"))


def decompressed_head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of a file as a reader sees them: inflated when gzip/BGZF (a BCF's
    'BCF' magic, a VCF's '##fileformat'), raw otherwise; other compressions are refused. The one
    sniffing read every reader, the VCF container test and the VCF writer share."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(size)
    except IsADirectoryError:
        raise InputError("is a directory, not an input file", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from None
    refuse_unsupported_compression(raw, path, "alkseq reads plain text, gzip/bgzip and BCF")
    if raw[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
        except zlib.error:
            return raw
    return raw


def refuse_unsupported_compression(magic: bytes, path: Path | str, hint: str) -> None:
    """One-line error for compressions alkseq does not read (bzip2, xz, zstd, zip)."""
    for prefix, name in UNSUPPORTED_COMPRESSION:
        if magic.startswith(prefix):
            raise InputError(f"compressed with {name}: not supported, decompress it",
                             path=str(path), hint=hint)


def text_lines(path: Path, *, limits: tuple[int, int, int] | None = None
               ) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line without its newline)`` for every line of ``path``."""
    max_text, max_line, max_lines = limits or (MAX_TEXT_CHARS, MAX_LINE_CHARS, MAX_LINES)
    where = str(path)
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
        if magic == b"\x1f\x8b":
            import gzip       # the table readers' only: a VCF or BCF is inflated elsewhere

            raw = gzip.open(path, "rb")
        else:
            raw = open(path, "rb")
    except IsADirectoryError:
        raise InputError("is a directory, not an input file", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=where) from None
    handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline=None)
    number = 0
    total = 0
    with handle:
        while True:
            try:
                line = handle.readline(max_line + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(f"damaged or truncated gzip data after line {number} "
                                 f"({getattr(exc, 'strerror', None) or exc})", path=where,
                                 line=number + 1) from None
            if not line:
                return
            number += 1
            total += len(line)
            if len(line) > max_line and not line.endswith("\n"):
                raise InputTooLargeError(f"line longer than {max_line:,} characters",
                                         path=where, line=number,
                                         hint="not a table row; is this the right file?")
            if total > max_text:
                raise InputTooLargeError(f"more than {max_text:,} characters of text "
                                         "(decompressed)", path=where, line=number,
                                         hint="alkseq reads one report; split the file")
            if number > max_lines:
                raise InputTooLargeError(f"more than {max_lines:,} lines", path=where,
                                         line=number, hint="split the file")
            line = line.rstrip("\n")
            bad = None if line.isascii() else re.search(_NOT_UTF8, line)
            if bad:
                raise InputError(f"not UTF-8 text (column {bad.start() + 1})", path=where,
                                 line=number, hint="save the table as UTF-8")
            yield number, line


def check_cells(cells, path: Path | str, line: int, columns=None) -> None:
    """Refuse control characters (NUL, ESC …) in cells: a broken export, never data."""
    control = sanitise.INPUT_CONTROL
    for index, cell in enumerate(cells):
        bad = control.search(cell)
        if bad:
            name = f" in column {quote(columns[index], 40)}" if columns and index < len(columns) \
                else ""
            raise ParseError(f"control character U+{ord(bad.group()):04X}{name}",
                             path=str(path), line=line,
                             hint="the file is damaged or not a text table")
