"""Realistic synthetic VCFs for the speed and memory benchmarks (written to benchmarks/data/, git-ignored).

Each size is written as plain ``.vcf``, as bgzipped ``.vcf.gz`` with a ``.tbi`` index and (when
bcftools is installed) as BCF with a ``.csi`` index:

    panel_2k      2,000 records inside the genes alkseq knows (a targeted panel)
    exome_100k    100,000 records spread over the genome
    genome_1M     1,000,000 records (for the memory-is-flat check)
    genome_5M     5,000,000 records (a germline+somatic whole genome)
    genome_20M    20,000,000 records (memory stays flat; only for the full benchmark run)

Background records are random SNVs/short indels with Mutect2-like FORMAT fields on GRCh38
contigs. They never touch the ALK exons (where alkseq ships the reference, so a made-up REF
would be a build mismatch) nor a shipped hotspot position. Planted into every file, with REF
bases taken from alkseq's own shipped model and checked by translating them:

* ALK G1202R + L1196M on one phased haplotype (a cis compound) and C1156Y unphased;
* a shipped bypass hotspot (MET, from reference/genome/hotspots.tsv, REF/ALT from the table);
* a MET copy-number segment (INFO/END, CN=12) that *starts before* MET, so a reader that
  only looks at POS would miss it;
* an EML4 intron 13 / ALK intron 19 breakend pair (EML4-ALK variant 1).

Run:  python benchmarks/generate.py [--sizes panel_2k,exome_100k,genome_5M] [--out DIR] [--force]
"""
from __future__ import annotations

import argparse
import bisect
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
SIZES = {"panel_2k": 2_000, "exome_100k": 100_000, "genome_500k": 500_000, "genome_1M": 1_000_000,
         "genome_5M": 5_000_000,
         "genome_20M": 20_000_000}

# GRCh38 primary assembly lengths (chr1 and chr2 are the ones alkseq checks for the build).
GRCH38 = {
    "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555, "chr5": 181538259,
    "chr6": 170805979, "chr7": 159345973, "chr8": 145138636, "chr9": 138394717, "chr10": 133797422,
    "chr11": 135086622, "chr12": 133275309, "chr13": 114364328, "chr14": 107043718, "chr15": 101991189,
    "chr16": 90338345, "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
    "chr21": 46709983, "chr22": 50818468, "chrX": 156040895,
}
# (protein change, codon); the alleles are made from the shipped ALK model below.
ALK_PLANTS = (("G1202R", "GGA", "AGA"), ("L1196M", "CTG", "ATG"), ("C1156Y", "TGC", "TAC"))

HEADER = """##fileformat=VCFv4.2
##source=alkseq-benchmarks-generate
##reference=GRCh38
{contigs}
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">
##INFO=<ID=MQ,Number=1,Type=Float,Description="RMS mapping quality">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of variant existing versus not existing">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">
##INFO=<ID=CN,Number=1,Type=Float,Description="Copy number">
##INFO=<ID=MATEID,Number=.,Type=String,Description="ID of mate breakend">
##ALT=<ID=DUP,Description="Duplication">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in the tumor">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
##tumor_sample=TUMOR
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR
"""


def _complement(bases: str) -> str:
    return bases.translate(str.maketrans("ACGT", "TGCA"))


