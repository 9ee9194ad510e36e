"""Every VCF in ../shared/vcf and every file of ../shared/vcf/outside through alkseq: a report or one
clean error, never a traceback, never a hang, never a refusal of a file bcftools reads, never a
"pass --sample" refusal (a multi-sample file gives one report per sample).

Verdicts: the hts-specs files carry theirs in ``conformance_index.tsv``; the outside material
(realworld/ with SOURCES.tsv, the EBI vcf-validator suites, the Oncomine and Manta files) is judged
by what ``bcftools view`` reads (its exit status, run here). alkseq checks the header in full but
parses only records inside the genes it knows, so an invalid record elsewhere in a file is skipped
unread: for files meant to fail, "read" is a correct outcome too.

The sweep runs in a small pool of forked worker processes (each reuses its imports and loaded
knowledge for hundreds of files); each file has its own alarm, so a hang is named, not waited on.
"""
from __future__ import annotations

import csv
import functools
import os
import signal
from pathlib import Path

import pytest

from conftest import SHARED, run_cli, shared_path

SHARED_VCF = SHARED / "vcf"
OUTSIDE = SHARED_VCF / "outside"
# Files outside the hts-specs index that are not valid VCF on purpose (PyVCF's whitespace-separated tests).
KNOWN_INVALID = {"example-4.1-bnd.vcf", "example-4.2.vcf", "issue_49.vcf", "metadata-whitespace.vcf"}
NOT_INPUTS = {"SOURCES.tsv", "LICENSE"}      # the outside folder's own provenance files
TIMEOUT_S = 30
WORKERS = max(1, min(4, os.cpu_count() or 1))


def corpus_files() -> list[Path]:
    """The VCF/BCF files of ../shared/vcf, and every file under outside/."""
    if not SHARED_VCF.is_dir():
        return []
    files = []
    for path in sorted(SHARED_VCF.rglob("*")):
        if not path.is_file() or path.name in NOT_INPUTS:
            continue
        if OUTSIDE in path.parents or path.name.endswith((".vcf", ".vcf.gz", ".bcf")):
            files.append(path)
    return files


def _require_shared() -> None:
    shared_path("vcf")          # skip on a developer clone without ../shared, fail under CI


