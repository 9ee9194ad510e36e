"""Writers: one ``Report`` (or several) rendered one way each; a registry picks the writer.

Each writer module exposes ``render(reports, **options) -> str`` (text formats) and a
``SUFFIX``. Imported lazily so one format never pays for another's libraries.
"""
from __future__ import annotations

import importlib

from alkseq.errors import UsageError

WRITERS = {
    "text": "alkseq.report.text",
    "json": "alkseq.report.json_writer",
    "tsv": "alkseq.report.tsv",
}


def writer(name: str):
    if name not in WRITERS:
        raise UsageError(f"unknown output format '{name}'", hint="choose " + ", ".join(WRITERS))
    return importlib.import_module(WRITERS[name])
