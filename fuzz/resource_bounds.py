"""Measure time and peak memory of the table readers on hostile and large inputs.

    python fuzz/resource_bounds.py            # prints one line per case

Each case runs in a fresh subprocess so ``ru_maxrss`` (peak resident set size) is its own.
Not a test: numbers depend on the machine; docs/errors.md gives the limits they show.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE = r"""
import json, resource, sys, time
from pathlib import Path
from alkseq.errors import AlkseqError
from alkseq.readers import ReadOptions
from alkseq.readers import panel, maf, foundation
module = {"panel": panel, "maf": maf, "foundation": foundation}[sys.argv[1]]
start = time.perf_counter()
try:
    samples = module.read(Path(sys.argv[2]), ReadOptions())
    outcome = f"read {sum(len(s.alterations) for s in samples):,} alterations"
except AlkseqError as exc:
    outcome = f"{type(exc).__name__} (exit {exc.exit_code}): {exc.one_line()[-90:]}"
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}))
"""


def baseline() -> float:
    """Peak RSS of the same interpreter importing the readers and doing nothing."""
    code = ("import resource; from alkseq.readers import panel, maf, foundation; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def run(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, kind, str(path)], capture_output=True,
                         text=True)
    if out.returncode:
        return {"seconds": 0, "peak_rss_mb": 0, "outcome": "CRASH " + out.stderr[-300:]}
    return json.loads(out.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = []

        path = tmp / "million.tsv.gz"
        with gzip.open(path, "wt", compresslevel=1) as handle:
            handle.write("sample\tgene\talteration\tvaf\n")
            for number in range(1_000_000):
                handle.write(f"S{number % 10}\tKRAS\tG12C\t0.{number % 90 + 10}\n")
        cases.append(("panel", "1,000,000-row panel table (gzip)", path))

        path = tmp / "zeros.tsv.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"gene\talteration\n")
            for _ in range(1024):
                handle.write(b"\0" * (1 << 20))
        cases.append(("panel", f"gzip bomb: 1 GiB of NUL in {path.stat().st_size:,} bytes", path))

        path = tmp / "comments.tsv.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"gene\talteration\n")
            line = b"#" + b"x" * 999_998 + b"\n"
            for _ in range(1100):
                handle.write(line)
        cases.append(("panel", f"gzip bomb: 1.1 GB of comment lines in {path.stat().st_size:,} "
                      "bytes", path))

        path = tmp / "rows.tsv.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"gene\talteration\n")
            handle.write(b"ALK\tG1202R\n" * 3_000_000)
        cases.append(("panel", f"gzip bomb: 3,000,000 valid rows in {path.stat().st_size:,} "
                      "bytes", path))

        path = tmp / "newlines.tsv.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"gene\talteration\n")
            for _ in range(25):
                handle.write(b"\n" * 1_000_000)
        cases.append(("panel", f"gzip bomb: 25,000,000 empty lines in {path.stat().st_size:,} "
                      "bytes", path))

        path = tmp / "cell.tsv"
        path.write_bytes(b"gene\talteration\tnote\nALK\tG1202R\t" + b"x" * 10_000_000 + b"\n")
        cases.append(("panel", "a 10 MB cell", path))

        path = tmp / "million.maf.gz"
        with gzip.open(path, "wt", compresslevel=1) as handle:
            handle.write("Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\tVariant_Classification"
                         "\tt_depth\tt_alt_count\n")
            for number in range(1_000_000):
                handle.write(f"KRAS\tS{number % 10}\tp.G12C\tMissense_Mutation\t100\t{number % 90}\n")
        cases.append(("maf", "1,000,000-row MAF (gzip)", path))

        path = tmp / "zeros.maf.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\n")
            for _ in range(1024):
                handle.write(b"\0" * (1 << 20))
        cases.append(("maf", f"gzip bomb: 1 GiB of NUL in {path.stat().st_size:,} bytes", path))

        path = tmp / "bomb.xml.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"<variant-report><!--")
            for _ in range(1024):
                handle.write(b" " * (1 << 20))
            handle.write(b"--></variant-report>")
        cases.append(("foundation", f"gzip bomb: 1 GiB XML in {path.stat().st_size:,} bytes",
                      path))

        base = baseline()
        print(f"baseline (python + alkseq readers imported): peak RSS {base:.0f} MB")
        for kind, label, path in cases:
            result = run(kind, path)
            print(f"{label:<58} {result['seconds']:7.2f} s  peak RSS {result['peak_rss_mb']:7.0f} MB"
                  f" ({result['peak_rss_mb'] / base:4.1f}x baseline)  {result['outcome']}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.0f} s")