def planted_records() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, int]], list[str]]:
    """(chrom, pos, line) of every planted record, exclusion zones, and the expected findings."""
    sys.path.insert(0, str(ROOT))
    from alkseq.genome.transcript import ShippedSequence, alk_protein, gene_spans, hotspots, load_transcript
    from alkseq.genome.translate import translate_variant

    build = "GRCh38"
    sequence = ShippedSequence(build)
    alk = load_transcript("ALK", build)
    eml4 = load_transcript("EML4", build)
    records: list[tuple[str, int, str]] = []
    expected: list[str] = []
    for number, (name, ref_codon, alt_codon) in enumerate(ALK_PLANTS):
        codon = int(name[1:-1])
        diffs = [i for i in range(3) if ref_codon[i] != alt_codon[i]]
        (offset,) = diffs
        pos = alk.genomic_of((codon - 1) * 3 + 1 + offset)
        ref = sequence.fetch("2", pos, pos)                      # the shipped base, never invented
        alt = _complement(alt_codon[offset]) if alk.strand == "-" else alt_codon[offset]
        translation = translate_variant(alk, sequence, alk_protein(), pos, ref, alt)
        got = translation.protein_change.short if translation.protein_change else None
        if got != name:
            raise SystemExit(f"planted ALK allele {pos} {ref}>{alt} translates to {got}, not {name}")
        if number < 2:   # G1202R + L1196M on one haplotype of phase set 1000
            sample = "0|1:180,95:275:0.345:1000"
            fmt = "GT:AD:DP:AF:PS"
        else:
            sample, fmt = "0/1:300,60:360:0.167", "GT:AD:DP:AF"
        records.append(("chr2", pos, f"chr2\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tDP=300;MQ=60;TLOD=55.1\t{fmt}\t{sample}"))
        expected.append(f"ALK {name}")
    spot = next(h for key, h in sorted(hotspots(build).items()) if h.gene == "MET" and len(key[2]) == 1)
    (chrom, pos, ref, alt) = next(key for key, h in sorted(hotspots(build).items()) if h is spot)
    records.append((f"chr{chrom}", pos, f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tDP=210;MQ=60;TLOD=30.2\t"
                    f"GT:AD:DP:AF\t0/1:170,40:210:0.19"))
    expected.append(f"MET {spot.protein[2:]}")
    met = next(s for s in gene_spans(build) if s.gene == "MET")
    start, end = met.start - 70_000, met.end + 90_000
    records.append((f"chr{met.chrom}", start, f"chr{met.chrom}\t{start}\tcnv1\tN\t<DUP>\t.\tPASS\t"
                    f"SVTYPE=CNV;END={end};CN=12\tGT\t./."))
    expected.append("MET amplification")
    alk_exon19 = next(e for e in alk.exons if e.number == 19)
    alk_exon20 = next(e for e in alk.exons if e.number == 20)
    alk_break = (alk_exon20.end + alk_exon19.start) // 2        # intron 19 (minus strand)
    eml4_13 = next(e for e in eml4.exons if e.number == 13)
    eml4_14 = next(e for e in eml4.exons if e.number == 14)
    eml4_break = (eml4_13.end + eml4_14.start) // 2
    records.append(("chr2", alk_break, f"chr2\t{alk_break}\tbnd_A\tN\tN]chr2:{eml4_break}]\t.\tPASS\t"
                    f"SVTYPE=BND;MATEID=bnd_B\tGT\t0/1"))
    records.append(("chr2", eml4_break, f"chr2\t{eml4_break}\tbnd_B\tN\tN]chr2:{alk_break}]\t.\tPASS\t"
                    f"SVTYPE=BND;MATEID=bnd_A\tGT\t0/1"))
    expected.append("EML4-ALK fusion")
    # keep background records away from ALK exons (the shipped reference) and from hotspot positions
    zones = [("chr2", e.start - 30, e.end + 30) for e in alk.exons]
    zones += [(f"chr{key[0]}", key[1] - 5, key[1] + len(key[2]) + 5) for key in hotspots(build)]
    zones += [(c, p - 5, p + 5) for c, p, _ in records]
    return records, zones, expected


def _tails(rng: random.Random, count: int = 4096) -> list[str]:
    tails = []
    for _ in range(count):
        depth = rng.randint(20, 400)
        alt_reads = max(1, int(depth * rng.choice((0.5, 0.5, 0.45, 1.0, 0.1, 0.3))))
        qual = rng.choice((".", str(rng.randint(30, 3000))))
        filt = "PASS" if rng.random() < 0.9 else "weak_evidence"
        tails.append(f"{qual}\t{filt}\tDP={depth};MQ={rng.choice((60, 60, 59.2, 41.7))};TLOD={rng.uniform(3, 900):.2f}\t"
                     f"GT:AD:DP:AF\t{rng.choice(('0/1', '0/1', '1/1'))}:{depth - alt_reads},{alt_reads}:{depth}:"
                     f"{alt_reads / depth:.3f}")
    return tails


def _alleles(rng: random.Random, count: int = 4096) -> list[tuple[str, str]]:
    out = []
    for _ in range(count):
        ref = rng.choice("ACGT")
        roll = rng.random()
        if roll < 0.9:
            alt = rng.choice([b for b in "ACGT" if b != ref])
        elif roll < 0.95:
            alt = ref + "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 6)))
        else:
            ref, alt = ref + "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 6))), ref
        out.append((ref, alt))
    return out


def _in_zone(zones_by_chrom: dict[str, list[tuple[int, int]]], chrom: str, start: int, end: int) -> bool:
    spans = zones_by_chrom.get(chrom)
    if not spans:
        return False
    i = bisect.bisect_right(spans, (end, 1 << 62))
    return any(s <= end and start <= e for s, e in spans[max(0, i - 3):i])


