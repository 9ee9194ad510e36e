"""Batch throughput: samples/s for 1 worker, 2 worker processes and a Dask LocalCluster, on a
generated cohort of small panel VCFs, next to the target (≥ 300 samples/s with 2 workers).

Each mode runs in a fresh Python process (so imports and the knowledge-base load count, as
they do for a user); the time is that of the ``alkseq.batch()`` call writing the cohort CSV,
and the whole process (interpreter start included) is shown beside it. For Dask the
LocalCluster start-up is shown separately from the batch itself.

VCF records use real GRCh38 ALK positions and REF bases (G1202R chr2:29220747 C>T, L1196M
chr2:29220765 G>T, I1171N chr2:29222347 A>T, C1156Y chr2:29222392 C>T, G1269A chr2:29209816
C>G; from the ALK resistance truth table), the BRAF V600E hotspot and a MET CN segment, plus
background SNVs outside ALK's exons.

Run:  python benchmarks/batch_bench.py [--samples 1000] [--keep DIR] [--profile]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 300.0  # samples/s with 2 workers

HEADER = """##fileformat=VCFv4.2
##source=alkseq benchmarks/batch_bench.py
##reference=GRCh38
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr7,length=159345973>
##contig=<ID=chr17,length=83257441>
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position">
##INFO=<ID=CN,Number=1,Type=Float,Description="Copy number">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	{sample}
"""
ALK = [("chr2", 29220747, "C", "T"), ("chr2", 29220765, "G", "T"), ("chr2", 29222347, "A", "T"),
       ("chr2", 29222392, "C", "T"), ("chr2", 29209816, "C", "G")]
BRAF_V600E = ("chr7", 140753336, "A", "T")
MET_SEGMENT = "chr7\t116672100\tcnv\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;END=116800000;CN={cn}\tGT\t0/1"
PRIORS = ["crizotinib;alectinib", "alectinib;lorlatinib", "brigatinib", "alectinib"]


def make_cohort(directory: Path, n: int, seed: int = 11) -> Path:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    rows = ["sample,path,prior,progression"]
    for i in range(n):
        sample = f"B{i:05d}"
        records = []
        for chrom, pos, ref, alt in rng.sample(ALK, rng.choice((0, 1, 1, 2))):
            depth = rng.randint(200, 900)
            alt_n = rng.randint(10, depth // 3)
            records.append((chrom, pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t60\tPASS\tDP={depth}\tGT:AD:AF:DP\t"
                                        f"0/1:{depth - alt_n},{alt_n}:{alt_n / depth:.3f}:{depth}"))
        if rng.random() < 0.15:
            records.append(("chr7", 116672100, MET_SEGMENT.format(cn=rng.choice((4, 8, 14)))))
        if rng.random() < 0.05:
            chrom, pos, ref, alt = BRAF_V600E
            records.append((chrom, pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t60\tPASS\tDP=300\tGT:AF\t0/1:0.2"))
        for _ in range(rng.randint(5, 20)):  # background calls away from the genes alkseq knows
            chrom = rng.choice(("chr1", "chr17"))
            pos = rng.randint(1_000_000, 60_000_000)
            ref, alt = rng.sample("ACGT", 2)
            records.append((chrom, pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t40\tPASS\tDP=150\tGT:AF\t0/1:0.1"))
        records.sort(key=lambda r: (r[0], r[1]))
        (directory / f"{sample}.vcf").write_text(HEADER.format(sample=sample)
                                                 + "\n".join(r[2] for r in records) + "\n")
        rows.append(f"{sample},{sample}.vcf,{PRIORS[i % len(PRIORS)]},systemic")
    sheet = directory / "samplesheet.csv"
    sheet.write_text("\n".join(rows) + "\n")
    return sheet


def make_panel_cohort(directory: Path, n: int, panel: Path) -> Path:
    """A samplesheet of ``n`` samples, each a 2k-record panel VCF (links to one generated panel)."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = ["sample,path,prior,progression"]
    for i in range(n):
        sample = f"P{i:05d}"
        link = directory / f"{sample}.vcf"
        if not link.exists():
            os.symlink(panel.resolve(), link)
        rows.append(f"{sample},{link.name},{PRIORS[i % len(PRIORS)]},systemic")
    sheet = directory / "samplesheet.csv"
    sheet.write_text("\n".join(rows) + "\n")
    return sheet


