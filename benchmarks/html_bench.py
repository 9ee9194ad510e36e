"""HTML speed (issue #18 rows): one HTML report against the JSON report of the same input
(target ≤ 2×), and a 200-sample batch with --html-dir against the same batch without
(target ≤ 3×), plus the cohort page's size at 100, 1,000 and 10,000 samples.

Each timing is a fresh ``python -m alkseq`` process (imports count, as for a user), median
of paired runs measured in the same session. The 2k-record panel VCF comes from
benchmarks/generate.py; the cohort from benchmarks/batch_bench.py's generator. Cohort pages
of 1,000 and 10,000 samples are rendered from renamed copies of real reports (the page
renders report data only, so copies cost what real samples cost).

Run:  python benchmarks/html_bench.py [--runs 5] [--samples 200]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True)
    return time.perf_counter() - start


def paired(a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(runs):
        ta.append(_time(a))
        tb.append(_time(b))
    return statistics.median(ta), statistics.median(tb)


def cohort_sizes() -> dict[int, int]:
    from dataclasses import replace

    from alkseq.api import annotate
    from alkseq.report.html import render_cohort

    with tempfile.TemporaryDirectory() as tmp:
        panel = Path(tmp) / "p.tsv"
        panel.write_text("sample\tgene\talteration\tvaf\tcopy_number\nA\tALK\tG1202R\t0.3\t\n"
                         "B\tALK\tG1202R\t0.3\t\nB\tALK\tL1196M\t0.2\t\nC\tMET\tamplification\t\t14\n"
                         "D\tKRAS\tG12C\t0.2\t\nE\tTP53\tR273H\t0.4\t\n")
        base = annotate(panel, ["alectinib", "lorlatinib"]) + annotate(panel, ["crizotinib"])
    out = {}
    for n in (100, 1_000, 10_000):
        reports = [replace(base[i % len(base)], sample=f"S{i:05d}") for i in range(n)]
        rows = [{"sample": r.sample, "status": "ok"} for r in reports]
        start = time.perf_counter()
        page = render_cohort(rows, reports, sample_links={r.sample: f"pages/{r.sample}.html" for r in reports})
        out[n] = (len(page.encode()), time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    from batch_bench import make_cohort
    from generate import generate

    vcf = generate(["panel_2k"], quiet=True)["panel_2k"]
    py = [sys.executable, "-m", "alkseq"]
    one = py + ["annotate", str(vcf), "--prior", "alectinib", "--format"]
    with tempfile.TemporaryDirectory() as tmp:
        html_t, json_t = paired(one + ["html", "-o", f"{tmp}/r.html"],
                                one + ["json", "-o", f"{tmp}/r.json"], args.runs)
        print(f"one HTML report (panel_2k): {html_t:.3f} s vs JSON {json_t:.3f} s "
              f"= {html_t / json_t:.2f}x (target <= 2x)")
        sheet = make_cohort(Path(tmp) / "cohort", args.samples)
        batch = py + ["batch", str(sheet), "--quiet", "-o", f"{tmp}/out.csv"]
        with_t, without_t = paired(batch + ["--html-dir", f"{tmp}/pages"], batch,
                                   max(1, args.runs // 2))
        print(f"{args.samples}-sample batch: --html-dir {with_t:.2f} s vs without {without_t:.2f} s"
              f" = {with_t / without_t:.2f}x (target <= 3x)")
    for n, (size, seconds) in cohort_sizes().items():
        print(f"cohort page, {n:>6} samples: {size / 1024:8.1f} KiB, rendered in {seconds:.2f} s")


if __name__ == "__main__":
    main()
