"""alkseq end to end through the CLI against bcftools / cyvcf2 / pysam anchors, measured in the same run.

Every alkseq figure is ``alkseq annotate FILE --format json`` as a fresh process (interpreter start,
imports, knowledge loading, reading, interpretation, JSON), the way a user or a pipeline runs it.
Prints medians, the ratio to each job's anchor next to the target, and peak RSS (per child, os.wait4).

    python benchmarks/run.py --quick     # about a minute: panel, exome, --help, batch of 300
    python benchmarks/run.py             # full: 5M-record genome (indexed, .vcf.gz, .vcf), memory 1M vs 5M,
                                         # batch of 1,000 panel VCFs with 2 workers

Files come from benchmarks/generate.py (made on first use). Timings use hyperfine when it is
installed, else Python's perf_counter over the same number of runs. alkseq's own modules are
byte-compiled first (as ``pip install`` does), because this environment sets PYTHONDONTWRITEBYTECODE.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import generate  # noqa: E402

PY = sys.executable
PEAKS: list[float] = []   # peak RSS (MB) of every alkseq run measured, for the summary line


def alkseq_command() -> list[str]:
    script = Path(PY).parent / "alkseq"
    if script.is_file():
        return [str(script)]
    return [PY, "-m", "alkseq"]


def regions(build: str = "GRCh38") -> str:
    """The gene intervals alkseq reads, merged, as a bcftools region list (what alkseq queries)."""
    from alkseq.readers.vcf import _merged, _spans_by_chrom

    merged = _merged({k: v for k, v in _spans_by_chrom((build,)).items() if k.startswith("chr")})
    return ",".join(f"{chrom}:{s}-{e}" for chrom in sorted(merged) for s, e in merged[chrom])


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory of one run of ``command`` (the child alone, from wait4)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    PEAKS.append(usage.ru_maxrss / 1024)
    return usage.ru_maxrss / 1024


def median_seconds(command: list[str], runs: int, shell: bool = False) -> float:
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            text = command if shell else " ".join(_quote(c) for c in command)
            subprocess.run(["hyperfine", "-N" if not shell else "--shell=bash", "--warmup", "1", "--runs", str(runs),
                            "--export-json", out.name, "--output", "null", text],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return statistics.median(json.load(open(out.name))["results"][0]["times"])
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def _quote(text: str) -> str:
    return text if all(c.isalnum() or c in "-_./:,=" for c in text) else "'" + text.replace("'", "'\\''") + "'"


def row(job: str, ours: float, anchor_name: str, anchor: float, target: float | None, rss: float | None = None):
    ratio = ours / anchor if anchor else float("nan")
    verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
    target_text = f"≤ {target:g}×" if target is not None else ""
    rss_text = f"{rss:6.0f} MB" if rss is not None else ""
    print(f"{job:<44} {ours * 1000:9.0f} ms | {anchor_name:<36} {anchor * 1000:9.0f} ms | "
          f"{ratio:5.2f}× {target_text:<6} {verdict:<6} | {rss_text}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small files only, 2 runs (under a minute)")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "alkseq")], check=True, stdout=subprocess.DEVNULL)
    names = ["panel_2k", "exome_100k"] + ([] if args.quick else ["genome_1M", "genome_5M"])
    files = generate.generate(names)
    alkseq = alkseq_command()
    region_list = regions()
    have_bcftools = shutil.which("bcftools") is not None
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores · hyperfine: "
          f"{'yes' if shutil.which('hyperfine') else 'no'} · {runs} runs · medians", flush=True)
    print(f"{'job':<44} {'alkseq':>12} | {'anchor':<36} {'':>12} | ratio target", flush=True)

    # start-up
    help_ours = median_seconds(alkseq + ["--help"], runs)
    row("alkseq --help", help_ours, "python -c 'import click'", median_seconds([PY, "-c", "import click"], runs), 1.5,
        peak_rss_mb(alkseq + ["--help"]))

    # panel (2k records, indexed .vcf.gz)
    panel = files["panel_2k"].with_name("panel_2k.vcf.gz")
    command = alkseq + ["annotate", str(panel), "--format", "json"]
    row("panel 2k .vcf.gz", median_seconds(command, runs), "python -c 'import cyvcf2, click'",
        median_seconds([PY, "-c", "import cyvcf2, click"], runs), 2.0, peak_rss_mb(command))

    with tempfile.TemporaryDirectory() as scratch:
        for name in names[1:]:
            gz = files[name].with_name(f"{name}.vcf.gz")
            bare = Path(scratch) / f"{name}.vcf.gz"           # the same bytes without its index
            os.symlink(gz, bare)
            indexed_cmd = alkseq + ["annotate", str(gz), "--format", "json"]
            # the ratio targets are set on the 5M genome; on smaller files the same rows
            # show how fixed start-up (interpreter, imports) weighs against bcftools' ~45 ms
            genome = name == "genome_5M"
            if have_bcftools:
                row(f"{name} indexed", median_seconds(indexed_cmd, runs), "bcftools view -H -r REGIONS",
                    median_seconds(["bcftools", "view", "-H", "-r", region_list, str(gz)], runs),
                    3.0 if genome else None, peak_rss_mb(indexed_cmd))
            runs_big = max(3, runs // 2) if name == "genome_5M" else runs
            stream_cmd = alkseq + ["annotate", str(bare), "--format", "json"]
            plain_cmd = alkseq + ["annotate", str(files[name]), "--format", "json"]
            if have_bcftools:
                anchor = median_seconds(["bcftools", "view", "-H", "-t", region_list, str(bare)], runs_big)
                row(f"{name} unindexed .vcf.gz", median_seconds(stream_cmd, runs_big),
                    "bcftools view -H -t REGIONS .vcf.gz", anchor, 1.0 if genome else None,
                    peak_rss_mb(stream_cmd))
                anchor_plain = median_seconds(["bcftools", "view", "-H", "-t", region_list, str(files[name])],
                                              runs_big)
                row(f"{name} plain .vcf", median_seconds(plain_cmd, runs_big),
                    "bcftools view -H -t REGIONS .vcf", anchor_plain, 1.0 if genome else None,
                    peak_rss_mb(plain_cmd))
            if shutil.which("bgzip"):
                decompress = median_seconds(f"bgzip -dc -@2 {bare} > /dev/null", runs_big, shell=True)
                print(f"{'  (raw BGZF decompression, for scale)':<44} {'':>12} | {'bgzip -dc -@2 > /dev/null':<36} "
                      f"{decompress * 1000:9.0f} ms |", flush=True)
            if name == "genome_5M":
                loop = (f"import cyvcf2\nn=0\nfor v in cyvcf2.VCF('{bare}'):\n    n+=1")
                row("genome_5M full cyvcf2 iteration (python)", median_seconds([PY, "-c", loop], 1),
                    "bcftools view -H -t REGIONS .vcf.gz", anchor, None)
    # batch throughput (its own script; here the one figure the issue sets a target for)
    import batch_bench

    samples = 300 if args.quick else 1000
    with tempfile.TemporaryDirectory() as scratch:
        sheet = batch_bench.make_cohort(Path(scratch) / "cohort", samples)
        data = batch_bench.run_mode("workers2", sheet, Path(scratch) / "cohort.csv")
    rate = data["n"] / data["batch"]
    verdict = "ok" if rate >= batch_bench.TARGET and not data["failed"] else "MISSED"
    print(f"{f'batch {samples} panel VCFs, 2 workers':<44} {rate:6.0f} samples/s | "
          f"{'target':<36} {batch_bench.TARGET:6.0f} samples/s | {rate / batch_bench.TARGET:5.2f}× "
          f"≥ 1×   {verdict:<6} | ({data['failed']} failed)", flush=True)
    worst = max(PEAKS) if PEAKS else float("nan")
    print(f"{'peak memory, every alkseq run above':<44} {worst:6.0f} MB      | {'target':<36} "
          f"{150:6.0f} MB      |        ≤ 150 MB {'ok' if worst <= 150 else 'MISSED'}", flush=True)
    print("\nratios: alkseq ÷ anchor (lower is better); memory is the peak RSS of that alkseq process.")
    print("rows without a target are there for scale: the issue sets the genome ratios on the 5M file.")


if __name__ == "__main__":
    main()