@functools.lru_cache(maxsize=1)
def expected_status() -> dict[str, str]:
    """relative path → 'valid' | 'invalid' (hts-specs: its index; outside/: what bcftools reads)."""
    verdict: dict[tuple[str, str], str] = {}
    index = SHARED_VCF / "conformance_index.tsv"
    if index.is_file():
        with open(index, newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                verdict[(row["version"], row["file"])] = "valid" if row["status"] == "passed" else "invalid"
    files = corpus_files()
    bcftools_reads = _bcftools_reads([p for p in files if OUTSIDE in p.parents])
    out = {}
    for path in files:
        rel = path.relative_to(SHARED_VCF)
        if rel.parts[0] == "hts-specs_test_vcf" and len(rel.parts) >= 3:
            status = verdict.get((rel.parts[1], path.name))
            if status is None:
                status = "valid" if rel.parts[2] == "passed" else "invalid"
        elif OUTSIDE in path.parents:
            status = "valid" if bcftools_reads[path] else "invalid"
        else:
            status = "invalid" if path.name in KNOWN_INVALID else "valid"
        out[str(rel)] = status
    return out


def _bcftools_reads(paths: list[Path]) -> dict[Path, bool]:
    """Whether ``bcftools view`` reads each file (exit 0): the oracle for the outside material."""
    import shutil
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    bcftools = shutil.which("bcftools")
    if bcftools is None:
        raise RuntimeError("bcftools not on PATH: the outside sweep compares with it")

    def reads(path: Path) -> bool:
        try:
            result = subprocess.run([bcftools, "view", "--no-version", str(path)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=120)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    with ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(paths, pool.map(reads, paths)))


class _Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Timeout()


def annotate_one(rel: str) -> tuple[str, str, str]:
    """(rel, 'read' | 'rejected' | 'traceback' | 'hang', detail) for one file, in this process.

    The outside material is sniffed as a user's file would be; the VCF folders are read as VCF."""
    from alkseq.api import annotate
    from alkseq.errors import AlkseqError
    from alkseq.readers import ReadOptions

    path = SHARED_VCF / rel
    options = ReadOptions(input_format=None if rel.startswith("outside") else "vcf")
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        reports = annotate(path, options=options)
        return rel, "read", f"{len(reports)} report(s)"
    except _Timeout:
        return rel, "hang", f"no answer in {TIMEOUT_S} s"
    except AlkseqError as exc:
        message = exc.one_line()
        if "\n" in message or not message:
            return rel, "traceback", f"error message not one line: {message!r}"
        return rel, "rejected", message
    except Exception as exc:  # anything else is a bug
        return rel, "traceback", f"{type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _sweep(rels: list[str]) -> list[tuple[str, str, str]]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, maxtasksperchild=400) as pool:
        return pool.map(annotate_one, rels, chunksize=8)


def test_conformance_corpus():
    _require_shared()
    statuses = expected_status()
    counts = {"valid read": 0, "valid rejected": 0, "invalid read": 0, "invalid rejected cleanly": 0,
              "tracebacks": 0, "hangs": 0, "--sample refusals": 0}
    problems = []
    for rel, outcome, detail in _sweep(list(statuses)):
        status = statuses[rel]
        if outcome in ("traceback", "hang"):
            counts["tracebacks" if outcome == "traceback" else "hangs"] += 1
            problems.append(f"{rel}: {outcome}: {detail}")
            continue
        if outcome == "rejected" and ("--sample" in detail or "tell the tumour" in detail):
            counts["--sample refusals"] += 1
            problems.append(f"{rel}: refused for want of --sample: {detail}")
        if status == "valid":
            counts["valid read" if outcome == "read" else "valid rejected"] += 1
            if outcome != "read":
                problems.append(f"{rel}: rejected, though {'bcftools reads it' if rel.startswith('outside') else 'valid'}"
                                f": {detail}")
        else:
            counts["invalid read" if outcome == "read" else "invalid rejected cleanly"] += 1
    print("\nconformance:", ", ".join(f"{k} {v}" for k, v in counts.items()), f"(of {len(statuses)} files)")
    assert not problems, "\n".join(problems[:40])
    assert counts["valid read"] > 1000
    assert sum(1 for rel in statuses if rel.startswith("outside")) > 1500     # the whole outside folder swept


def test_conformance_cli_sample():
    """A spread of the corpus through the real CLI, no --sample: exit 0/3/4, one stderr line, no traceback."""
    _require_shared()
    statuses = expected_status()
    chosen = list(statuses)[::150] + [r for r in statuses if "failed_header" in r][:3] + \
        [r for r in statuses if r.startswith("outside/") and "/" not in r[len("outside/"):]]
    for rel in chosen:
        path = SHARED_VCF / rel
        args = ["annotate", path, "--format", "json"]
        if not rel.startswith("outside"):
            args += ["--input-format", "vcf"]
        result = run_cli(*args)
        assert "Traceback" not in result.stderr, rel
        assert result.returncode in (0, 3, 4), (rel, result.returncode, result.stderr)
        assert len(result.stderr.strip().splitlines()) <= 1, (rel, result.stderr)
        if statuses[rel] == "valid":
            assert result.returncode == 0, (rel, result.stderr)


def test_real_manta_and_oncomine_files():
    """The two real files of the outside folder: the Manta EML4-ALK v1 pair is found; the Oncomine
    sample (no ALK fusion, no MET amplification) reads with neither."""
    _require_shared()
    from alkseq.readers import read_input

    manta = read_input(OUTSIDE / "manta_somaticSV_NSLC-0463_EML4-ALK_GRCh38.vcf")
    # its reconstructed header names no tumour: a report per sample, the breakend pair in each
    assert [s.sample for s in manta] == ["2452", "NSLC-AJGA-TTP1-A-1-1-D-A79F-36"]
    assert all(any(a.kind == "fusion" and a.gene == "ALK" for a in s.alterations) for s in manta)
    oncomine = read_input(OUTSIDE / "oncomine_MSN10850.vcf.gz")
    assert oncomine and not any(a.kind == "fusion" and a.gene == "ALK" for s in oncomine for a in s.alterations)
    assert not any(a.gene == "MET" and a.kind == "amplification" for s in oncomine for a in s.alterations)
