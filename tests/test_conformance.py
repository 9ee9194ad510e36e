"""Every VCF in ../shared/vcf (hts-specs 4.1–4.5 conformance files, htslib and PyVCF edge cases, caller
VCFs) through alkseq: valid files are read; files meant to fail are read or rejected with one line;
never a traceback, never a hang. Skips cleanly when ../shared is absent.

The hts-specs files carry their verdict in ``conformance_index.tsv``. alkseq checks the header in
full but parses only records inside the genes it knows, so an invalid record elsewhere in a file
is skipped unread: for those files "read" is a correct outcome too.
"""
from __future__ import annotations

import csv
import functools
import signal
from pathlib import Path

import pytest

from conftest import run_cli

SHARED_VCF = Path(__file__).resolve().parents[2] / "shared" / "vcf"
# Files outside the hts-specs index that are not valid VCF on purpose (PyVCF's whitespace-separated tests).
KNOWN_INVALID = {"example-4.1-bnd.vcf", "example-4.2.vcf", "issue_49.vcf", "metadata-whitespace.vcf"}
TIMEOUT_S = 20


def vcf_files() -> list[Path]:
    if not SHARED_VCF.is_dir():
        return []
    return sorted(p for p in SHARED_VCF.rglob("*") if p.is_file() and p.name.endswith((".vcf", ".vcf.gz", ".bcf")))


@functools.lru_cache(maxsize=1)
def expected_status() -> dict[str, str]:
    """relative path → 'valid' | 'invalid' (hts-specs: its index; outside/: what bcftools reads)."""
    verdict: dict[tuple[str, str], str] = {}
    index = SHARED_VCF / "conformance_index.tsv"
    if index.is_file():
        with open(index, newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                verdict[(row["version"], row["file"])] = "valid" if row["status"] == "passed" else "invalid"
    out = {}
    files = vcf_files()
    bcftools_reads = _bcftools_reads([p for p in files if p.relative_to(SHARED_VCF).parts[0] == "outside"])
    for path in files:
        rel = path.relative_to(SHARED_VCF)
        if rel.parts[0] == "hts-specs_test_vcf" and len(rel.parts) >= 3:
            status = verdict.get((rel.parts[1], path.name))
            if status is None:
                status = "valid" if rel.parts[2] == "passed" else "invalid"
        elif rel.parts[0] == "outside":
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
        result = subprocess.run([bcftools, "view", "--no-version", str(path)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=60)
        return result.returncode == 0

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(paths, pool.map(reads, paths)))


def _samples(path: Path) -> list[str]:
    import gzip

    if path.suffix == ".bcf":
        import pysam

        try:
            with pysam.VariantFile(str(path)) as bcf:
                return list(bcf.header.samples)
        except (ValueError, OSError):  # not a BCF htslib reads (an old BCF1, a damaged file)
            return []

    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    try:
        with opener(path, "rt", errors="replace") as handle:
            for line in handle:
                if line.startswith("#CHROM"):
                    return line.rstrip("\r\n").split("\t")[9:]
                if not line.startswith("#"):
                    break
    except (OSError, EOFError):
        pass
    return []


class _Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Timeout()


def annotate_one(path: Path) -> tuple[str, str]:
    """('read' | 'rejected' | 'traceback' | 'hang', detail) for one file, in-process."""
    from alkseq.api import annotate
    from alkseq.errors import AlkseqError
    from alkseq.readers import ReadOptions

    samples = _samples(path)
    options = ReadOptions(input_format="vcf", sample=samples[0] if len(samples) > 1 else None)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        reports = annotate(path, options=options)
        return "read", f"{len(reports)} report(s)"
    except _Timeout:
        return "hang", f"no answer in {TIMEOUT_S} s"
    except AlkseqError as exc:
        message = exc.one_line()
        if "\n" in message or not message:
            return "traceback", f"error message not one line: {message!r}"
        return "rejected", message
    except Exception as exc:  # anything else is a bug
        return "traceback", f"{type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_conformance_corpus():
    statuses = expected_status()
    if not statuses:
        pytest.skip("../shared/vcf not present")
    counts = {"valid read": 0, "valid rejected": 0, "invalid read": 0, "invalid rejected cleanly": 0,
              "tracebacks": 0, "hangs": 0}
    problems = []
    for rel, status in statuses.items():
        outcome, detail = annotate_one(SHARED_VCF / rel)
        if outcome in ("traceback", "hang"):
            counts["tracebacks" if outcome == "traceback" else "hangs"] += 1
            problems.append(f"{rel}: {outcome}: {detail}")
        elif status == "valid":
            counts["valid read" if outcome == "read" else "valid rejected"] += 1
            if outcome != "read":
                problems.append(f"{rel}: valid file rejected: {detail}")
        else:
            counts["invalid read" if outcome == "read" else "invalid rejected cleanly"] += 1
    print("\nconformance:", ", ".join(f"{k} {v}" for k, v in counts.items()), f"(of {len(statuses)} files)")
    assert counts["tracebacks"] == 0 and counts["hangs"] == 0, problems
    assert counts["valid rejected"] == 0, problems
    assert counts["valid read"] > 100


def test_conformance_cli_sample():
    """A spread of the corpus through the real CLI: exit 0/3/4, at most one stderr line, no traceback."""
    statuses = expected_status()
    if not statuses:
        pytest.skip("../shared/vcf not present")
    chosen = list(statuses)[::40] + [r for r in statuses if "failed_header" in r][:3]
    for rel in chosen:
        path = SHARED_VCF / rel
        samples = _samples(path)
        args = ["annotate", path, "--format", "json", "--input-format", "vcf"]
        if len(samples) > 1:
            args += ["--sample", samples[0]]
        result = run_cli(*args)
        assert "Traceback" not in result.stderr, rel
        assert result.returncode in (0, 3, 4), (rel, result.returncode, result.stderr)
        assert len(result.stderr.strip().splitlines()) <= 1, (rel, result.stderr)
        if statuses[rel] == "valid":
            assert result.returncode == 0, (rel, result.stderr)
