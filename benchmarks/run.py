"""Every row of issue 18's table: alkseq against its anchor, both measured in this run, plus memory.

Every alkseq figure is a fresh ``alkseq`` process (interpreter start, imports, knowledge loading,
reading, interpretation, output), the way a user or a pipeline runs it. Prints medians, the ratio to
each row's anchor next to the target, and the peak RSS of the alkseq process (os.wait4).

    python benchmarks/run.py             # the full table: 5M-record genome (.vcf.gz and BCF, indexed
                                         # and streamed), HTML, batches, lookup, memory at 1M/5M/20M
    python benchmarks/run.py --quick     # the same rows on the 1M genome, smaller batches, 2 runs
    python benchmarks/run.py --install editable   # this environment's alkseq (e.g. pip install -e)

How alkseq is installed is part of what a start-up-bound row measures. By default (``--install
wheel``) the checkout is built into a wheel and installed the way the README installs it (``pip
install .``), into a scratch venv that sees this environment's site-packages as a plain path: the
dependencies are the same files, but no ``.pth`` start-up hook of this environment runs (an editable
install's import finder, a sandbox's certificate hook). ``--install editable`` runs the ``alkseq``
script beside ``sys.executable`` (whatever this environment has installed). Either way every
``python -c ...`` anchor runs on the same interpreter as alkseq; the header line says which was used.

Files come from benchmarks/generate.py (made on first use; the 20M genome takes a few minutes).
Each row measures alkseq and its anchor in alternating pairs (one run of each per round, the order
flipping every round, medians of the rounds): on a shared VM either side drifts by a third within
minutes, and two blocks of runs measured apart would compare two moments. Timings use hyperfine when
it is installed, else perf_counter over the same runs. Bytecode is cached
as an installed wheel has it: children run with PYTHONPYCACHEPREFIX set to a scratch folder and
PYTHONDONTWRITEBYTECODE unset (this environment sets it), warmed up before timing.
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

PY = sys.executable        # the interpreter that runs alkseq and the python anchors (see install_wheel)
PEAKS: list[float] = []   # peak RSS (MB) of every alkseq run measured, for the summary line
ENV = dict(os.environ)    # children: bytecode cached under a scratch prefix, as an installed wheel has it
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def alkseq_command() -> list[str]:
    script = Path(PY).parent / "alkseq"
    if script.is_file():
        return [str(script)]
    return [PY, "-m", "alkseq"]


def install_wheel(scratch: Path) -> tuple[str, str]:
    """Build this checkout's wheel and install it into a scratch venv (no network for the install:
    ``--no-deps --no-index``); returns (venv python, what was installed).

    The venv does not inherit this environment with ``--system-site-packages`` (that would run
    its ``.pth`` hooks, the editable finder among them): a ``.pth`` naming the site-packages
    directories adds them as plain paths, so the dependencies are importable and nothing else runs
    at start-up, as in a user's own environment."""
    import sysconfig

    dist, source = scratch / "dist", scratch / "source"
    # built from a copy: setuptools leaves build/ and *.egg-info in the tree it builds
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "data"))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)]
    if subprocess.run(build, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        # no build backend reachable: build with this environment's setuptools
        subprocess.run(build + ["--no-build-isolation"], check=True, stdout=subprocess.DEVNULL)
    wheel = next(dist.glob("alkseq-*.whl"))
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    bases = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))
    (Path(site) / "base-site-packages.pth").write_text("".join(f"{b}\n" for b in bases))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, stdout=subprocess.DEVNULL)
    return str(python), wheel.name


def regions(build: str = "GRCh38") -> str:
    """The gene intervals alkseq reads, merged, as a bcftools region list (what alkseq queries)."""
    from alkseq.readers.vcf import merged_spans, spans_by_chrom

    merged = merged_spans({k: v for k, v in spans_by_chrom((build,)).items() if k.startswith("chr")})
    return ",".join(f"{chrom}:{s}-{e}" for chrom in sorted(merged) for s, e in merged[chrom])


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory of one run of ``command``, measured by ``/usr/bin/time -f %M``.

    Not from this process's own wait4: Linux carries a parent's high-water RSS into a forked
    child across exec, so after this script has generated a big file every child would report
    the script's peak instead of its own (seen: 879 MB for every row)."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *command],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        if process.returncode != 0:
            raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
        peak = int(out.read().strip().splitlines()[-1]) / 1024
    PEAKS.append(peak)
    return peak


