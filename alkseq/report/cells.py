"""Spreadsheet-safe cells for the TSV/CSV writers (docs/errors.md, "Spreadsheet safety").

* A cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return (or their
  full-width forms ``＝ ＋ － ＠``, which some spreadsheets also run) gets a leading
  apostrophe (OWASP CSV-injection advice) — except plain numbers such as ``-1.5``.
* A cell beginning with a double quote gets the apostrophe too, so a CSV-aware reader
  (spreadsheets, pandas) does not start a quoted field that swallows the following rows.
* Tab, CR, LF and other line or record separators become spaces (one row stays one line;
  one cell stays one cell); other control characters are shown as escapes (``\\x1b``).
"""
from __future__ import annotations

import re

from alkseq.sanitise import printable

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20", '"')
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_DANGEROUS) and not _NUMBER.fullmatch(text):
        text = "'" + text
    text = _BREAKS.sub(" ", text)
    return printable(text)   # the one sanitiser (alkseq.sanitise) for what is left
