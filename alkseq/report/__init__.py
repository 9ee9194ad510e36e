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
    "maf": "alkseq.report.maf_writer",
    "fhir": "alkseq.report.fhir",
    "phenopacket": "alkseq.report.phenopacket",
    "pdf": "alkseq.report.pdf",
}

# bcftools-style ``-O`` letters for the VCF writer; the other formats go by their names
VCF_OUTPUT_TYPES = ("v", "z", "b", "u")
# file-name endings → format, longest first (a name says what it is when -O/--format do not)
SUFFIX_FORMATS = ((".vcf.gz", "vcf"), (".vcf.bgz", "vcf"), (".vcf", "vcf"), (".bcf", "vcf"),
                  (".json", "json"), (".tsv", "tsv"), (".txt", "text"), (".html", "html"),
                  (".htm", "html"), (".maf", "maf"), (".pdf", "pdf"))


def output_types() -> tuple[str, ...]:
    """Every value ``-O/--output-type`` takes."""
    return (*VCF_OUTPUT_TYPES, *WRITERS)


def resolve_output_type(output: str | None, fmt: str | None, output_type: str | None
                        ) -> tuple[str, str | None]:
    """(writer name, VCF -O letter or None) from -O, --format and the -o name, in that order.

    -O and --format may both be given only when they agree (``--format vcf -O b``).
    """
    if output_type in VCF_OUTPUT_TYPES:
        if fmt not in (None, "vcf"):
            raise UsageError(f"-O {output_type} is a VCF/BCF type but --format is {fmt}")
        return "vcf", output_type
    if output_type is not None:
        if output_type not in WRITERS:
            raise UsageError(f"unknown output type '{output_type}'",
                             hint="choose " + ", ".join(output_types()))
        if fmt not in (None, output_type):
            raise UsageError(f"-O {output_type} and --format {fmt} disagree")
        return output_type, None
    if fmt is not None:
        return fmt, None
    name = (output or "").lower()
    for suffix, inferred in SUFFIX_FORMATS:
        if name.endswith(suffix) and name != "-":
            return inferred, None
    return "text", None


def writer(name: str):
    if name not in WRITERS:
        raise UsageError(f"unknown output format '{name}'", hint="choose " + ", ".join(WRITERS))
    return importlib.import_module(WRITERS[name])
