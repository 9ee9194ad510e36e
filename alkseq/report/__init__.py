"""Writers: one ``Report`` (or several) rendered one way each; a registry picks the writer.

Each writer module exposes ``render(reports, **options) -> str`` and a ``SUFFIX``. A writer
that needs more than text on stdout (bgzip + index, the input's own records) also exposes
``write(reports, output, *, input_path, command)``; the CLI calls it when present.
Imported lazily so one format never pays for another's libraries.
"""
from __future__ import annotations

import importlib

from alkseq.errors import UsageError

WRITERS = {
    "text": "alkseq.report.text",
    "json": "alkseq.report.json_writer",
    "tsv": "alkseq.report.tsv",
    "vcf": "alkseq.report.vcf_writer",
    "html": "alkseq.report.html",
    "fhir": "alkseq.report.fhir",
    "phenopacket": "alkseq.report.phenopacket",
    "pdf": "alkseq.report.pdf",
}


def writer(name: str):
    if name not in WRITERS:
        raise UsageError(f"unknown output format '{name}'", hint="choose " + ", ".join(WRITERS))
    return importlib.import_module(WRITERS[name])
