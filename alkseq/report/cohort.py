"""Cohort outputs of ``alkseq batch``: one CSV row per sample and a mechanism summary.

Both tables are declared once, as lists of (column, how to get it) below; the CSV goes
through ``safe_cell`` so no cell runs as a spreadsheet formula. A *result* is anything with
``sample``, ``path``, ``prior`` (as written in the samplesheet), ``report`` (a ``Report`` or
None), ``failure`` (a ``Failure`` or None) and ``knowledge_version`` — ``batch.SampleResult``.

The summary counts mechanisms by the last prior ALK TKI, the table translational cohorts
report (e.g. Gainor 2016 Cancer Discov; Wu 2024 J Transl Med): n, and for each mechanism
how many samples carry it and what percentage of the group that is. Failed samples are not
counted (they have no findings); their number is in the batch result.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from alkseq.report.basis import kd_mutations
from alkseq.report.cells import safe_cell

SUFFIX = ".csv"
TOP_CANDIDATES = 3
NO_PRIOR_TKI = "no prior ALK TKI"
ALL_SAMPLES = "all samples"


def _key_alterations(report) -> str:
    return "; ".join(dict.fromkeys(f.alteration.name for f in report.findings if f.role != "other"))


def _compounds(report) -> str:
    return "; ".join(f"{c.key} ({c.phase})" for c in report.compounds)


def _candidate(index: int, part: str):
    def get(result):
        report = result.report
        if report is None or len(report.candidates) <= index:
            return ""
        candidate = report.candidates[index]
        return candidate.therapy if part == "therapy" else candidate.evidence_level
    return get


def _ok(get):
    """A getter that reads the report, empty for failed samples."""
    return lambda result: "" if result.report is None else get(result.report)


# (column, getter over a result) — the one place the cohort CSV's columns are defined
COLUMNS = (
    ("sample", lambda r: r.sample),
    ("status", lambda r: "ok" if r.failure is None else "error"),
    ("error", lambda r: "" if r.failure is None else r.failure.message),
    ("path", lambda r: r.path),
    ("input_format", _ok(lambda rep: rep.input_format)),
    ("build", _ok(lambda rep: rep.build)),
    ("prior_therapies", lambda r: ";".join(r.report.context.prior_therapies) if r.report
     else ";".join(r.prior)),
    ("key_alterations", _ok(_key_alterations)),
    ("compounds", _ok(_compounds)),
    ("mechanism_class", _ok(lambda rep: rep.mechanism_class)),
    *((name, _candidate(i, part))
      for i in range(TOP_CANDIDATES)
      for name, part in ((f"candidate_{i + 1}", "therapy"),
                         (f"candidate_{i + 1}_evidence", "level"))),
    ("not_recommended", _ok(lambda rep: "; ".join(n.therapy for n in rep.not_recommended))),
    ("warnings", _ok(lambda rep: len(rep.warnings))),
    ("knowledge_version", lambda r: r.knowledge_version),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


def row(result) -> dict:
    """One result → one plain row (values unescaped; the CSV writer makes them safe)."""
    return {name: get(result) for name, get in COLUMNS}


def render_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    made: dict[str, str] = {}   # a cohort repeats its texts (drugs, classes, sources): each made safe once
    for values in rows:
        cells = []
        for name in COLUMN_NAMES:
            value = values.get(name)
            if value.__class__ is str:
                cell = made.get(value)
                if cell is None:
                    cell = made[value] = safe_cell(value)
            else:
                cell = safe_cell(value)
            cells.append(cell)
        writer.writerow(cells)
    return out.getvalue()


# --------------------------------------------------------------------------- categories

def _kd_mutations(report) -> set[str]:
    return {name for name, _, _ in kd_mutations(report)}


def _not_trans_compounds(report) -> list:
    return [c for c in report.compounds if len(c.mutations) > 1 and c.phase != "trans"]


def _is_met_amp(f) -> bool:
    return f.role == "bypass" and (f.mechanism == "met_amplification" or (
        f.alteration.gene == "MET" and f.alteration.kind == "amplification"))


def _other_bypass(report) -> bool:
    return any(f.role == "bypass" and not _is_met_amp(f) for f in report.findings)


@dataclass(frozen=True)
class Category:
    """A cohort mechanism category: the summary's columns and the cohort page's rows."""

    stem: str          # summary column stem
    label: str         # cohort page row label
    description: str
    test: Callable


# the cohort's categories, declared once: `--summary` and the HTML cohort page both use them
CATEGORIES = (
    Category("alk_kd_mutation", "ALK KD mutation", "any ALK kinase-domain mutation",
             lambda rep: bool(_kd_mutations(rep))),
    Category("g1202r", "G1202R", "ALK G1202R (alone or with other ALK mutations)",
             lambda rep: "G1202R" in _kd_mutations(rep)),
    Category("alk_compound", "compound",
             "two or more ALK kinase-domain mutations not shown to be in trans "
             "(cis, mixed or unknown phase)", lambda rep: bool(_not_trans_compounds(rep))),
    Category("met_amplification", "MET amplification", "MET amplification",
             lambda rep: any(_is_met_amp(f) for f in rep.findings)),
    Category("other_bypass", "other bypass", "a bypass mechanism other than MET amplification",
             _other_bypass),
    Category("transformation", "transformation", "histologic transformation",
             lambda rep: any(f.role == "transformation" for f in rep.findings)),
    Category("mixed", "mixed", "ALK-dependent and ALK-independent mechanisms together",
             lambda rep: rep.mechanism_class == "mixed"),
    Category("none_found", "none found", "no resistance mechanism found",
             lambda rep: rep.mechanism_class == "none_found"),
)
SUMMARY_COLUMNS = ("last_prior_alk_tki", "n",
                   *(f"{c.stem}_{part}" for c in CATEGORIES for part in ("n", "pct")))


def categories_of(report) -> list[str]:
    """The labels of every category a report falls in, in ``CATEGORIES`` order."""
    return [c.label for c in CATEGORIES if c.test(report)]


def last_alk_tki(report) -> tuple[str, str]:
    """(drug, generation) of the ALK TKI the report's treatment history ends on, or (NO_PRIOR_TKI, "")."""
    last = report.history.last_alk_tki if report.history is not None else None
    return last or (NO_PRIOR_TKI, "")


