"""`alkseq kb audit`: per-cell review of the matrix as TSV, HTML and schema-valid JSON."""
import json
from html.parser import HTMLParser

import jsonschema

from alkseq.knowledge import load_knowledge
from alkseq.knowledge.audit import audit, render_html, render_tsv
from conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "alkseq" / "schemas" / "kb-audit.schema.json").read_text())


def _validate(data):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_json_audit_of_the_shipped_tables_follows_its_schema_and_matches_coverage():
    result = run_cli("kb", "audit", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    _validate(data)
    coverage = json.loads(run_cli("kb", "coverage", "--format", "json").stdout)
    summary = data["summary"]
    assert summary["cells"] == coverage["cells"] == len(data["cells"])
    assert summary["rows"] == coverage["rows"] == sum(c["rows"] for c in data["cells"])
    assert summary["cells_with_ic50"] == coverage["cells_with_ic50"]
    assert summary["ic50_values"] == coverage["rows_with_ic50"]
    assert summary["cells_with_primary_or_clinical"] == coverage["cells_with_primary_or_clinical"]
    assert summary["cells_conflicting"] == coverage["cells_conflicting"]
    assert sum(summary["cells_by_best_directness"].values()) == summary["cells"]
    assert sum(y["sources"] for y in summary["sources_by_year"]) == summary["sources"]
    assert summary["oldest_source_year"] <= summary["median_source_year"] <= summary["newest_source_year"]
    # the audit's judgement flag: G1269A x alectinib shows both sides with their directness
    cell = next(c for c in data["cells"] if (c["mutation"], c["drug"]) == ("G1269A", "alectinib"))
    assert cell["conflicting"]
    sides = {s["class"]: s for s in cell["conflict"]}
    assert sides["resistant"]["evidence"] == "preclinical" and sides["sensitive"]["directness"] == "review"
    assert [i["ic50_nm"] for i in cell["ic50"]] == [84, 104]
    assert {s["source"] for s in cell["sources"]} >= {"PMID:25727400"}


def test_audit_counts_on_a_synthetic_matrix(synthetic_kb_dir):
    with open(synthetic_kb_dir / "sources" / "synthetic.tsv", "a") as handle:
        handle.write("PMID:2\tsecond synthetic source\tnot a real claim\t2011\t\t\n")
    with open(synthetic_kb_dir / "sensitivity.tsv", "a") as handle:
        handle.write("G1269A\talectinib\tsensitive\t\t\t\treview table\treview\tPMID:2\tTable 2\t"
                     "review\t\n"
                     "G1202R\tlorlatinib\tsensitive\t49.9\t10\t4.99\tBa/F3 v1\tpreclinical\tPMID:2\t"
                     "Fig 1\tprimary\t\n")
    data = audit(load_knowledge(str(synthetic_kb_dir)))
    _validate(data)
    summary = data["summary"]
    assert summary["cells"] == 23 and summary["rows"] == 25
    assert summary["cells_conflicting"] == 1 and summary["cells_conflicting_unacknowledged"] == 1
    assert summary["cells_with_ic50"] == 3 and summary["ic50_values"] == 3
    assert summary["cells_with_primary_or_clinical"] == 1
    assert summary["cells_by_best_directness"] == {"curated_summary": 22, "primary": 1}
    assert summary["sources_by_year"] == [{"year": 2026, "sources": 1}, {"year": 2011, "sources": 1}]
    g1202r = next(c for c in data["cells"] if (c["mutation"], c["drug"]) == ("G1202R", "lorlatinib"))
    assert g1202r["best_directness"] == "primary" and g1202r["ic50"][0]["fold_vs_wt"] == 4.99

    tsv = render_tsv(data).splitlines()
    header = next(i for i, line in enumerate(tsv) if not line.startswith("#"))
    columns = tsv[header].split("\t")
    body = [dict(zip(columns, line.split("\t"))) for line in tsv[header + 1:]]
    assert len(body) == 23 and all(len(line.split("\t")) == len(columns) for line in tsv[header + 1:])
    row = next(r for r in body if (r["mutation"], r["drug"]) == ("G1269A", "alectinib"))
    assert row["conflicting"] == "yes" and row["acknowledged"] == ""
    assert "intermediate (preclinical" in row["conflict"] and "sensitive (review" in row["conflict"]
    assert "# cells_conflicting\t1" in tsv


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.external, self.conflict_rows = 0, [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows += 1
            self.conflict_rows += "conflict" in (attrs.get("class") or "")
        if tag in ("script", "link", "img") and (attrs.get("src") or attrs.get("href")):
            self.external.append(tag)


def test_html_audit_is_one_self_contained_page(tmp_path):
    out = tmp_path / "audit.html"
    result = run_cli("kb", "audit", "-o", out)  # format from the suffix
    assert result.returncode == 0 and result.stdout == "", result.stderr
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "G1269A" in text
    parser = _Cells()
    parser.feed(text)
    assert parser.external == []
    # each conflicting cell is listed twice: in the Conflicts section and in the full table
    assert parser.conflict_rows == 2 * json.loads(
        run_cli("kb", "coverage", "--format", "json").stdout)["cells_conflicting"]
    # markup in a note or source can never break the page
    data = audit(load_knowledge())
    data["cells"][0]["mutation"] = "<script>alert(1)</script>"
    assert "<script>alert" not in render_html(data)


def test_audit_with_an_overlay_and_bad_paths(tmp_path, synthetic_kb_dir):
    result = run_cli("kb", "audit", "--format", "tsv", "-o", tmp_path / "a.tsv")
    assert result.returncode == 0 and (tmp_path / "a.tsv").read_text().count("\n") > 100
    result = run_cli("kb", "audit", "-o", tmp_path / "missing" / "a.tsv")
    assert result.returncode == 6 and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sensitivity.tsv").write_text(
        "mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\tlocator\t"
        "directness\tnote\nG1202R\tensartinib\tresistant\t\t\t\tBa/F3 (test)\tpreclinical\t"
        "PMID:25727400\tTest\tcurated_summary\t\n")
    data = json.loads(run_cli("kb", "audit", "--format", "json", "--knowledge", overlay).stdout)
    assert any((c["mutation"], c["drug"]) == ("G1202R", "ensartinib") for c in data["cells"])
