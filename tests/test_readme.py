"""The README's commands run as copied.

Every command of the "Using it" section's bash blocks (continuation lines joined) and its
Python block run, in order, in a scratch copy of examples/ (so outputs land there, never in
the repository), with `alkseq` on PATH as an executable of this checkout and the real
`bcftools` and `multiqc`. The quick start's `alkseq annotate …` (after its `pip install . &&`)
runs too; installing and the test suite itself are what CI's .ci/run does, so they are not
re-run here.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _commands(block: str) -> list[str]:
    commands, current = [], ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        commands.append((current + line).strip())
        current = ""
    return commands


USING_IT = [c for block in _blocks(_section("Using it"), "bash") for c in _commands(block)]
QUICK_START = [part.strip() for part in _commands(_blocks(README, "bash")[0])[0].split("&&")
               if part.strip().startswith("alkseq ")]


@pytest.fixture()
def workspace(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("expected"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "alkseq"
    exe.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m alkseq \"$@\"\n")
    exe.chmod(0o755)
    for tool in ("bcftools", "multiqc"):
        assert shutil.which(tool), f"{tool} is needed by the README (system tool / test extra)"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    return tmp_path, env


def test_the_readme_has_the_commands_it_promises():
    assert len(USING_IT) >= 15 and QUICK_START
    shipped = {p for c in USING_IT + QUICK_START for p in re.findall(r"examples/\S+", c)}
    for path in shipped:
        assert (ROOT / path).exists(), f"the README names {path}, which does not ship"


def test_every_readme_command_runs(workspace):
    cwd, env = workspace
    for command in QUICK_START + USING_IT:
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{command}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, command
        for target in re.findall(r"(?:^|\s)-o\s+(\S+)", command):
            assert (cwd / target).exists(), f"{command} did not write {target}"
    assert (cwd / "multiqc_report" / "multiqc_report.html").is_file()
    assert len(list((cwd / "json").glob("*.json"))) == 8
    assert not (ROOT / "out.json").exists() and not (ROOT / "cohort.csv").exists()


def test_the_readme_python_runs(workspace):
    cwd, env = workspace
    (block,) = _blocks(_section("Using it"), "python")
    result = subprocess.run([sys.executable, "-c", block], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<Report 'PT004_T': alk_dependent" in result.stdout
    assert "<Report 'PT9': bypass" in result.stdout
    assert "PT201" in result.stdout and "Traceback" not in result.stderr
