"""Peak memory of in-gene VCF records: flat in input size (issue #15 item 3).

Generates, in a temporary folder, (1) an ALK-region ``.vcf.gz`` "bomb" — a valid GRCh38 header, then
records inside ALK repeated until the text reaches SIZE MiB (kinase-domain SNVs that must be parsed
and translated, intronic SNVs, a gVCF-style ``T,<NON_REF>`` call) — and (2) a gVCF whose
``<NON_REF>`` reference blocks (``END=``) tile ALK base by base in blocks of 1–20 bp. Each is run
through ``alkseq annotate FILE --format json`` as a fresh process; peak RSS (``os.wait4``) and wall
time are printed per size, with the slope in MB of RSS per 100 MiB of input (flat ≈ 0).

    python benchmarks/stream_bench.py                 # 16, 64, 256 MiB bombs + the gVCF
    python benchmarks/stream_bench.py --sizes 1024    # the 1 GiB bomb of the issue (slow: ~15 min)
"""
from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr2,length=242193529>
##INFO=<ID=END,Number=1,Type=Integer,Description="End of a reference block">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	TUMOR
"""


def _alk_records() -> list[str]:
    """One block of ALK records: kinase-domain SNVs (REF from the shipped sequence), intronic SNVs."""
    from alkseq.genome.transcript import ShippedSequence, load_transcript

    tx = load_transcript("ALK", "GRCh38")
    sequence = ShippedSequence("GRCh38")
    out = []
    for codon in range(1150, 1250, 7):
        pos = tx.genomic_of((codon - 1) * 3 + 2)
        ref = sequence.fetch("chr2", pos, pos)
        alt = "A" if ref != "A" else "C"
        out.append(f"chr2\t{pos}\t.\t{ref}\t{alt},<NON_REF>\t50\tPASS\t.\tGT:AD:AF:DP\t0/1:60,40,0:0.4,0:100")
    for pos in range(29_300_000, 29_800_000, 25_000):     # ALK introns, far from the shipped window
        out.append(f"chr2\t{pos}\t.\tA\tG\t50\tPASS\t.\tGT:AD:AF:DP\t0/1:60,40:0.4:100")
    return out


def write_bomb(path: Path, mib: int) -> int:
    block = ("\n".join(_alk_records()) + "\n").encode()
    target = mib << 20
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(HEADER.encode())
        while written < target:
            handle.write(block)
            written += len(block)
    return written


def write_gvcf(path: Path) -> int:
    """Reference blocks of 1-20 bp tiling ALK (29,192,774-29,921,586), one heterozygous call."""
    written = 0
    pos, size = 29_192_774, 1
    with gzip.open(path, "wt", compresslevel=1) as handle:
        handle.write(HEADER)
        while pos < 29_921_586:
            end = pos + size - 1
            line = f"chr2\t{pos}\t.\tA\t<NON_REF>\t.\t.\tEND={end}\tGT:AD:DP\t0/0:30,0:30\n"
            handle.write(line)
            written += len(line)
            pos, size = end + 1, size % 20 + 1
    return written


def run(path: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS MB, exit code) of ``alkseq annotate PATH --format json``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "alkseq", "annotate", str(path), "--format", "json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256], help="bomb sizes in MiB of text")
    args = parser.parse_args()
    points = []
    with tempfile.TemporaryDirectory(prefix="alkseq-stream-") as folder:
        print(f"{'input':<28} {'text MiB':>9} {'gz MB':>7} {'seconds':>8} {'peak RSS MB':>12} {'exit':>5}")
        for mib in args.sizes:
            path = Path(folder) / f"bomb_{mib}.vcf.gz"
            text = write_bomb(path, mib)
            seconds, rss, code = run(path)
            points.append((text / (1 << 20), rss))
            print(f"{path.name:<28} {text / (1 << 20):>9.0f} {path.stat().st_size / 1e6:>7.1f} {seconds:>8.1f} "
                  f"{rss:>12.0f} {code:>5}")
            path.unlink()
        gvcf = Path(folder) / "alk_reference_blocks.g.vcf.gz"
        text = write_gvcf(gvcf)
        seconds, rss, code = run(gvcf)
        print(f"{gvcf.name:<28} {text / (1 << 20):>9.0f} {gvcf.stat().st_size / 1e6:>7.1f} {seconds:>8.1f} "
              f"{rss:>12.0f} {code:>5}")
    if len(points) > 1:
        (x0, y0), (x1, y1) = points[0], points[-1]
        print(f"RSS slope: {(y1 - y0) / (x1 - x0) * 100:+.1f} MB per 100 MiB of input "
              f"(issue #15, before streaming: a 1 GiB bomb grew past 6 GB and died with MemoryError)")


if __name__ == "__main__":
    main()
