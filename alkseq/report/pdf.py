"""PDF: the HTML report printed by WeasyPrint (pip-installable; needs Pango, present here).

The page is the HTML writer's, laid out with its print stylesheet (every section expanded,
each card kept whole), so PDF and HTML never disagree. WeasyPrint is imported only here and
only when a PDF is asked for (``pip install 'alkseq[pdf]'``).
"""
from __future__ import annotations

import sys

from alkseq.errors import UsageError
from alkseq.model import Report

SUFFIX = ".pdf"


def render_bytes(reports: list[Report]) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:   # OSError: Pango missing on the system
        raise UsageError("--format pdf needs WeasyPrint", hint=f"pip install 'alkseq[pdf]' ({exc})") from None
    from alkseq.report.html import render

    return HTML(string=render(reports)).write_pdf()


def render(reports: list[Report], **_options) -> str:
    raise UsageError("--format pdf writes bytes: use write() (the CLI does)")


def write(reports: list[Report], output, *, inputs=(), **_options) -> None:
    from alkseq.report.output import write_atomic

    data = render_bytes(reports)
    if output is None or output == "-":
        if sys.stdout.isatty():
            raise UsageError("refusing to write a PDF to a terminal", hint="give -o report.pdf")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, data, inputs=inputs)
