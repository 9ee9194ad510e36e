"""How long phase_from_reads takes on a 10,000x amplicon, against plain pysam counting in the same run.

Target (project issue 4): well under a second per pair at 10,000x.  Baselines:
``AlignmentFile.count`` and ``samtools view -c`` (through pysam) over the same two
positions, and a bare ``fetch`` loop that touches each read: the floor any
Python phasing can reach.

Run:  python benchmarks/phase_bench.py [--depth 10000] [--runs 7]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import pysam

from alkseq.genome.phase import phase_from_reads
from alkseq.model import GenomicVariant

CONTIG = "chr2"
AMPLICON = (900, 1100)          # 0-based half-open
POS_A, POS_B = 1001, 1019       # 1-based, 18 bp apart like G1202R / L1196M
READ_LENGTH = 150
ALT_OF = {"A": "C", "C": "G", "G": "T", "T": "A"}


def reference(length: int = 3000, seed: int = 11) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(length))


def write_amplicon_bam(path: Path, ref: str, depth: int, paired: bool, seed: int = 5) -> None:
    """``depth`` reads over both positions (paired: depth/2 fragments of two overlapping mates).

    Allele mix: 40 % both ALT, 10 % first only, 10 % second only, 40 % neither; 3 % duplicates.
    """
    rng = random.Random(seed)
    alt = {i: ALT_OF[ref[i]] for i in (POS_A - 1, POS_B - 1)}
    classes = [(True, True)] * 40 + [(True, False)] * 10 + [(False, True)] * 10 + [(False, False)] * 40
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": CONTIG, "LN": len(ref)}]}
    quals = pysam.qualitystring_to_array("I" * READ_LENGTH)
    unsorted = path.with_suffix(".unsorted.bam")
    fragments = depth // 2 if paired else depth
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for number in range(fragments):
            carry_a, carry_b = rng.choice(classes)
            seq = list(ref)
            if carry_a:
                seq[POS_A - 1] = alt[POS_A - 1]
            if carry_b:
                seq[POS_B - 1] = alt[POS_B - 1]
            duplicate = 0x400 if rng.random() < 0.03 else 0
            if paired:   # read 1 forward at the amplicon start, read 2 reverse at its end
                starts = [(AMPLICON[0], 0x1 | 0x2 | 0x20 | 0x40),
                          (AMPLICON[1] - READ_LENGTH, 0x1 | 0x2 | 0x10 | 0x80)]
            else:
                starts = [(AMPLICON[0] + rng.randrange(20), 0)]
            for start, flag in starts:
                read = pysam.AlignedSegment(out.header)
                read.query_name = f"frag{number}"
                read.reference_id = 0
                read.reference_start = start
                read.cigarstring = f"{READ_LENGTH}M"
                read.query_sequence = "".join(seq[start:start + READ_LENGTH])
                read.query_qualities = quals
                read.flag = flag | duplicate
                read.mapping_quality = 60
                if paired:
                    read.next_reference_id = 0
                    read.next_reference_start = AMPLICON[0] if flag & 0x80 else AMPLICON[1] - READ_LENGTH
                out.write(read)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    unsorted.unlink()


def median_seconds(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    ref = reference()
    va = GenomicVariant("GRCh38", CONTIG, POS_A, ref[POS_A - 1], ALT_OF[ref[POS_A - 1]])
    vb = GenomicVariant("GRCh38", CONTIG, POS_B, ref[POS_B - 1], ALT_OF[ref[POS_B - 1]])

    with tempfile.TemporaryDirectory() as tmp:
        print(f"phase_from_reads benchmark: {options.depth}x amplicon, median of {options.runs} runs")
        print(f"{'layout':<12}{'phase_from_reads':>18}{'count()':>12}{'view -c':>12}{'fetch loop':>12}"
              f"{'ratio/fetch':>13}  verdict (counts)")
        for paired in (False, True):
            bam = Path(tmp) / f"amplicon_{'pe' if paired else 'se'}.bam"
            write_amplicon_bam(bam, ref, options.depth, paired)
            region = f"{CONTIG}:{POS_A}-{POS_B}"

            phase, evidence = phase_from_reads(bam, va, vb)
            t_phase = median_seconds(lambda: phase_from_reads(bam, va, vb), options.runs)

            def count_with_pysam():
                with pysam.AlignmentFile(str(bam)) as alignments:
                    return (alignments.count(CONTIG, POS_A - 1, POS_A)
                            + alignments.count(CONTIG, POS_B - 1, POS_B))

            def samtools_view_count():
                return int(pysam.view("-c", str(bam), f"{CONTIG}:{POS_A}-{POS_A}")) + \
                    int(pysam.view("-c", str(bam), f"{CONTIG}:{POS_B}-{POS_B}"))

            def fetch_loop():
                touched = 0
                with pysam.AlignmentFile(str(bam)) as alignments:
                    for position in (POS_A, POS_B):
                        for read in alignments.fetch(CONTIG, position - 1, position):
                            touched += read.flag >= 0
                return touched

            t_count = median_seconds(count_with_pysam, options.runs)
            t_view = median_seconds(samtools_view_count, options.runs)
            t_fetch = median_seconds(fetch_loop, options.runs)
            layout = "paired" if paired else "single-end"
            counts = (f"{evidence.both}/{evidence.first_only}/{evidence.second_only}/"
                      f"{evidence.neither} of {evidence.spanning}")
            print(f"{layout:<12}{t_phase * 1000:>15.1f} ms{t_count * 1000:>9.1f} ms{t_view * 1000:>9.1f} ms"
                  f"{t_fetch * 1000:>9.1f} ms{t_phase / t_fetch:>12.1f}x  {phase} ({counts}); "
                  f"reads at {region}: {count_with_pysam() // 2}")
        print("target: well under a second per pair at 10,000x")


if __name__ == "__main__":
    main()
