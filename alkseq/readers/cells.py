"""Numbers in report cells (panel TSV, MAF columns, Foundation XML attributes), read one way.

A missing marker is ``None``; anything else must be a finite, non-negative number (a count must be
whole), or it is a ``ParseError`` that names the file, the line and the cell as written. The VCF
reader does not use this: it follows htslib, where an unreadable INFO/FORMAT value is missing.
"""
from __future__ import annotations

import math

from alkseq.errors import ParseError, quote

MISSING = frozenset({"", ".", "-", "na", "n/a", "none", "null", "unknown"})
# a panel table may come from pandas, which writes an empty cell as NaN; in XML or a MAF count it is an error
TABLE_MISSING = MISSING | {"nan"}


def number_cell(text: str | None, label: str, *, path, line: int | None, integer: bool = False,
                fraction: bool = False, percent: bool = False,
                missing: frozenset[str] = MISSING) -> float | int | None:
    """``text`` as a number; ``label`` is what precedes the quoted value in a message ("vaf ")."""
    value = (text or "").strip()
    if value.lower() in missing:
        return None
    try:
        number = float(value.rstrip("%").strip() if percent else value)
    except ValueError:
        raise ParseError(f"{label}{quote(value)} is not a number", path=str(path), line=line) from None
    if not math.isfinite(number) or (number < 0 and not integer):
        raise ParseError(f"{label}{quote(value)} is not a finite, non-negative number", path=str(path),
                         line=line)
    if integer:
        if number < 0 or number != int(number):
            raise ParseError(f"{label}{quote(value)} is not a count", path=str(path), line=line)
        return int(number)
    if fraction and number > 1:
        raise ParseError(f"{label}{quote(value)} is outside 0–1", path=str(path), line=line)
    return number