def write_vcf(path: Path, records: int, kind: str, seed: int = 7) -> list[str]:
    """Write one plain VCF of about ``records`` records; returns the planted findings."""
    sys.path.insert(0, str(ROOT))
    from alkseq.genome.transcript import gene_spans

    rng = random.Random(seed)
    planted, zones, expected = planted_records()
    zones_by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, s, e in zones:
        zones_by_chrom.setdefault(chrom, []).append((s, e))
    for spans in zones_by_chrom.values():
        spans.sort()
    tails, alleles = _tails(rng), _alleles(rng)
    planted_by_chrom: dict[str, list[tuple[int, str]]] = {}
    for chrom, pos, line in planted:
        planted_by_chrom.setdefault(chrom, []).append((pos, line))
    total_length = sum(GRCH38.values())
    background = records - len(planted)
    if kind == "panel":   # a targeted panel: records inside the known genes only
        genes = [s for s in gene_spans("GRCh38")]
        per_gene = background // len(genes)
        positions_by_chrom: dict[str, list[int]] = {}
        for span in genes:
            chosen = set()
            while len(chosen) < per_gene:
                chosen.add(rng.randint(span.start, span.end))
            positions_by_chrom.setdefault("chr" + span.chrom, []).extend(chosen)
        left = background - per_gene * len(genes)
        positions_by_chrom["chr2"].extend(rng.randint(1_000_000, 2_000_000) for _ in range(left))
    contigs = "\n".join(f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in GRCH38.items())
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write(HEADER.format(contigs=contigs))
        for chrom, length in GRCH38.items():
            if kind == "panel":
                positions = sorted(set(positions_by_chrom.get(chrom, [])))
            else:
                count = round(background * length / total_length)
                gap = length / max(count, 1)
                positions, pos = [], 0
                for _ in range(count):
                    pos += 1 + int(rng.expovariate(1.0 / gap))
                    positions.append(pos)
            items: list[tuple[int, str]] = list(planted_by_chrom.get(chrom, []))
            buffer: list[str] = []
            for pos in positions:
                ref, alt = alleles[rng.getrandbits(12)]
                if pos + len(ref) > length or _in_zone(zones_by_chrom, chrom, pos, pos + len(ref)):
                    continue
                buffer.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t{tails[rng.getrandbits(12)]}")
            if items:
                lines = [(int(b.split("\t", 2)[1]), b) for b in buffer] + items
                lines.sort(key=lambda item: item[0])
                buffer = [b for _, b in lines]
            out.write("\n".join(buffer))
            if buffer:
                out.write("\n")
    return expected


def compress_and_index(plain: Path) -> Path:
    gz = plain.with_name(plain.name + ".gz")
    if shutil.which("bgzip") and shutil.which("tabix"):
        with open(gz, "wb") as out:
            subprocess.run(["bgzip", "-@2", "-c", str(plain)], stdout=out, check=True)
        subprocess.run(["tabix", "-f", "-p", "vcf", str(gz)], check=True)
    else:
        import pysam
        pysam.tabix_compress(str(plain), str(gz), force=True)
        pysam.tabix_index(str(gz), preset="vcf", force=True)
    return gz


def to_bcf(gz: Path) -> Path | None:
    """The same records as BGZF-compressed BCF with a CSI index (bcftools), for the BCF rows."""
    if not shutil.which("bcftools"):
        return None
    bcf = gz.with_name(gz.name[:-len(".vcf.gz")] + ".bcf")
    subprocess.run(["bcftools", "view", "--threads", "2", "-Ob", "-o", str(bcf), str(gz)], check=True)
    subprocess.run(["bcftools", "index", "-f", "-c", str(bcf)], check=True)
    return bcf


def generate(names: list[str], out: Path = DATA, force: bool = False, quiet: bool = False) -> dict[str, Path]:
    """Make each named file (plain, .gz, .gz.tbi) unless it is there; returns name → plain path."""
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for name in names:
        plain = out / f"{name}.vcf"
        tbi = out / f"{name}.vcf.gz.tbi"
        if force or not tbi.is_file() or not plain.is_file():
            started = time.perf_counter()
            kind = "panel" if name.startswith("panel") else "genome"
            expected = write_vcf(plain, SIZES[name], kind)
            compress_and_index(plain)
            (out / f"{name}.expected.txt").write_text("\n".join(expected) + "\n")
            if not quiet:
                print(f"wrote {plain} (+ .gz, .tbi) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if not (out / f"{name}.bcf.csi").is_file() or force:
            to_bcf(out / f"{name}.vcf.gz")
        made[name] = plain
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="panel_2k,exome_100k,genome_5M",
                        help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--force", action="store_true", help="rewrite files that exist")
    args = parser.parse_args()
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        parser.error(f"unknown size(s): {', '.join(unknown)}")
    generate(names, args.out, args.force)


if __name__ == "__main__":
    main()
