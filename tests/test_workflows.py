"""The workflow examples: Snakemake runs for real; the Nextflow module is checked statically
(Nextflow is not installed here; the test runs `nextflow` only when it is on PATH)."""
import csv
import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

SNAKEMAKE_DIR = ROOT / "examples" / "snakemake"
MODULE_DIR = ROOT / "examples" / "nextflow" / "modules" / "alkseq" / "annotate"


def _snakemake() -> list[str] | None:
    exe = shutil.which("snakemake")
    if exe:
        return [exe]
    try:
        import snakemake  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "snakemake"]


@pytest.mark.skipif(_snakemake() is None, reason="snakemake is not installed")
def test_snakemake_workflow_runs_one_job_per_sample_and_merges(tmp_path):
    work = tmp_path / "work"
    command = _snakemake() + ["--cores", "1", "-s", str(SNAKEMAKE_DIR / "Snakefile"),
                              "--directory", str(work),
                              "--config", f"alkseq={sys.executable} -m alkseq"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    samples = [row["sample"] for row in csv.DictReader(open(SNAKEMAKE_DIR / "samples.csv"))]
    for sample in samples:
        report = json.loads((work / "results" / f"{sample}.alkseq.json").read_text())
        assert report["schema"] == "alkseq-report/1.0"
    rows = list(csv.DictReader(open(work / "results" / "cohort.tsv"), delimiter="\t"))
    assert [r["sample"] for r in rows] == samples
    by_sample = {r["sample"]: r for r in rows}
    assert by_sample["post_alectinib_g1202r"]["candidate_1"] == "Lorlatinib"
    assert by_sample["post_lorlatinib_met_amp"]["mechanism_class"] == "bypass"
    assert by_sample["no_mechanism_post_lorlatinib"]["mechanism_class"] == "none_found"

    # the same samplesheet through `alkseq batch` agrees on the shared columns
    batch = subprocess.run([sys.executable, "-m", "alkseq", "batch", str(SNAKEMAKE_DIR / "samples.csv")],
                           capture_output=True, text=True, timeout=300)
    assert batch.returncode == 0, batch.stderr
    batch_rows = {r["sample"]: r for r in csv.DictReader(batch.stdout.splitlines())}
    for sample, row in by_sample.items():
        for column in ("mechanism_class", "candidate_1", "candidate_1_evidence", "key_alterations"):
            assert batch_rows[sample][column] == row[column], (sample, column)

    # a second run has nothing to do
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_nextflow_module_files_agree():
    main = (MODULE_DIR / "main.nf").read_text()
    meta = yaml.safe_load((MODULE_DIR / "meta.yml").read_text())
    assert re.search(r"^process ALKSEQ_ANNOTATE \{", main, re.M)
    assert meta["name"] == "alkseq_annotate"
    inputs = [next(iter(item)) for item in meta["input"][0]]
    assert inputs == ["meta", "input", "bam", "bai"]
    assert "tuple val(meta), path(input), path(bam), path(bai)" in main
    for channel in meta["output"]:
        name = next(iter(channel))
        assert f"emit: {name}" in main
    assert "versions.yml" in main and "--format json" in main
    assert yaml.safe_load((MODULE_DIR / "environment.yml").read_text())["dependencies"]
    readme = (ROOT / "examples" / "nextflow" / "README.md").read_text()
    assert "Nextflow is not installed" in readme


@pytest.mark.skipif(shutil.which("nextflow") is None,
                    reason="Nextflow is not installed in this environment (see examples/nextflow/README.md)")
def test_nextflow_pipeline_runs(tmp_path):
    result = subprocess.run(["nextflow", "run", str(ROOT / "examples" / "nextflow" / "main.nf"),
                             "--samplesheet", str(SNAKEMAKE_DIR / "samples.csv"),
                             "--outdir", str(tmp_path / "results")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list((tmp_path / "results").glob("*.alkseq.json"))) == 4
