"""MultiQC custom content: a batch's results as files MultiQC picks up on its own.

Most pipelines that would call alkseq end in a MultiQC report, and MultiQC finds custom
content by file name (``*_mqc.tsv``, ``*_mqc.yaml``) with its configuration in the file
itself, so no MultiQC plugin or config is needed:

* ``alkseq_samples_mqc.tsv`` — a table, one row per sample: status, mechanism class, ALK
  kinase-domain mutations, phase of each compound, the top candidate and its evidence level;
* ``alkseq_mechanisms_mqc.yaml`` — a bar plot: samples per mechanism class, one bar per last
  prior ALK TKI (the grouping of the batch summary) and one for all samples.

A *result* is what ``alkseq.batching.SampleResult`` is (``sample``, ``report`` or None,
``failure`` or None). Cells go through ``safe_cell`` like every other table alkseq writes.
"""
from __future__ import annotations

import json

from alkseq.model import MECHANISM_CLASSES
from alkseq.report.cells import safe_cell

TABLE_FILE = "alkseq_samples_mqc.tsv"
PLOT_FILE = "alkseq_mechanisms_mqc.yaml"
SECTION_ID = "alkseq"
FAILED = "failed"


def _kd_mutations(report) -> str:
    return ", ".join(dict.fromkeys(f.alteration.protein_change.short for f in report.findings
                                   if f.role == "alk_kinase_domain"
                                   and f.alteration.protein_change is not None))


def _phases(report) -> str:
    return "; ".join(f"{c.key}: {c.phase}" for c in report.compounds)


def _top(report, part: str) -> str:
    if not report.candidates:
        return ""
    top = report.candidates[0]
    return top.therapy if part == "therapy" else top.evidence_level


def _ok(get):
    return lambda result: "" if result.report is None else get(result.report)


# (column title, description, getter over a result) — the table's columns, declared once
TABLE_COLUMNS = (
    ("Status", "ok, or the one-line reason the sample failed",
     lambda r: "ok" if r.failure is None else f"error: {r.failure.message}"),
    ("Mechanism class", "alk_dependent, bypass, transformation, mixed or none_found",
     _ok(lambda rep: rep.mechanism_class)),
    ("ALK mutations", "ALK kinase-domain mutations found", _ok(_kd_mutations)),
    ("Phase", "phase of each ALK compound (cis, trans, mixed, unknown)", _ok(_phases)),
    ("Top candidate", "alkseq's first-ranked next-line candidate", _ok(lambda rep: _top(rep, "therapy"))),
    ("Evidence", "evidence level of the top candidate (A guideline … E review/inferred)",
     _ok(lambda rep: _top(rep, "level"))),
)


def _header(config: dict) -> list[str]:
    """MultiQC reads a TSV's configuration from leading '#' lines holding YAML."""
    return ["# " + line for line in json.dumps(config, indent=2).splitlines()]


def _cell(value) -> str:
    return " ".join(safe_cell(value).split())  # no tab or newline can split a row


def render_table(results) -> str:
    config = {
        "id": f"{SECTION_ID}_samples",
        "section_name": "alkseq: ALK TKI resistance",
        "description": "Per sample: mechanism class, ALK kinase-domain mutations and their "
                       "phase, alkseq's top next-line candidate and its evidence level "
                       "(research use only).",
        "plot_type": "table",
        "pconfig": {"id": f"{SECTION_ID}_samples_table", "namespace": "alkseq",
                    "title": "alkseq: per-sample results", "only_defined_headers": False},
        "headers": {title: {"title": title, "description": description, "scale": False}
                    for title, description, _ in TABLE_COLUMNS},
    }
    lines = _header(config)
    lines.append("\t".join(["Sample", *(title for title, _, _ in TABLE_COLUMNS)]))
    for result in results:
        lines.append("\t".join([_cell(result.sample),
                                *(_cell(get(result)) for _, _, get in TABLE_COLUMNS)]))
    return "\n".join(lines) + "\n"


def mechanism_counts(results) -> dict[str, dict[str, int]]:
    """{bar: {mechanism class (or 'failed'): samples}}: per last prior ALK TKI, then all."""
    from alkseq.report.cohort import ALL_SAMPLES, NO_PRIOR_TKI, last_alk_tki

    bars: dict[str, dict[str, int]] = {}
    total = dict.fromkeys((*MECHANISM_CLASSES, FAILED), 0)
    for result in results:
        if result.report is None:
            total[FAILED] += 1
            continue
        group = last_alk_tki(result.report)[0]
        counts = bars.setdefault(group if group == NO_PRIOR_TKI else f"after {group}",
                                 dict.fromkeys((*MECHANISM_CLASSES, FAILED), 0))
        counts[result.report.mechanism_class] = counts.get(result.report.mechanism_class, 0) + 1
        total[result.report.mechanism_class] = total.get(result.report.mechanism_class, 0) + 1
    bars[ALL_SAMPLES] = total
    return bars


def render_plot(results) -> str:
    """The bar plot as MultiQC custom-content YAML (written as JSON, which YAML reads)."""
    config = {
        "id": f"{SECTION_ID}_mechanisms",
        "section_name": "alkseq: resistance mechanisms",
        "description": "Samples per resistance-mechanism class, by the last prior ALK TKI "
                       "(failed samples are counted under all samples only).",
        "plot_type": "bargraph",
        "pconfig": {"id": f"{SECTION_ID}_mechanisms_plot", "title": "alkseq: mechanism classes",
                    "ylab": "Samples", "cpswitch_counts_label": "Samples"},
        "categories": {name: {"name": name.replace("_", " ")} for name in (*MECHANISM_CLASSES, FAILED)},
        "data": mechanism_counts(results),
    }
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def write(results, directory, *, inputs=()) -> list:
    """Both files into ``directory`` (created if needed), each atomically; their paths."""
    from alkseq.report.output import make_directory, write_atomic

    root = make_directory(directory, "MultiQC folder")
    written = []
    for name, text in ((TABLE_FILE, render_table(results)), (PLOT_FILE, render_plot(results))):
        write_atomic(root / name, text, inputs=inputs)
        written.append(root / name)
    return written
