"""The workflow examples as shipped.

* Snakemake runs for real, end to end, on examples/samplesheet.csv (every column used), with
  alkseq reachable only as an executable: the Snakefile never imports alkseq.
* Nextflow cannot be installed on these machines, so the module is checked with what runs:
  nf-core's own main.nf lint (nf-core tools, pip), its parse of inputs/outputs/topics compared
  with meta.yml, YAML parses of meta.yml/environment.yml, and the module's script block
  rendered for one sample and run with bash (the one `alkseq annotate` call it makes).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from conftest import ROOT

EXAMPLES = ROOT / "examples"
SNAKEMAKE_DIR = EXAMPLES / "snakemake"
SHEET = EXAMPLES / "samplesheet.csv"
NEXTFLOW_DIR = EXAMPLES / "nextflow"
MODULE_DIR = NEXTFLOW_DIR / "modules" / "alkseq" / "annotate"
COLUMNS = ("sample", "path", "bam", "prior", "histology", "progression", "build", "specimen",
           "input_sample")


def _sheet_rows():
    return list(csv.DictReader(SHEET.open()))


def _wrapper(tmp_path):
    """An `alkseq` executable that runs this checkout, whatever PYTHONPATH the caller has."""
    exe = tmp_path / "bin" / "alkseq"
    exe.parent.mkdir()
    exe.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m alkseq \"$@\"\n")
    exe.chmod(0o755)
    return exe


# --------------------------------------------------------------------------- Snakemake

def test_samplesheet_uses_every_column_and_the_snakefile_reads_each():
    header = SHEET.read_text().splitlines()[0].split(",")
    assert tuple(header) == COLUMNS
    rows = _sheet_rows()
    for column in COLUMNS:
        assert any(r[column] for r in rows), f"no example row fills {column}"
    snakefile = (SNAKEMAKE_DIR / "Snakefile").read_text()
    code = "\n".join(line for line in snakefile.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"^\s*(import|from)\s+alkseq", code, re.M)
    assert not re.search(r"^\s*run:", code, re.M)
    for column in COLUMNS:
        assert f'"{column}"' in code, column


def test_snakemake_workflow_runs_one_job_per_sample_and_merges(tmp_path):
    snakemake = shutil.which("snakemake")
    assert snakemake, "snakemake is in the test extras"
    # a PYTHONPATH whose `alkseq` cannot be imported: the workflow must only call the executable
    poison = tmp_path / "poison" / "alkseq"
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('the Snakefile must not import alkseq')\n")
    env = {**os.environ, "PYTHONPATH": str(poison.parent)}
    work = tmp_path / "work"
    command = [snakemake, "--cores", "2", "-s", str(SNAKEMAKE_DIR / "Snakefile"),
               "--directory", str(work), "--config", f"alkseq={_wrapper(tmp_path)}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    samples = [row["sample"] for row in _sheet_rows()]
    results = work / "results"
    for sample in samples:
        document = json.loads((results / "samples" / f"{sample}.alkseq.json").read_text())
        assert document["schema"] == "alkseq-report/2.0"
        assert [s["sample"] for s in document["samples"]] == [sample]
        assert (results / "samples" / f"{sample}.alkseq.html").read_text().startswith("<!")

    # the cohort table is `alkseq batch`'s, row for row and column for column
    batch = subprocess.run([sys.executable, "-m", "alkseq", "batch", str(SHEET),
                            "--summary", str(tmp_path / "summary.tsv")],
                           capture_output=True, text=True, timeout=600, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert batch.returncode == 0, batch.stderr
    assert (results / "cohort.csv").read_text() == batch.stdout
    assert (results / "summary.tsv").read_text() == (tmp_path / "summary.tsv").read_text()
    rows = {r["sample"]: r for r in csv.DictReader(io.StringIO(batch.stdout))}
    assert rows["PT001"]["candidate_1"] == "Lorlatinib"
    assert rows["PT003"]["mechanism_class"] == "bypass"
    assert rows["PT005"]["mechanism_class"] == "transformation"       # histology column
    assert rows["PT101"]["key_alterations"] != rows["PT102"]["key_alterations"]  # input_sample
    assert "cis" in rows["PT002"]["compounds"]                        # bam column: phased
    assert sorted(p.name for p in (results / "multiqc").glob("*_mqc.*")) == [
        "alkseq_mechanisms_mqc.yaml", "alkseq_samples_mqc.tsv"]
    cohort = json.loads((results / "cohort.json").read_text())
    assert cohort["kind"] == "merge" and [s["sample"] for s in cohort["samples"]] == samples

    # a second run has nothing to do
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


# --------------------------------------------------------------------------- Nextflow (linted)

def _component():
    from nf_core.components.nfcore_component import NFCoreComponent

    component = NFCoreComponent("alkseq/annotate", None, MODULE_DIR, "pipeline", NEXTFLOW_DIR,
                                "modules", remote_component=False)
    # nf-core asks `nextflow inspect` for the container; with no Nextflow here, give it the
    # plain container string main.nf declares (what inspect returns for such a string)
    declared = re.search(r'^\s*container\s+"([^"$]+)"', component.main_nf.read_text(), re.M)
    assert declared, "main.nf declares a plain container name"
    component.get_container_with_inspect = lambda profile=None: declared.group(1)
    return component


class _LintRun:
    passed: list = []
    warned: list = []
    failed: list = []


def test_nf_core_main_nf_lint_passes():
    from nf_core.modules.lint.main_nf import main_nf

    component = _component()
    component.get_inputs_from_main_nf()
    component.get_outputs_from_main_nf()
    component.get_topics_from_main_nf()
    main_nf(_LintRun(), component, False, ("docker.io",), None)
    assert component.failed == [], component.failed
    warnings = [w[1] for w in component.warned]
    # the one warning is the legacy versions.yml kept beside `topic: versions` on purpose
    assert warnings == ["main_nf_version_emit"], component.warned
    passed = {p[1] for p in component.passed}
    assert {"main_nf_input_tuple", "wrong_version_output", "meta_input_names",
            "main_nf_script_outputs"} <= passed


def test_meta_yml_agrees_with_what_nf_core_parses_from_main_nf():
    component = _component()
    component.get_inputs_from_main_nf()
    component.get_outputs_from_main_nf()
    component.get_topics_from_main_nf()
    meta = yaml.safe_load((MODULE_DIR / "meta.yml").read_text())
    assert meta["name"] == "alkseq_annotate" and component.process_name == "ALKSEQ_ANNOTATE"
    assert set(meta) >= {"name", "description", "keywords", "authors", "output", "tools"}
    assert len(meta["keywords"]) >= 3
    for tool in meta["tools"]:
        (details,) = tool.values()
        assert details["description"] and details["licence"] and details.get("doi")

    def names(elements):
        return [next(iter(e)).strip("'\"") for e in elements]

    assert [names(channel) for channel in meta["input"]] == \
        [names(channel) for channel in component.inputs] == [["meta", "input", "bam", "bai"]]
    assert list(meta["output"]) == list(component.outputs)
    for name, elements in component.outputs.items():
        declared = meta["output"][name]
        parsed = elements if isinstance(elements[0], list) else [elements]
        declared = declared if isinstance(declared[0], list) else [declared]
        assert [names(e) for e in declared] == [names(e) for e in parsed], name
        for element in (e for group in declared for e in group):
            (spec,) = element.values()
            assert spec["type"] in ("map", "file", "string", "eval") and spec["description"]
    assert list(meta["topics"]) == list(component.topics) == ["versions"]
    assert [names(e) for e in meta["topics"]["versions"]] == \
        [names(e) for e in component.topics["versions"]]


def test_environment_and_container_install_alkseq_from_this_repository():
    env = yaml.safe_load((MODULE_DIR / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert (MODULE_DIR / pip[0]).resolve() == ROOT          # pip installs this checkout
    assert (ROOT / "pyproject.toml").is_file()
    dockerfile = (NEXTFLOW_DIR / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for name in copied.split():
            assert (ROOT / name).exists(), name
    assert "pip install --no-cache-dir ." in dockerfile
    main = (MODULE_DIR / "main.nf").read_text()
    assert 'conda "${moduleDir}/environment.yml"' in main and 'container "alkseq:0.1.0"' in main
    assert "-t alkseq:0.1.0" in dockerfile
    assert main.count("alkseq annotate") == 1                # one call writes every output
    readme = (NEXTFLOW_DIR / "README.md").read_text()
    assert "not installed" in readme and "nf-core" in readme
    test = (MODULE_DIR / "tests" / "main.nf.test").read_text()
    assert 'process "ALKSEQ_ANNOTATE"' in test and 'options "-stub"' in test
    for relative in re.findall(r'file\("\$\{moduleDir\}/([^"]+)"', test):
        assert (MODULE_DIR / relative).resolve().is_file(), relative


def _render_script(block: str, values: dict[str, str]) -> str:
    """The module's script/stub GString as bash: ${name} from ``values``, Groovy escapes undone,
    common indentation stripped (as Nextflow does)."""
    def substitute(match):
        name = match.group(1)
        assert name in values, f"${{{name}}} in the script block is not a variable the module defines"
        return values[name]

    text = re.sub(r"(?<!\\)\$\{([^}]+)\}", substitute, block)
    return textwrap.dedent(text.replace("\\$", "$").replace("\\\\", "\\"))


def _block(main: str, label: str) -> str:
    start = main.index(f"    {label}:\n")
    body = main[main.index('"""', start) + 3:]
    return body[:body.index('"""')]