def median_seconds(command: list[str], runs: int, shell: bool = False, prepare: list[str] | None = None,
                   warmup: int = 1) -> float:
    """Median wall time of ``runs`` fresh runs; ``prepare`` runs (untimed) before each one."""
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            text = command if shell else " ".join(_quote(c) for c in command)
            before = ["--prepare", " ".join(_quote(c) for c in prepare)] if prepare else []
            subprocess.run(["hyperfine", "-N" if not shell else "--shell=bash", "--warmup", str(warmup),
                            "--runs", str(runs),
                            *before, "--export-json", out.name, "--output", "null", text],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            return statistics.median(json.load(open(out.name))["results"][0]["times"])
    times = []
    for _ in range(runs + warmup):
        if prepare:
            subprocess.run(prepare, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        started = time.perf_counter()
        subprocess.run(command, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=ENV)
        times.append(time.perf_counter() - started)
    return statistics.median(times[warmup:])


def paired_seconds(ours: list[str], anchor: list[str], runs: int,
                   prepare: list[str] | None = None) -> tuple[float, float]:
    """Medians of ``runs`` rounds, each one run of ``ours`` and one of its anchor back to back (the
    order alternating), so both sides meet the same machine: on a shared VM either side's own time
    drifts by a third within minutes, and two blocks of runs measured apart compare two moments.
    ``prepare`` runs (untimed) before every run of ``ours``."""
    mine, theirs = [], []
    for round_ in range(runs + 1):                # the first round warms both up and is not kept
        pair = [("ours", ours, prepare), ("anchor", anchor, None)]
        for side, command, before in (pair if round_ % 2 == 0 else pair[::-1]):
            seconds = median_seconds(command, 1, prepare=before, warmup=0)
            if round_:
                (mine if side == "ours" else theirs).append(seconds)
    return statistics.median(mine), statistics.median(theirs)


def _quote(text: str) -> str:
    return text if all(c.isalnum() or c in "-_./:,=" for c in text) else "'" + text.replace("'", "'\\''") + "'"


VERDICTS: list[tuple[str, str]] = []


def row(job: str, ours: float, anchor_name: str, anchor: float, target: float | None, rss: float | None = None):
    ratio = ours / anchor if anchor else float("nan")
    verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
    if target is not None:
        VERDICTS.append((job, verdict))
    target_text = f"≤ {target:g}×" if target is not None else ""
    rss_text = f"{rss:6.0f} MB" if rss is not None else ""
    print(f"{job:<46} {ours * 1000:9.0f} ms | {anchor_name:<40} {anchor * 1000:9.0f} ms | "
          f"{ratio:5.2f}× {target_text:<6} {verdict:<6} | {rss_text}", flush=True)


def paired_row(job: str, ours: list[str], anchor_name: str, anchor: list[str], runs: int,
               target: float | None, rss: float | None = None, prepare: list[str] | None = None) -> None:
    """One table row, alkseq and its anchor measured in alternating pairs (``paired_seconds``)."""
    mine, theirs = paired_seconds(ours, anchor, runs, prepare=prepare)
    row(job, mine, anchor_name, theirs, target, rss)


def scale(label: str, seconds: float) -> None:
    print(f"{'  (for scale)':<46} {'':>12} | {label:<40} {seconds * 1000:9.0f} ms |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the rows on the 1M genome, small batches, 2 runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--install", choices=("wheel", "editable"), default="wheel",
                        help="wheel (default): this checkout built and installed as `pip install .` does, "
                             "in a scratch venv; editable: this environment's alkseq script")
    args = parser.parse_args()
    # 9 pairs: this VM flips between a fast and a slow phase within seconds, and 5 met one or the other
    runs = args.runs or (2 if args.quick else 9)
    scratch_root = tempfile.mkdtemp(prefix="alkseq-bench-")
    global PY
    if args.install == "wheel":
        PY, installed = install_wheel(Path(scratch_root))
        ENV.pop("PYTHONPATH", None)   # the wheel's alkseq, not a checkout on the path
        installed = f"{installed} in a scratch venv"
    else:
        installed = f"this environment's ({alkseq_command()[0]})"
    ENV["PYTHONPYCACHEPREFIX"] = os.path.join(scratch_root, "pycache")
    genome = "genome_1M" if args.quick else "genome_5M"
    memory_sizes = ["genome_1M"] if args.quick else ["genome_1M", "genome_5M", "genome_20M"]
    names = list(dict.fromkeys(["panel_2k", genome] + memory_sizes))
    files = generate.generate(names)
    alkseq = alkseq_command()
    for warm in (["--help"], ["lookup", "G1202R"], ["annotate", str(files["panel_2k"]), "--format", "html"]):
        subprocess.run(alkseq + warm, env=ENV, check=True, stdout=subprocess.DEVNULL)   # fills the bytecode cache
    subprocess.run([PY, "-c", "import click, cyvcf2, pysam, numpy"], env=ENV, check=True)
    region_list = regions()
    bcftools = shutil.which("bcftools")
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores · hyperfine: "
          f"{'yes' if shutil.which('hyperfine') else 'no'} · {runs} runs · medians · load average {load:.1f}",
          flush=True)
    print(f"alkseq: {installed} · python anchors on {PY}", flush=True)
    print(f"{'row (issue 18)':<46} {'alkseq':>12} | {'anchor':<40} {'':>12} | ratio target", flush=True)

    def annotate(path, fmt="json"):
        return alkseq + ["annotate", str(path), "--format", fmt]

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        gz = files[genome].with_name(f"{genome}.vcf.gz")
        bcf = files[genome].with_name(f"{genome}.bcf")
        bare_gz, bare_bcf = scratch / f"{genome}.vcf.gz", scratch / f"{genome}.bcf"   # the same bytes, no index
        os.symlink(gz, bare_gz)
        os.symlink(bcf, bare_bcf)
        few = max(3, runs // 2)
        if bcftools:
            def view(flag: str, path: Path) -> list[str]:
                return [bcftools, "view", "-H", flag, region_list, str(path)]

            paired_row(f"indexed {genome} .vcf.gz", annotate(gz), "bcftools view -H -r REGIONS",
                       view("-r", gz), runs, 2.5, peak_rss_mb(annotate(gz)))
            paired_row(f"streamed {genome} .vcf.gz (no index)", annotate(bare_gz), "bcftools view -H -t REGIONS",
                       view("-t", bare_gz), few, 0.5, peak_rss_mb(annotate(bare_gz)))
            if shutil.which("bgzip"):
                scale("bgzip -dc -@2 > /dev/null", median_seconds(f"bgzip -dc -@2 {bare_gz} > /dev/null", few, shell=True))
            if bcf.is_file():
                paired_row(f"indexed {genome} BCF", annotate(bcf), "bcftools view -H -r REGIONS (BCF)",
                           view("-r", bcf), runs, 3.0, peak_rss_mb(annotate(bcf)))
                paired_row(f"streamed {genome} BCF (no index)", annotate(bare_bcf), "bcftools view -H -t REGIONS (BCF)",
                           view("-t", bare_bcf), few, 1.0, peak_rss_mb(annotate(bare_bcf)))
            plain = files[genome]
            paired_row(f"streamed {genome} plain .vcf", annotate(plain), "bcftools view -H -t REGIONS (.vcf)",
                       view("-t", plain), few, None, peak_rss_mb(annotate(plain)))

        panel = files["panel_2k"]
        paired_row("one HTML report (2k-record panel VCF)", annotate(panel, "html"),
                   "the JSON report of the same input", annotate(panel), runs, 2.0,
                   peak_rss_mb(annotate(panel, "html")))

        import batch_bench

        html_samples = 40 if args.quick else 200
        sheet = batch_bench.make_cohort(scratch / "html_cohort", html_samples)
        plain_batch = alkseq + ["batch", str(sheet), "-o", str(scratch / "c.csv"), "--quiet"]
        html_batch = plain_batch + ["--html-dir", str(scratch / "pages")]
        paired_row(f"{html_samples}-sample batch with --html-dir", html_batch, "the same batch without HTML",
                   plain_batch, few, 3.0, peak_rss_mb(html_batch))

        samples = 100 if args.quick else 600
        panels = batch_bench.make_panel_cohort(scratch / "panels", samples, panel)
        # a median of fresh processes, as every other row (one run alone lands on whichever minute it meets)
        done = [batch_bench.run_mode("workers2", panels, scratch / "panels.csv", env=ENV, python=PY)
                for _ in range(max(3, few))]
        rates = sorted(data["n"] / data["batch"] for data in done)
        rate = statistics.median(rates)
        failed = max(data["failed"] for data in done)
        verdict = "ok" if rate >= batch_bench.TARGET and not failed else "MISSED"
        VERDICTS.append(("batch", verdict))
        print(f"{f'batch of {samples} 2k-record panel VCFs, --workers 2':<46} {rate:6.0f} samples/s | "
              f"{'target':<40} {batch_bench.TARGET:6.0f} samples/s | {rate / batch_bench.TARGET:5.2f}× "
              f"≥ 1×   {verdict:<6} | ({failed} failed; median of {len(rates)}: "
              f"{', '.join(f'{r:.0f}' for r in rates)})", flush=True)

    click = [PY, "-c", "import click"]
    lookup = alkseq + ["lookup", "G1202R"]
    paired_row("alkseq lookup G1202R (asked before)", lookup, "python -c 'import click'", click, runs * 2, 1.5,
               peak_rss_mb(lookup))
    # the same query answered afresh each time: the book of kept answers is emptied before every run
    # (the knowledge base stays cached), so this row is the first lookup of a query
    forget = [PY, "-c", "import glob, os; from alkseq.usercache import root; "
              "d = root(); [os.remove(p) for p in glob.glob(os.path.join(d, 'lookup-*')) if d]"]
    paired_row("alkseq lookup G1202R (first time)", lookup, "python -c 'import click'", click, runs * 2, 1.5,
               prepare=forget)
    paired_row("alkseq --help", alkseq + ["--help"], "python -c 'import click'", click, runs, None,
               peak_rss_mb(alkseq + ["--help"]))

    # memory: the streamed paths hold a few chunks whatever the size; indexed reads only the genes
    flat = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in memory_sizes:
            peaks = []
            for suffix in (".vcf.gz", ".bcf"):
                source = files[name].with_name(name + suffix)
                if not source.is_file():
                    continue
                bare = Path(scratch) / (name + suffix)
                os.symlink(source, bare)
                peaks.append(f"{suffix} {peak_rss_mb(annotate(bare)):.0f} MB")
            flat.append(f"{name}: " + ", ".join(peaks))
    worst = max(PEAKS) if PEAKS else float("nan")
    verdict = "ok" if worst <= 150 else "MISSED"
    VERDICTS.append(("memory", verdict))
    print(f"{'peak memory, every alkseq run above':<46} {worst:6.0f} MB      | {'target':<40} "
          f"{150:6.0f} MB      |        ≤ 150 MB {verdict}", flush=True)
    print("  streamed, by input size: " + "; ".join(flat), flush=True)
    missed = [job for job, v in VERDICTS if v != "ok"]
    print(f"\nratios: alkseq ÷ anchor (lower is better); memory is the peak RSS of that alkseq process; "
          f"load average {load:.1f} → {os.getloadavg()[0]:.1f}.")
    print("every target met" if not missed else f"missed: {', '.join(missed)}")
    shutil.rmtree(scratch_root, ignore_errors=True)


if __name__ == "__main__":
    main()
