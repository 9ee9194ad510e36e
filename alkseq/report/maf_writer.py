"""MAF output: the input MAF again, every row, with alkseq's columns appended.

cBioPortal and OncoKB-annotator users expect their MAF back with columns added (OncoKB's
``LEVEL_1…``, ``HIGHEST_LEVEL``, ``TX_CITATIONS`` pattern). Rows, their order, the
``#version`` and other comment lines, and every input column pass through as read; each row
gains the columns in ``COLUMNS`` below:

* row-level (empty on rows alkseq did not interpret): whether alkseq interpreted the row,
  its role, resistance-mechanism class and curated mechanism id, the ALK compound it is part
  of, one ``ALKSEQ_<DRUG>`` column per ALK TKI of the report (the class for that kinase-domain
  mutation on its own: sensitive, intermediate, resistant, unknown) and the row's citations;
* sample-level (every row of the sample): the sample's mechanism class, best candidate, its
  evidence level (A … E) and its citations.

Only a MAF input can come back as a MAF (``--format maf`` on another input is a usage error).
Rows are matched to findings by the line they were read from, so a sample's rows keep their
annotations whatever the row order. Citations are ``;``-joined source ids (PMID:…, DOI:…).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from alkseq.errors import UsageError
from alkseq.model import Finding, Report

SUFFIX = ".maf"
PREFIX = "ALKSEQ_"


def _citations(items) -> str:
    return ";".join(dict.fromkeys(c.source for c in items))


def _best(report: Report):
    return report.candidates[0] if report.candidates else None


def _compound(report: Report, f: Finding) -> str:
    change = f.alteration.protein_change
    if f.role != "alk_kinase_domain" or change is None:
        return ""
    return "|".join(f"{c.key}:{c.phase}" for c in report.compounds if change.short in c.mutations)


# (column, getter over (report, finding or None, per-drug calls of the finding)) — declared once.
# A getter for a row-level column returns '' when the row has no finding.
ROW_COLUMNS: tuple[tuple[str, Callable], ...] = (
    ("ANNOTATED", lambda r, f, calls: "True" if f is not None else "False"),
    ("GENE", lambda r, f, calls: f.alteration.gene if f else ""),
    ("PROTEIN_CHANGE", lambda r, f, calls: f.alteration.protein_change.short
     if f and f.alteration.protein_change else ""),
    ("ROLE", lambda r, f, calls: f.role if f else ""),
    ("MECHANISM_CLASS", lambda r, f, calls: (f.mechanism_class or "") if f else ""),
    ("MECHANISM", lambda r, f, calls: (f.mechanism or "") if f else ""),
    ("COMPOUND", lambda r, f, calls: _compound(r, f) if f else ""),
)
SAMPLE_COLUMNS: tuple[tuple[str, Callable], ...] = (
    ("SAMPLE_MECHANISM_CLASS", lambda r: r.mechanism_class),
    ("BEST_CANDIDATE", lambda r: _best(r).therapy if _best(r) else ""),
    ("BEST_CANDIDATE_DRUGS", lambda r: ";".join(_best(r).drugs) if _best(r) else ""),
    ("HIGHEST_LEVEL", lambda r: _best(r).evidence_level if _best(r) else ""),
    ("TX_CITATIONS", lambda r: _citations(_best(r).citations) if _best(r) else ""),
)


def drug_columns(reports: list[Report]) -> list[str]:
    """The ALK TKIs of the reports' matrices, in matrix order (one column each)."""
    return list(dict.fromkeys(m.drug for r in reports for m in r.matrix))


def _drug_column(drug: str) -> str:
    return PREFIX + "".join(ch if ch.isalnum() else "_" for ch in drug.upper())


def columns(reports: list[Report]) -> list[str]:
    """Every column alkseq appends, in order."""
    return ([PREFIX + name for name, _ in ROW_COLUMNS]
            + [_drug_column(d) for d in drug_columns(reports)] + [PREFIX + "CITATIONS"]
            + [PREFIX + name for name, _ in SAMPLE_COLUMNS])


class _Calls:
    """Per-mutation drug calls from the report's own data (as the VCF writer's ``ALKSEQ_SENS``)."""

    def __call__(self, report: Report, f: Finding | None) -> dict:
        if f is None or f.role != "alk_kinase_domain" or f.alteration.protein_change is None:
            return {}
        return {c.drug: c for c in report.mutation_calls(f.alteration.protein_change.short)}


def _clean(value: str) -> str:
    """One cell: no tab or line break, control characters shown as escapes."""
    from alkseq.sanitise import printable

    return " ".join(printable(str(value)).split())


