"""The notebook API: alkseq.annotate / alkseq.batch on paths and DataFrames, tidy typed frames,
short reprs, the HTML card, and the docstring examples run by doctest."""
from __future__ import annotations

import csv
import doctest
import io
import json

import pandas as pd
import pytest

from conftest import ROOT, run_cli

EXAMPLES = ROOT / "examples"
SHEET = EXAMPLES / "samplesheet.csv"


@pytest.mark.parametrize("module", ["alkseq.api", "alkseq.batching"])
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    import importlib

    monkeypatch.chdir(tmp_path)                       # examples write nothing where they run
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 9
    assert not list(tmp_path.iterdir())


def test_annotate_takes_the_cli_options_as_keywords():
    import alkseq

    reports = alkseq.annotate(EXAMPLES / "phasing" / "tumor.vcf", prior=["alectinib"],
                              bam=EXAMPLES / "phasing" / "cis.bam", build="GRCh38")
    cli = json.loads(run_cli("annotate", EXAMPLES / "phasing" / "tumor.vcf", "--prior", "alectinib",
                             "--bam", EXAMPLES / "phasing" / "cis.bam", "--build", "GRCh38",
                             "--format", "json").stdout)["samples"]
    from alkseq.report.json_writer import report_to_dict
    assert [report_to_dict(r)["compounds"] for r in reports] == [s["compounds"] for s in cli]
    assert reports[0].compounds[0].phase == "cis"
    (second,) = alkseq.annotate(EXAMPLES / "maf" / "two_samples.maf", sample="PT102")
    assert second.sample == "PT102"


def test_annotate_a_dataframe_like_a_file(tmp_path):
    import alkseq

    frame = pd.read_csv(EXAMPLES / "post_lorlatinib_met_amp" / "panel.csv", dtype=str)
    from_frame = alkseq.annotate(frame, prior=["alectinib", "lorlatinib"])
    from_file = alkseq.annotate(EXAMPLES / "post_lorlatinib_met_amp" / "panel.csv",
                                prior=["alectinib", "lorlatinib"])
    assert [r.candidates for r in from_frame] == [r.candidates for r in from_file]
    assert from_frame[0].input_path == "<DataFrame>"


def test_annotate_with_a_loaded_knowledge_base(synthetic_kb):
    """A knowledge base loaded once serves many inputs (what a batch chunk does): the same
    reports as loading it by name, and a different knowledge base is the one used."""
    import alkseq
    from alkseq.knowledge import load_knowledge

    case = EXAMPLES / "post_lorlatinib_met_amp" / "panel.csv"
    shipped = load_knowledge()
    assert list(alkseq.annotate(case, prior=["alectinib"], knowledge=shipped)) == \
        list(alkseq.annotate(case, prior=["alectinib"]))
    (other,) = alkseq.annotate(case, prior=["alectinib"], knowledge=synthetic_kb)
    assert {c.source for c in other.references} <= set(synthetic_kb.sources)   # its sources only
    assert other.references != alkseq.annotate(case, prior=["alectinib"])[0].references


def test_frames_are_tidy_and_typed():
    import alkseq

    reports = alkseq.annotate(EXAMPLES / "maf" / "two_samples.maf", prior=["alectinib"])
    candidates = reports.candidates_frame()
    assert len(candidates) == sum(len(r.candidates) for r in reports)
    assert candidates["evidence_level"].cat.ordered and list(candidates["evidence_level"].cat.categories) == list("ABCDE")
    assert str(candidates["rank"].dtype) == "Int64" and candidates["inferred"].dtype == bool
    best = candidates.sort_values(["sample", "evidence_level"]).groupby("sample", observed=True).head(1)
    assert set(best["sample"]) == {"PT101", "PT102"}
    calls = reports.calls_frame()
    assert set(calls.columns) >= {"sample", "drug", "drug_class", "ic50_nm", "fold_vs_wt"}
    assert str(calls["ic50_nm"].dtype) == "Float64"
    assert list(calls["drug_class"].cat.categories) == ["sensitive", "intermediate", "resistant", "unknown"]
    assert len(calls) == sum(len(r.matrix) for r in reports)
    single = reports[0].calls_frame()
    assert (single["sample"] == "PT101").all()


def test_reprs_are_short_and_the_html_card_is_the_writers():
    import alkseq

    (report,) = alkseq.annotate(EXAMPLES / "post_alectinib_g1202r" / "tumor.vcf",
                                prior=["crizotinib", "alectinib"])
    text = repr(report)
    assert len(text) < 400 and "\n" not in text
    assert text.startswith("<Report 'PT001_T': alk_dependent;") and "Lorlatinib [A]" in text
    from alkseq.api import NotebookReport, report_card_html
    from alkseq.model import Report

    assert isinstance(report, NotebookReport) and isinstance(report, Report)
    assert report == Report(**{f: getattr(report, f) for f in Report.__dataclass_fields__})
    html = report._repr_html_()
    assert html == report_card_html(report)
    assert html.startswith("<iframe srcdoc=") and "PT001_T" in html and "&lt;html" in html.lower()
    assert len(repr(alkseq.annotate(EXAMPLES / "maf" / "two_samples.maf"))) < 800


def test_batch_from_a_dataframe_equals_the_samplesheet(monkeypatch):
    import alkseq

    monkeypatch.chdir(EXAMPLES)                 # the sheet's relative paths, from its folder
    frame = pd.read_csv(SHEET, dtype=str, keep_default_na=False)
    from_frame = alkseq.batch(frame, progress=False)
    from_file = alkseq.batch(SHEET, progress=False)
    assert from_frame.rows == from_file.rows
    assert from_frame.exit_code == 0 and from_frame.samplesheet == "<DataFrame>"
    samples = from_frame.frame()
    assert samples["sample"].tolist() == frame["sample"].tolist()
    assert str(samples["status"].dtype) == "category" and (samples["status"] == "ok").all()
    assert str(samples["n_alk_mutations"].dtype) == "Int64"
    assert samples.set_index("sample").loc["PT002", "compounds"] == "L1196M+G1202R (cis)"
    cohort = list(csv.DictReader(io.StringIO(run_cli("batch", SHEET).stdout)))
    assert samples["mechanism_class"].astype(str).tolist() == [r["mechanism_class"] for r in cohort]
    assert len(repr(from_frame)) < 120