RUN = r"""
import sys, time, json
t0 = time.perf_counter()
import alkseq
mode, sheet, out = sys.argv[1], sys.argv[2], sys.argv[3]
setup = 0.0
if mode == "serial":
    kwargs = dict(workers=1)
elif mode == "workers2":
    kwargs = dict(workers=2)
else:
    from distributed import Client, LocalCluster
    s = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    setup = time.perf_counter() - s
    kwargs = dict(scheduler=client)
t1 = time.perf_counter()
from alkseq.knowledge import load_knowledge
load_knowledge()  # part of the batch call (timed); measured apart as the serial start-up
kb = time.perf_counter() - t1
result = alkseq.batch(sheet, output=out, progress=False, **kwargs)
t2 = time.perf_counter()
print(json.dumps({"batch": t2 - t1, "kb": kb, "setup": setup, "import": t1 - t0 - setup,
                  "n": len(result.rows), "failed": len(result.failures)}))
if mode == "dask":
    client.close(); cluster.close()
"""


def run_mode(mode: str, sheet: Path, out: Path, env: dict | None = None,
             python: str | None = None) -> dict:
    import json

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([python or sys.executable, "-c", RUN, mode, str(sheet), str(out)],
                          capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["wall"] = wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process and its workers
    data["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return data


def profile(sheet: Path) -> None:
    """Where a serial batch spends its time (per-sample overhead: reader, KB, writer)."""
    import cProfile
    import pstats

    import alkseq

    profiler = cProfile.Profile()
    profiler.enable()
    alkseq.batch(sheet, workers=1, progress=False)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="write the cohort here and keep it")
    parser.add_argument("--profile", action="store_true", help="cProfile a serial run too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        sheet = make_cohort(base / "cohort", args.samples)
        print(f"cohort: {args.samples} panel VCFs in {sheet.parent}  (CPUs: {os.cpu_count()}, "
              f"load average before: {os.getloadavg()[0]:.1f})")
        results = {}
        for mode, label in (("serial", "1 worker (serial)"), ("workers2", "2 worker processes"),
                            ("dask", "Dask LocalCluster, 2 worker processes")):
            data = run_mode(mode, sheet, base / f"cohort_{mode}.csv")
            results[mode] = data
            rate = data["n"] / data["batch"]
            extra = f"; cluster start {data['setup']:.2f} s" if mode == "dask" else ""
            print(f"{label:<40} {data['batch']:6.2f} s  {rate:7.1f} samples/s  "
                  f"(process wall {data['wall']:.2f} s, imports {data['import']:.2f} s{extra}; "
                  f"{data['failed']} failed)")
            print(f"{'':<40} CPU {data['cpu']:.2f} s in all processes = "
                  f"{1000 * data['cpu'] / data['n']:.2f} ms CPU per sample")
        same = len({(base / f"cohort_{m}.csv").read_text() for m in results}) == 1
        serial_rate = results["serial"]["n"] / results["serial"]["batch"]
        two_rate = results["workers2"]["n"] / results["workers2"]["batch"]
        dask_rate = results["dask"]["n"] / results["dask"]["batch"]
        print(f"speed-up, 2 workers vs serial: {two_rate / serial_rate:.2f}x; "
              f"Dask vs serial: {dask_rate / serial_rate:.2f}x")
        print(f"target: >= {TARGET:.0f} samples/s with 2 workers -> measured {two_rate:.0f} "
              f"({two_rate / TARGET:.2f}x of target): {'MET' if two_rate >= TARGET else 'MISSED'}")
        print(f"cohort CSVs identical across modes: {same}")
        two = results["workers2"]
        estimate = two["kb"] + (two["cpu"] - two["kb"]) / 2
        print(f"on 2 otherwise idle cores the 2-worker batch would take about {estimate:.2f} s = "
              f"{two['n'] / estimate:.0f} samples/s (CPU-bound estimate: knowledge-base load "
              f"{two['kb']:.2f} s serial, the rest split over 2 cores; load average now "
              f"{os.getloadavg()[0]:.1f})")
        if args.profile:
            profile(sheet)


if __name__ == "__main__":
    main()
