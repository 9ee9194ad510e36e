"""The command line as a user runs it: real processes, exit codes, stderr, files."""
import json

import pytest

from conftest import ROOT, run_cli


def test_version_and_help_are_fast_paths():
    result = run_cli("--version")
    assert result.returncode == 0
    assert "alkseq 0.1.0" in result.stdout and "knowledge base" in result.stdout
    result = run_cli("--help")
    assert result.returncode == 0 and "annotate" in result.stdout and "lookup" in result.stdout


def test_help_does_not_import_heavy_libraries():
    import subprocess
    import sys
    code = ("import sys; from alkseq import cli; "
            "import click.testing; click.testing.CliRunner().invoke(cli.cli, ['--help']); "
            "print(sorted(m for m in ('pandas','cyvcf2','pysam','jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("spelling", ["G1202R", "p.G1202R", "p.Gly1202Arg", "ALK:p.(Gly1202Arg)"])
def test_lookup_accepts_spellings(spelling):
    result = run_cli("lookup", spelling, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["samples"][0]
    lorlatinib = next(m for m in data["matrix"] if m["drug"] == "lorlatinib")
    alectinib = next(m for m in data["matrix"] if m["drug"] == "alectinib")
    assert lorlatinib["class"] == "sensitive" and alectinib["class"] == "resistant"
    assert alectinib["ic50_nm"] and alectinib["sources"]
    assert data["candidates"][0]["drugs"] == ["lorlatinib"]


def test_lookup_compound_is_cis():
    result = run_cli("lookup", "C1156Y+L1198F", "--prior", "crizotinib", "--prior", "lorlatinib",
                     "--format", "json")
    data = json.loads(result.stdout)["samples"][0]
    assert data["compounds"][0]["phase"] == "cis"
    crizotinib = next(c for c in data["candidates"] if c["drugs"] == ["crizotinib"])
    assert "re-sensitise" in crizotinib["rationale"]
    assert any(n["drugs"] == ["lorlatinib"] for n in data["not_recommended"])


@pytest.mark.parametrize("args,code,message", [
    (["lookup", "G1202"], 3, "not a protein change"),
    (["lookup", "A1202R"], 3, "residue 1202 of ALK is Gly"),
    (["lookup", "G1202R", "--prior", "lorlatnib"], 2, "did you mean lorlatinib"),
    (["annotate", "does/not/exist.vcf"], 3, "no such file"),
    (["annotate", "examples/post_lorlatinib_compound/panel.tsv", "--progression", "sometimes"], 2,
     "Invalid value"),
])
def test_errors_are_one_line_without_traceback(args, code, message):
    result = run_cli(*args, cwd=ROOT)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    # alkseq's own errors are one line; click's usage errors add its usual usage/help lines
    assert len(result.stderr.strip().splitlines()) == 1 or result.stderr.startswith("Usage:")


def test_bad_row_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\talteration\nALK\tG1202R\nALK\tnonsense here\n")
    result = run_cli("annotate", bad)
    assert result.returncode == 3
    assert f"{bad}:3:" in result.stderr and "Traceback" not in result.stderr


def test_output_file_is_atomic_and_never_overwrites_input(tmp_path):
    panel = tmp_path / "p.tsv"
    panel.write_text("gene\talteration\nMET\tamplification\n")
    out = tmp_path / "out.json"
    result = run_cli("annotate", panel, "--prior", "lorlatinib", "--format", "json", "-o", out)
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text())["samples"][0]["mechanism_class"] == "bypass"
    assert not list(tmp_path.glob("*.part"))
    result = run_cli("annotate", panel, "-o", panel)
    assert result.returncode == 6 and "refusing to overwrite an input" in result.stderr
    assert panel.read_text().startswith("gene")
    # a failing run leaves an existing output untouched
    before = out.read_text()
    result = run_cli("annotate", tmp_path / "missing.tsv", "-o", out)
    assert result.returncode == 3 and out.read_text() == before


def test_tsv_output_neutralises_formula_cells(tmp_path):
    panel = tmp_path / "p.tsv"
    panel.write_text("sample\tgene\talteration\n=HYPERLINK(1)\tMET\tamplification\n")
    result = run_cli("annotate", panel, "--format", "tsv")
    assert result.returncode == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0][0] == "sample"
    assert all(r[0] == "'=HYPERLINK(1)" for r in rows[1:])


def test_kb_validate_ok_and_broken(tmp_path):
    result = run_cli("kb", "validate")
    assert result.returncode == 0 and "OK" in result.stdout
    from conftest import write_synthetic_kb
    kb = write_synthetic_kb(tmp_path / "kb")
    (kb / "drugs.tsv").write_text((kb / "drugs.tsv").read_text().replace("\tapproved\t", "\tmaybe\t", 1))
    result = run_cli("kb", "validate", "--path", kb)
    assert result.returncode == 5
    assert "drugs.tsv:2 [alk_status]: 'maybe'" in result.stderr


def test_kb_drugs_lists_synonyms():
    result = run_cli("kb", "drugs")
    assert result.returncode == 0 and "PF-06463922" in result.stdout
