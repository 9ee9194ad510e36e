"""One JSON document shape (alkseq-report/2.0) for every JSON alkseq writes, validated with
jsonschema against the shipped schema: annotate (one sample, several), lookup, batch --json,
batch --json-dir, merge --json; and the document read back into Reports."""
from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "alkseq" / "schemas" / "report.schema.json").read_text())
EXAMPLES = ROOT / "examples"


def valid(document: dict) -> dict:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    return document


def cli_json(*args) -> dict:
    result = run_cli(*args, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return valid(json.loads(result.stdout))


def test_one_sample_is_a_document_with_one_sample():
    doc = cli_json("annotate", "examples/post_alectinib_g1202r/tumor.vcf", "--prior", "alectinib",
                   "--format", "json")
    assert doc["schema"] == "alkseq-report/2.0" and doc["kind"] == "annotate"
    assert [s["sample"] for s in doc["samples"]] == ["PT001_T"] and doc["failures"] == []


def test_several_samples_are_the_same_shape():
    doc = cli_json("annotate", "examples/maf/two_samples.maf", "--format", "json")
    assert isinstance(doc, dict) and [s["sample"] for s in doc["samples"]] == ["PT101", "PT102"]


def test_lookup_document():
    doc = cli_json("lookup", "G1202R+L1196M", "--format", "json")
    assert doc["kind"] == "lookup" and len(doc["samples"]) == 1


def test_a_document_that_breaks_the_shape_is_refused_by_the_schema():
    doc = cli_json("lookup", "G1202R", "--format", "json")
    with pytest.raises(jsonschema.ValidationError):
        valid([doc["samples"][0]])                       # the 1.0 array shape
    with pytest.raises(jsonschema.ValidationError):
        valid({**doc, "schema": "alkseq-report/1.0"})


def test_batch_document_json_dir_and_merge(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("sample,path,prior\n"
                     f"A,{EXAMPLES / 'post_alectinib_g1202r' / 'tumor.vcf'},alectinib\n"
                     f"B,{EXAMPLES / 'post_lorlatinib_met_amp' / 'panel.csv'},lorlatinib\n"
                     "C,does/not/exist.vcf,\n")
    result = run_cli("batch", sheet, "-o", tmp_path / "cohort.csv", "--json", tmp_path / "all.json",
                     "--json-dir", tmp_path / "per", "--summary", tmp_path / "summary.tsv")
    assert result.returncode == 10, result.stderr
    doc = valid(json.loads((tmp_path / "all.json").read_text()))
    assert doc["kind"] == "batch" and [s["sample"] for s in doc["samples"]] == ["A", "B"]
    assert [f["sample"] for f in doc["failures"]] == ["C"] and doc["failures"][0]["exit_code"] == 3
    per = sorted((tmp_path / "per").glob("*.json"))
    assert [p.name for p in per] == ["A.json", "B.json"]
    for path in per:
        assert valid(json.loads(path.read_text()))["samples"][0]["sample"] == path.stem

    # merge: the per-sample documents give the batch's own cohort rows, columns and all
    merged = run_cli("merge", *per, "--json", tmp_path / "merged.json", "-o", tmp_path / "m.csv")
    assert merged.returncode == 0, merged.stderr
    # the summary groups by the last ALK TKI of each document's own treatment history
    assert run_cli("merge", *per, "--summary", tmp_path / "merged.tsv", "-o", tmp_path / "m2.csv").returncode == 0
    summary = (tmp_path / "merged.tsv").read_text()
    assert summary == (tmp_path / "summary.tsv").read_text()
    groups = [line.split("\t")[0] for line in summary.splitlines()[1:]]
    assert groups == ["alectinib", "lorlatinib", "all samples"], groups
    assert valid(json.loads((tmp_path / "merged.json").read_text()))["kind"] == "merge"
    batch_rows = list(csv.DictReader(io.StringIO((tmp_path / "cohort.csv").read_text())))
    merge_rows = list(csv.DictReader(io.StringIO((tmp_path / "m.csv").read_text())))
    assert merge_rows == [r for r in batch_rows if r["status"] == "ok"]

    # merging the batch document carries its failure over (exit 10, the row says why)
    again = run_cli("merge", tmp_path / "all.json")
    assert again.returncode == 10
    rows = list(csv.DictReader(io.StringIO(again.stdout)))
    assert [r["status"] for r in rows] == ["ok", "ok", "error"]


@pytest.mark.parametrize("content,message", [
    ("[]", "not an alkseq alkseq-report/2.0 document"),
    ('{"schema": "alkseq-report/1.0"}', "schema: alkseq-report/1.0"),
    ("{not json", "not JSON"),
])
def test_merge_refuses_what_is_not_a_document(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run_cli("merge", bad)
    assert result.returncode == 3 and message in result.stderr and str(bad) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_merge_refuses_a_sample_twice(tmp_path):
    out = tmp_path / "a.json"
    assert run_cli("annotate", EXAMPLES / "post_lorlatinib_met_amp" / "panel.csv", "-o", out).returncode == 0
    result = run_cli("merge", out, out)
    assert result.returncode == 3 and "is also in" in result.stderr


# what `alkseq merge` reads back to rebuild cohort rows and MultiQC files
MERGED_FIELDS = ("sample", "input", "context", "mechanism_class", "compounds", "warnings",
                 "knowledge_version", "alkseq_version")


def test_every_example_round_trips_through_report_from_dict():
    from alkseq.report.json_writer import report_from_dict, report_to_dict

    def kept(sample):
        fields = {k: sample[k] for k in MERGED_FIELDS}
        return (fields,
                [(a["name"], a["role"], a["mechanism"], a["protein_change"]) for a in sample["alterations"]],
                [(c["therapy"], c["evidence_level"], c["drugs"]) for c in sample["candidates"]],
                [n["therapy"] for n in sample["not_recommended"]],
                [(m["drug"], m["class"]) for m in sample["matrix"]])

    for expected in sorted((EXAMPLES / "expected").glob("*/expected.json")):
        for sample in valid(json.loads(expected.read_text()))["samples"]:
            assert kept(report_to_dict(report_from_dict(sample))) == kept(sample), expected