@pytest.mark.parametrize("stub", [False, True], ids=["script", "stub"])
def test_module_script_block_runs_with_bash(tmp_path, stub):
    main = (MODULE_DIR / "main.nf").read_text()
    vcf = EXAMPLES / "post_alectinib_g1202r" / "tumor.vcf"
    work = tmp_path / "task"
    work.mkdir()
    (work / "tumor.vcf").symlink_to(vcf)                     # Nextflow stages inputs by name
    # what alkseq_args.config builds from meta = [id: 'PT001', prior: [...], progression: ...]
    args = "--prior 'crizotinib' --prior 'alectinib' --progression 'systemic'"
    values = {"input": "tumor.vcf", "meta.id": "PT001", "prefix": "PT001", "reads": "",
              "args": args, "vcf_out": "-o PT001.alkseq.vcf.gz", "task.process": "ALKSEQ_ANNOTATE",
              "vcf_stub": "echo '' | gzip > PT001.alkseq.vcf.gz && touch PT001.alkseq.vcf.gz.tbi"}
    block = _block(main, "stub" if stub else "script")
    script = _render_script(block, values)
    env = {**os.environ, "PATH": f"{_wrapper(tmp_path).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    outputs = sorted(p.name for p in work.iterdir() if p.name != "tumor.vcf")
    assert outputs == ["PT001.alkseq.html", "PT001.alkseq.json", "PT001.alkseq.vcf.gz",
                       "PT001.alkseq.vcf.gz.tbi", "versions.yml"]
    versions = yaml.safe_load((work / "versions.yml").read_text())
    assert versions == {"ALKSEQ_ANNOTATE": {"alkseq": __import__("alkseq").__version__}}
    document = json.loads((work / "PT001.alkseq.json").read_text())
    assert document["schema"] == "alkseq-report/2.0"
    if not stub:
        (sample,) = document["samples"]
        assert sample["sample"] == "PT001" and sample["candidates"][0]["therapy"] == "Lorlatinib"
        assert sample["context"]["prior_therapies"] == ["crizotinib", "alectinib"]
        # the versions topic's eval expression gives the same version
        (eval_expr,) = re.findall(r'eval\("(.+?)"\)', main)
        version = subprocess.run(["bash", "-c", eval_expr.replace("\\\\", "\\")], env=env,
                                 capture_output=True, text=True).stdout.strip()
        assert version == versions["ALKSEQ_ANNOTATE"]["alkseq"]