def _check_input(reports: list[Report], input_path) -> Path:
    path = input_path or (reports[0].input_path if reports else None)
    formats = {r.input_format for r in reports}
    if not reports or formats - {"maf"}:
        raise UsageError(f"--format maf writes a MAF input back with alkseq's columns; {path} was "
                         f"read as {', '.join(sorted(f or '?' for f in formats)) or 'nothing'}",
                         hint="use --format json, tsv or vcf for this input")
    if not path or not Path(path).is_file():
        raise UsageError("--format maf needs the MAF as a file to read it again",
                         hint="save standard input to a file first")
    return Path(path)


def annotated_lines(reports: list[Report], *, input_path=None) -> Iterator[str]:
    """The input MAF line by line (no newlines), every row with alkseq's columns."""
    from alkseq.readers._text import text_lines
    from alkseq.readers.maf import EMPTY

    path = _check_input(reports, input_path)
    drugs = drug_columns(reports)
    calls_of = _Calls()
    by_line: dict[int, list[tuple[Report, Finding]]] = {}
    for report in reports:
        for f in report.findings:
            if f.alteration.origin.line is not None and f.alteration.origin.reader == "maf":
                by_line.setdefault(f.alteration.origin.line, []).append((report, f))
    by_sample = {r.sample: r for r in reports}
    by_sample.update(_barcodes(path, by_line))   # a renamed sample keeps its file barcode
    header: list[str] | None = None
    barcode = None
    for number, line in text_lines(path):
        if header is None:
            if not line.strip() or line.startswith("#"):
                yield line
                continue
            header = line.split("\t")
            lower = [h.strip().lower() for h in header]
            barcode = lower.index("tumor_sample_barcode") if "tumor_sample_barcode" in lower else None
            kept = [i for i, h in enumerate(header) if not h.strip().startswith(PREFIX)]
            yield "\t".join([header[i] for i in kept] + columns(reports))
            continue
        if not line.strip():
            continue
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        found = by_line.get(number, [])
        if found:
            report = found[0][0]
        else:
            name = cells[barcode].strip() if barcode is not None and barcode < len(cells) else ""
            report = by_sample.get(name) or (reports[0] if len(reports) == 1 and
                                             (barcode is None or name.lower() in EMPTY) else None)
        added = _row_cells(report, [f for _, f in found], drugs, calls_of)
        yield "\t".join([cells[i] for i in kept] + added)


def _barcodes(path: Path, by_line) -> dict:
    """File barcode → report, read from the rows alkseq interpreted (a first pass)."""
    from alkseq.readers._text import text_lines

    found: dict = {}
    column = None
    for number, line in text_lines(path):
        if column is None:
            if line.strip() and not line.startswith("#"):
                lower = [h.strip().lower() for h in line.split("\t")]
                if "tumor_sample_barcode" not in lower:
                    return {}
                column = lower.index("tumor_sample_barcode")
            continue
        if number in by_line:
            cells = line.split("\t")
            if column < len(cells):
                found.setdefault(cells[column].strip(), by_line[number][0][0])
    return found


def _row_cells(report: Report | None, findings: list[Finding], drugs: list[str], calls_of) -> list[str]:
    if report is None:  # a row of a sample that was not interpreted (another --sample)
        return ["False"] + [""] * (len(ROW_COLUMNS) - 1 + len(drugs) + 1 + len(SAMPLE_COLUMNS))
    per_finding = [(f, calls_of(report, f)) for f in findings] or [(None, {})]
    cells = ["&".join(dict.fromkeys(str(get(report, f, calls)) for f, calls in per_finding))
             if name != "ANNOTATED" else get(report, per_finding[0][0], {})
             for name, get in ROW_COLUMNS]
    for drug in drugs:
        cells.append("&".join(dict.fromkeys(calls[drug].drug_class if drug in calls else ""
                                            for _, calls in per_finding)).strip("&"))
    cells.append(_citations(c for _, calls in per_finding for call in calls.values()
                            for c in call.citations))
    cells.extend(str(get(report)) for _, get in SAMPLE_COLUMNS)
    return [_clean(c).strip("&") for c in cells]


def render(reports: list[Report], *, input_path=None, **_options) -> str:
    return "".join(line + "\n" for line in annotated_lines(reports, input_path=input_path))


def write(reports: list[Report], output, *, input_path, inputs=(), command: str | None = None,
          **_options) -> None:
    """To stdout or a file (atomically; never over an input)."""
    from alkseq.report.output import emit

    emit(render(reports, input_path=input_path), output,
         inputs=(input_path, *inputs))