def group_reports(reports) -> dict[str, list]:
    """Reports by last prior ALK TKI, groups ordered by generation (no prior TKI first)."""
    groups: dict[str, list] = {}
    generations: dict[str, str] = {}
    for report in reports:
        drug, generation = last_alk_tki(report)
        groups.setdefault(drug, []).append(report)
        generations[drug] = generation
    generation_order = {"1": 1, "2": 2, "3": 3, "next": 4}

    def order(name: str):
        if name == NO_PRIOR_TKI:
            return (0, 0, name)
        return (1, generation_order.get(generations[name], 9), name)

    return {name: groups[name] for name in sorted(groups, key=order)}


def summary_rows(results) -> list[dict]:
    """Counts and percentages per last prior ALK TKI (ordered by generation), then all samples."""
    reports = [r.report for r in results if r.report is not None]
    out = [_summary_row(name, group) for name, group in group_reports(reports).items()]
    out.append(_summary_row(ALL_SAMPLES, reports))
    return out


def _summary_row(name: str, reports: list) -> dict:
    n = len(reports)
    values: dict = {"last_prior_alk_tki": name, "n": n}
    for category in CATEGORIES:
        count = sum(1 for report in reports if category.test(report))
        values[f"{category.stem}_n"] = count
        values[f"{category.stem}_pct"] = f"{100.0 * count / n:.1f}" if n else ""
    return values


def render_summary(results) -> str:
    lines = ["\t".join(SUMMARY_COLUMNS)]
    for values in summary_rows(results):
        lines.append("\t".join(safe_cell(values[c]) for c in SUMMARY_COLUMNS))
    return "\n".join(lines) + "\n"
