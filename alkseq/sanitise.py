"""One sanitiser for every writer and every message: control characters read from an input
(a sample name with ESC, BEL, a CSI sequence, C1 controls) never reach a terminal, a page,
a header line or a log raw.

* ``printable`` (text, TSV/CSV cells, HTML, VCF header lines, error messages): C0 controls
  except tab and line feed, DEL, the C1 range U+0080–U+009F (which includes the one-byte
  CSI U+009B and NEL U+0085) and the Unicode line/paragraph separators are shown as
  visible escapes (``\\x1b``, ``\\u2028``).  An escape shows what was there; nothing acts.
* ``json_safe`` (JSON): ``json.dumps`` already escapes C0; DEL, C1 and U+2028/2029 are
  escaped too (``\\u009b``), so the document is plain to a terminal and the parsed value
  is exactly the input's (lossless, unlike ``printable``).

Standard library only: ``alkseq.errors`` (on the ``--help`` path) uses it.
"""
from __future__ import annotations

import re

# Compiled on first use (``__getattr__``): this module is on every start-up path (``alkseq.errors``),
# most runs print no message and read no input cell, and a character class reaching past Latin-1 is
# expensive to compile (``CONTROL``: 0.7–2.9 ms, 2026-12-02).
# CONTROL — what ``printable`` escapes: C0 except TAB/LF, DEL, C1, U+2028/U+2029.
# INPUT_CONTROL — what an input cell may not hold (readers refuse it): the same, with CR also
# allowed (line endings).
_PATTERNS = {"CONTROL": r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]",
             "INPUT_CONTROL": r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]"}
_JSON_RAW = r"[\x7f-\x9f\u2028\u2029]"   # json_safe's (re's own cache keeps it compiled)


def __getattr__(name: str):
    if name in _PATTERNS:
        return _compiled(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _compiled(name: str) -> re.Pattern:
    """``_PATTERNS[name]`` compiled, once: kept as the module's attribute of that name."""
    pattern = globals().get(name)
    if pattern is None:
        pattern = globals()[name] = re.compile(_PATTERNS[name])
    return pattern


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), never sent raw."""
    text = str(text)
    if text.isascii() and text.isprintable():     # nothing to escape (most texts): no pattern needed
        return text
    return _compiled("CONTROL").sub(_escape, text)


def json_safe(document: str) -> str:
    """A ``json.dumps`` document with DEL, C1 and U+2028/2029 written as ``\\uXXXX`` escapes.

    These characters can only occur inside JSON strings, so the replacement never touches
    the document's structure and ``json.loads`` returns the same values.
    """
    if document.isascii() and "\x7f" not in document:     # nothing to escape: no pattern compiled
        return document
    return re.sub(_JSON_RAW, lambda m: f"\\u{ord(m.group()):04x}", document)
