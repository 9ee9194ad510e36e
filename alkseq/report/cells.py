"""Spreadsheet-safe cells: text that a spreadsheet would run as a formula is neutralised.

A cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe (OWASP CSV-injection advice), except plain numbers such as ``-1.5``.
"""
from __future__ import annotations

import re

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_DANGEROUS) and not _NUMBER.match(text):
        text = "'" + text
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
