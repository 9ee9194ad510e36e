"""Write the phasing example in examples/phasing/ (run once; the files are committed).

One unphased GRCh38 VCF with ALK L1196M (c.3586C>A, chr2:29220765 G>T) and G1202R
(c.3604G>A, chr2:29220747 C>T), 18 bp apart in exon 23 (positions and bases:
shared/genome/alk_resistance_truth_grch37_grch38.tsv and the kinase-region codon table),
and two small paired-end BAMs over exon 23 built from the real plus-strand reference
sequence shipped in reference/genome/alk_sequence.tsv:

* ``cis.bam``   — the two ALT alleles ride on the same fragments (one compound allele);
* ``trans.bam`` — each ALT allele is on its own fragments (two subclones).

Both BAMs give VAF ~0.30 for each mutation, matching the VCF (VAFs sum to ~0.6, so the VAF
hint cannot decide: only the reads can).  Each holds one chimeric fragment of the "wrong"
class and a low rate of low-quality sequencing errors, as real amplicon data does; the
phaser's noise margin has to absorb them.  Read names, sample names, depths and the error
pattern are invented (seeded, so a re-run writes the same reads).

Run from the repository root:  python examples/make_phase_examples.py
"""
from __future__ import annotations

import random
from pathlib import Path

import pysam

from alkseq.genome.transcript import ShippedSequence

HERE = Path(__file__).resolve().parent
OUT = HERE / "phasing"

CONTIG, CONTIG_LENGTH = "chr2", 242193529           # GRCh38 chr2
WINDOW = (29220696, 29220850)                        # ALK exon 23 ± flanks, 1-based inclusive
L1196M = (29220765, "G", "T")                        # c.3586C>A (ALK is on the minus strand)
G1202R = (29220747, "C", "T")                        # c.3604G>A
SAMPLE = "PT004_T"
MATE_LENGTH = 75
HIGH_QUALITY, ERROR_QUALITY = 37, 11
ERROR_RATE = 0.003

# fragments per class: (carries L1196M, carries G1202R) -> count
CLASSES = {
    "cis":   {(True, True): 72, (True, False): 1, (False, True): 0, (False, False): 167},
    "trans": {(True, True): 1, (True, False): 71, (False, True): 74, (False, False): 94},
}

VCF = f"""##fileformat=VCFv4.2
##source=alkseq examples/make_phase_examples.py (tumour-only caller output, unphased)
##reference=GRCh38
##contig=<ID={CONTIG},length={CONTIG_LENGTH}>
##FILTER=<ID=PASS,Description="All filters passed">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	{SAMPLE}
{CONTIG}	{G1202R[0]}	.	{G1202R[1]}	{G1202R[2]}	.	PASS	.	GT:AD:AF:DP	0/1:430,182:0.297:612
{CONTIG}	{L1196M[0]}	.	{L1196M[1]}	{L1196M[2]}	.	PASS	.	GT:AD:AF:DP	0/1:425,178:0.295:603
"""


def reference_window() -> str:
    sequence = ShippedSequence("GRCh38").fetch(CONTIG, *WINDOW)
    assert sequence is not None and len(sequence) == WINDOW[1] - WINDOW[0] + 1
    for pos, ref, _ in (L1196M, G1202R):
        assert sequence[pos - WINDOW[0]] == ref, f"reference base at {pos} is not {ref}"
    return sequence


def fragments(kind: str, reference: str, rng: random.Random) -> list[tuple[str, int, str]]:
    """(name, 0-based start, fragment sequence) for every fragment, classes shuffled."""
    labels = [key for key, count in CLASSES[kind].items() for _ in range(count)]
    rng.shuffle(labels)
    out = []
    for number, (has_l1196m, has_g1202r) in enumerate(labels, start=1):
        start1 = rng.randint(WINDOW[0], 29220735)
        length = rng.randint(110, WINDOW[1] - start1 + 1)
        bases = list(reference[start1 - WINDOW[0]:start1 - WINDOW[0] + length])
        for carries, (pos, _, alt) in ((has_l1196m, L1196M), (has_g1202r, G1202R)):
            if carries:
                bases[pos - start1] = alt
        out.append((f"PT004:amp:{kind}:{number:04d}", start1 - 1, "".join(bases)))
    return out


def with_errors(sequence: str, rng: random.Random) -> tuple[str, list[int]]:
    """A few substitutions, each at a low base quality, like real sequencing errors."""
    bases, qualities = list(sequence), [HIGH_QUALITY] * len(sequence)
    for index in range(len(bases)):
        if rng.random() < ERROR_RATE:
            bases[index] = rng.choice([b for b in "ACGT" if b != bases[index]])
            qualities[index] = ERROR_QUALITY
    return "".join(bases), qualities


def write_bam(path: Path, kind: str, reference: str, seed: int) -> None:
    rng = random.Random(seed)
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": CONTIG, "LN": CONTIG_LENGTH, "AS": "GRCh38"}],
              "RG": [{"ID": "PT004", "SM": SAMPLE, "PL": "ILLUMINA", "LB": "amplicon"}],
              "PG": [{"ID": "make_phase_examples", "PN": "alkseq examples/make_phase_examples.py"}]}
    records = []
    for name, start0, fragment in fragments(kind, reference, rng):
        length = len(fragment)
        mate1, mate2 = (0, fragment[:MATE_LENGTH]), (length - MATE_LENGTH, fragment[-MATE_LENGTH:])
        for (offset, bases), (mate_offset, _), flag in ((mate1, mate2, 99), (mate2, mate1, 147)):
            sequence, qualities = with_errors(bases, rng)
            tlen = length if flag == 99 else -length
            records.append((start0 + offset, name, flag, sequence, qualities, start0 + mate_offset, tlen))
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for start0, name, flag, sequence, qualities, mate_start0, tlen in records:
            read = pysam.AlignedSegment(out.header)
            read.query_name, read.flag = name, flag
            read.reference_name, read.reference_start = CONTIG, start0
            read.mapping_quality = 60
            read.cigartuples = [(0, len(sequence))]
            read.next_reference_name, read.next_reference_start = CONTIG, mate_start0
            read.template_length = tlen
            read.query_sequence = sequence
            read.query_qualities = pysam.qualitystring_to_array("".join(chr(q + 33) for q in qualities))
            read.set_tag("RG", "PT004")
            out.write(read)
    pysam.index(str(path))
    print("wrote", path.relative_to(HERE.parent), f"({path.stat().st_size} bytes) and its .bai")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    reference = reference_window()
    (OUT / "tumor.vcf").write_text(VCF)
    print("wrote", (OUT / "tumor.vcf").relative_to(HERE.parent))
    write_bam(OUT / "cis.bam", "cis", reference, seed=1196)
    write_bam(OUT / "trans.bam", "trans", reference, seed=1202)


if __name__ == "__main__":
    main()
