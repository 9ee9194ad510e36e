"""Phase of ALK mutation pairs on real (small, generated) BAM/CRAM files and VCF phase tags."""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pysam
import pytest
from hypothesis import given, settings, strategies as st

from conftest import SHARED
from alkseq.errors import BuildMismatchError, InputError
from alkseq.genome.phase import (
    phase_from_reads, phase_from_tags, phase_hint_from_vaf, phase_pairs,
)
from alkseq.genome.protein import parse_protein_change
from alkseq.model import Alteration, GenomicVariant, PhaseTag

SHARED_EXONS = SHARED / "genome" / "ALK_exons20-28_with_flanks_plus_strand.fa"
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


# --------------------------------------------------------------------------- fixture builders

def synthetic_reference(length: int = 4000, seed: int = 7) -> str:
    """A random sequence without homopolymers longer than 2 (so indels here cannot slide)."""
    rng = random.Random(seed)
    bases = []
    while len(bases) < length:
        base = rng.choice("ACGT")
        if len(bases) >= 2 and bases[-1] == bases[-2] == base:
            continue
        bases.append(base)
    return "".join(bases)


def other_base(base: str) -> str:
    return COMPLEMENT[base]


class BamBuilder:
    """Collects reads against one contig and writes a sorted, indexed BAM (or CRAM)."""

    def __init__(self, ref: str, contig: str = "chr2", offset: int = 0, contig_length: int | None = None):
        self.ref, self.contig, self.offset = ref, contig, offset
        self.contig_length = contig_length or offset + len(ref)
        self.reads: list[dict] = []
        self.count = 0

    def base(self, pos0: int) -> str:
        return self.ref[pos0 - self.offset]

    def seq(self, start0: int, end0: int, subs: dict[int, str] | None = None) -> str:
        """Reference bases [start0, end0) with substitutions {0-based pos: bases}."""
        out = list(self.ref[start0 - self.offset:end0 - self.offset])
        for pos0, bases in (subs or {}).items():
            for i, b in enumerate(bases):
                if start0 <= pos0 + i < end0:
                    out[pos0 + i - start0] = b
        return "".join(out)

    def add(self, name: str, start0: int, cigar: str, seq: str, *, flag: int = 0, mapq: int = 60,
            quals: list[int] | None = None, mate: tuple[int, int] | None = None) -> None:
        self.reads.append(dict(name=name, start=start0, cigar=cigar, seq=seq, flag=flag, mapq=mapq,
                               quals=quals or [35] * len(seq), mate=mate))

    def single(self, start0: int, length: int, subs=None, **kw) -> str:
        self.count += 1
        name = kw.pop("name", f"r{self.count}")
        self.add(name, start0, f"{length}M", self.seq(start0, start0 + length, subs), **kw)
        return name

    def pair(self, start1: int, start2: int, length: int, subs=None, **kw) -> str:
        """A proper pair: read 1 forward at start1, read 2 reverse at start2."""
        self.count += 1
        name = f"p{self.count}"
        flag = kw.pop("flag", 0)
        self.add(name, start1, f"{length}M", self.seq(start1, start1 + length, subs),
                 flag=0x1 | 0x2 | 0x20 | 0x40 | flag, mate=(start2, start2 + length - start1), **kw)
        self.add(name, start2, f"{length}M", self.seq(start2, start2 + length, subs),
                 flag=0x1 | 0x2 | 0x10 | 0x80 | flag, mate=(start1, -(start2 + length - start1)), **kw)
        return name

    def header(self) -> dict:
        return {"HD": {"VN": "1.6", "SO": "unsorted"},
                "SQ": [{"SN": self.contig, "LN": self.contig_length}]}

    def write(self, path: Path, *, cram_reference: Path | None = None) -> Path:
        unsorted = path.with_suffix(".unsorted.bam")
        with pysam.AlignmentFile(str(unsorted), "wb", header=self.header()) as out:
            for spec in self.reads:
                read = pysam.AlignedSegment(out.header)
                read.query_name = spec["name"]
                read.reference_id = 0
                read.reference_start = spec["start"]
                read.cigarstring = spec["cigar"]
                read.query_sequence = spec["seq"]
                read.query_qualities = pysam.qualitystring_to_array(
                    "".join(chr(q + 33) for q in spec["quals"]))
                read.flag = spec["flag"]
                read.mapping_quality = spec["mapq"]
                if spec["mate"] is not None:
                    read.next_reference_id = 0
                    read.next_reference_start, read.template_length = spec["mate"]
                out.write(read)
        if cram_reference is None:
            pysam.sort("-o", str(path), str(unsorted))
        else:
            pysam.sort("-O", "cram", "--reference", str(cram_reference), "-o", str(path), str(unsorted))
        pysam.index(str(path))
        unsorted.unlink()
        return path


def write_fasta(path: Path, contig: str, seq: str) -> Path:
    with open(path, "w") as handle:
        handle.write(f">{contig}\n")
        for i in range(0, len(seq), 60):
            handle.write(seq[i:i + 60] + "\n")
    pysam.faidx(str(path))
    return path


def snv(builder: BamBuilder, pos1: int) -> GenomicVariant:
    """A G>A-style SNV at 1-based pos1 whose ALT is the complement of the reference base."""
    ref = builder.base(pos1 - 1)
    return GenomicVariant("GRCh38", builder.contig, pos1, ref, other_base(ref))


def alt_sub(variant: GenomicVariant) -> dict[int, str]:
    return {variant.pos - 1: variant.alt}


REF_SEQ = synthetic_reference()
POS_A, POS_B = 1001, 1019          # 18 bp apart, like G1202R (29220747) and L1196M (29220765)


@pytest.fixture
def builder() -> BamBuilder:
    return BamBuilder(REF_SEQ)


def add_classes(b: BamBuilder, va, vb, *, both=0, a_only=0, b_only=0, neither=0, start=960, length=100):
    """Single-end reads covering both positions, in the four classes."""
    for _ in range(both):
        b.single(start, length, {**alt_sub(va), **alt_sub(vb)})
    for _ in range(a_only):
        b.single(start, length, alt_sub(va))
    for _ in range(b_only):
        b.single(start, length, alt_sub(vb))
    for _ in range(neither):
        b.single(start, length)


def counts(evidence) -> tuple[int, int, int, int, int]:
    return (evidence.both, evidence.first_only, evidence.second_only, evidence.neither, evidence.spanning)


# --------------------------------------------------------------------------- verdicts from reads

def test_cis_pair_from_single_reads(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=30, neither=30)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "cis.bam"), va, vb)
    assert phase == "cis"
    assert evidence.source == "reads"
    assert counts(evidence) == (30, 0, 0, 30, 60)


def test_trans_pair(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, a_only=20, b_only=20, neither=20)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "trans.bam"), va, vb)
    assert phase == "trans"
    assert counts(evidence) == (0, 20, 20, 20, 60)


def test_trans_tolerates_a_chimeric_fragment(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=1, a_only=25, b_only=25, neither=10)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "trans1.bam"), va, vb)
    assert phase == "trans"
    assert counts(evidence) == (1, 25, 25, 10, 61)


def test_mixed_pair(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=15, a_only=15, b_only=15, neither=10)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "mixed.bam"), va, vb)
    assert phase == "mixed"
    assert counts(evidence) == (15, 15, 15, 10, 55)


def test_nested_subclone_is_cis(tmp_path, builder):
    """G1202R alone in the ancestral clone, L1196M acquired on that allele: still cis."""
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=20, a_only=12, b_only=1, neither=20)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "nested.bam"), va, vb,
                                       names=("G1202R", "L1196M"))
    assert phase == "cis"
    assert counts(evidence) == (20, 12, 1, 20, 53)
    assert "nested subclone" in evidence.detail and "G1202R" in evidence.detail


def test_too_few_spanning_fragments_is_unknown(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=4, neither=3)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "few.bam"), va, vb)
    assert phase == "unknown"
    assert counts(evidence) == (4, 0, 0, 3, 7)
    assert "need 10" in evidence.detail
    phase, _ = phase_from_reads(tmp_path / "few.bam", va, vb, min_spanning=5)
    assert phase == "cis"


def test_alt_absent_from_spanning_fragments_is_unknown(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, a_only=20, neither=20)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "onlya.bam"), va, vb)
    assert phase == "unknown"
    assert counts(evidence) == (0, 20, 0, 20, 40)


def test_filtered_reads_are_ignored(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=20, neither=20)
    a_only = alt_sub(va)
    for flag in (0x400, 0x100, 0x800, 0x200, 0x4):   # duplicate, secondary, supplementary, QC-fail, unmapped
        for _ in range(10):
            builder.single(960, 100, a_only, flag=flag)
    for _ in range(10):
        builder.single(960, 100, a_only, mapq=5)
    low_quality_at_a = [35] * 100
    low_quality_at_a[POS_A - 1 - 960] = 8
    for _ in range(10):
        builder.single(960, 100, a_only, quals=low_quality_at_a)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "filtered.bam"), va, vb)
    assert phase == "cis"
    assert counts(evidence) == (20, 0, 0, 20, 40)
    for label in ("duplicate", "secondary", "supplementary", "QC-fail", "low MAPQ"):
        assert label in evidence.detail


def test_mates_each_covering_one_position_count_once(tmp_path, builder):
    va, vb = snv(builder, 1001), snv(builder, 1301)       # 300 bp apart, 100 bp reads
    for _ in range(12):
        builder.pair(950, 1250, 100, {**alt_sub(va), **alt_sub(vb)})
    for _ in range(12):
        builder.pair(950, 1250, 100)
    for _ in range(3):   # a mate pair where neither mate reaches B: covers A only
        builder.pair(950, 1100, 100, alt_sub(va))
    phase, evidence = phase_from_reads(builder.write(tmp_path / "mates.bam"), va, vb)
    assert phase == "cis"
    assert counts(evidence) == (12, 0, 0, 12, 24)


def test_overlapping_mates_count_once_and_disagreeing_mates_are_dropped(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    for _ in range(10):   # both mates cover both positions
        builder.pair(960, 980, 100, {**alt_sub(va), **alt_sub(vb)})
    for _ in range(10):
        builder.pair(960, 980, 100, alt_sub(va))
    for _ in range(10):
        builder.pair(960, 980, 100, alt_sub(vb))
    for _ in range(4):    # mates disagree at A: uninformative fragment
        name = f"disagree{_}"
        builder.add(name, 960, "100M", builder.seq(960, 1060, alt_sub(va)), flag=0x1 | 0x40, mate=(980, 120))
        builder.add(name, 980, "100M", builder.seq(980, 1080), flag=0x1 | 0x80 | 0x10, mate=(960, -120))
    phase, evidence = phase_from_reads(builder.write(tmp_path / "overlap.bam"), va, vb)
    assert phase == "mixed"
    assert counts(evidence) == (10, 10, 10, 0, 30)


def test_positions_too_far_apart_are_unknown_with_reason(tmp_path, builder):
    va, vb = snv(builder, 1001), snv(builder, 3001)       # 2 kb apart, 350 bp fragments
    for _ in range(20):
        builder.pair(950, 1200, 100, {**alt_sub(va), **alt_sub(vb)})
        builder.pair(2800, 2950, 100, {**alt_sub(va), **alt_sub(vb)})
    phase, evidence = phase_from_reads(builder.write(tmp_path / "far.bam"), va, vb)
    assert phase == "unknown"
    assert counts(evidence) == (0, 0, 0, 0, 0)
    assert "no fragment spans both positions" in evidence.detail
    assert "2000 bp apart" in evidence.detail
    assert "20 fragments cover" in evidence.detail


def test_spliced_rna_reads_phase_across_exons(tmp_path, builder):
    """60M940N60M: exon 1 [1000,1060), exon 2 [2000,2060); positions in both exons and one in the intron."""
    va, vb, intronic = snv(builder, 1021), snv(builder, 2031), snv(builder, 1501)
    for subs in [{**alt_sub(va), **alt_sub(vb)}] * 15 + [{}] * 15:
        seq = builder.seq(1000, 1060, subs) + builder.seq(2000, 2060, subs)
        builder.add(f"rna{len(builder.reads)}", 1000, "60M940N60M", seq)
    bam = builder.write(tmp_path / "rna.bam")
    phase, evidence = phase_from_reads(bam, va, vb)
    assert phase == "cis"
    assert counts(evidence) == (15, 0, 0, 15, 30)
    # the intron lies inside every read's reference span but no base is aligned there
    phase, evidence = phase_from_reads(bam, va, intronic)
    assert phase == "unknown"
    assert evidence.spanning == 0
    assert "0 cover" in evidence.detail


def test_mnv_needs_every_base(tmp_path, builder):
    ref2 = builder.seq(POS_A - 1, POS_A + 1)
    mnv = GenomicVariant("GRCh38", "chr2", POS_A, ref2, "".join(other_base(x) for x in ref2))
    vb = snv(builder, POS_B)
    add_classes(builder, mnv, vb, both=12, neither=12)
    for _ in range(8):    # only the first base of the MNV changed: neither REF nor ALT
        builder.single(960, 100, {POS_A - 1: mnv.alt[0], **alt_sub(vb)})
    phase, evidence = phase_from_reads(builder.write(tmp_path / "mnv.bam"), mnv, vb)
    assert phase == "cis"
    assert counts(evidence) == (12, 0, 0, 12, 24)


def deletion_read(b: BamBuilder, start0: int, del0: int, del_len: int, end0: int, subs=None):
    """A read over [start0, end0) with the reference bases [del0, del0+del_len) deleted."""
    seq = b.seq(start0, del0, subs) + b.seq(del0 + del_len, end0, subs)
    b.add(f"d{len(b.reads)}", start0, f"{del0 - start0}M{del_len}D{end0 - del0 - del_len}M", seq)


def test_deletion_in_trans_with_snv(tmp_path, builder):
    anchor0 = POS_A - 1
    deletion = GenomicVariant("GRCh38", "chr2", POS_A, builder.seq(anchor0, anchor0 + 4),
                              builder.seq(anchor0, anchor0 + 1))
    vb = snv(builder, 1031)
    for _ in range(12):
        deletion_read(builder, 960, anchor0 + 1, 3, 1063)
    add_classes(builder, deletion, vb, b_only=12, neither=12)
    for _ in range(5):   # deletion reads ending before the right anchor: uninformative at A
        deletion_read(builder, 960, anchor0 + 1, 3, anchor0 + 4)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "del.bam"), deletion, vb)
    assert phase == "trans"
    assert counts(evidence) == (0, 12, 12, 12, 36)


def test_insertion_in_cis_with_snv(tmp_path, builder):
    anchor0 = POS_A - 1
    anchor = builder.base(anchor0)
    insertion = GenomicVariant("GRCh38", "chr2", POS_A, anchor, anchor + "GTA")
    vb = snv(builder, POS_B)
    for _ in range(14):
        left = builder.seq(960, anchor0 + 1)
        right = builder.seq(anchor0 + 1, 1060, alt_sub(vb))
        builder.add(f"i{len(builder.reads)}", 960, f"{len(left)}M3I{len(right)}M", left + "GTA" + right)
    add_classes(builder, insertion, vb, neither=14)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "ins.bam"), insertion, vb)
    assert phase == "cis"
    assert counts(evidence) == (14, 0, 0, 14, 28)


def test_deletion_shifted_in_a_repeat_needs_the_fasta(tmp_path):
    """VCF left-aligns 'GA>G' in GAAAAC; the aligner put the deletion on the last A."""
    seq = list(synthetic_reference())
    run0 = 1000                                  # seq[1000] = G anchor, 1001..1005 = AAAAA, 1006 = C
    seq[run0:run0 + 7] = list("GAAAAAC")
    ref = "".join(seq)
    builder = BamBuilder(ref)
    fasta = write_fasta(tmp_path / "ref.fa", "chr2", ref)
    deletion = GenomicVariant("GRCh38", "chr2", run0 + 1, "GA", "G")
    vb = snv(builder, 1031)
    for _ in range(12):   # ALT reads with the deletion placed at the right end of the run
        deletion_read(builder, 960, run0 + 5, 1, 1063, alt_sub(vb))
    add_classes(builder, deletion, vb, neither=12)
    bam = builder.write(tmp_path / "repeat.bam")
    phase, evidence = phase_from_reads(bam, deletion, vb, fasta=fasta)
    assert phase == "cis"
    assert counts(evidence) == (12, 0, 0, 12, 24)
    # without the FASTA the shifted reads must not be mistaken for REF
    phase, evidence = phase_from_reads(bam, deletion, vb)
    assert evidence.both == 0 and evidence.second_only == 0
    assert evidence.neither == 12


def test_cram_with_bare_contig_names(tmp_path):
    builder = BamBuilder(REF_SEQ, contig="2")
    fasta = write_fasta(tmp_path / "ref2.fa", "2", REF_SEQ)
    va = GenomicVariant("GRCh38", "chr2", POS_A, REF_SEQ[POS_A - 1], other_base(REF_SEQ[POS_A - 1]))
    vb = GenomicVariant("GRCh38", "chr2", POS_B, REF_SEQ[POS_B - 1], other_base(REF_SEQ[POS_B - 1]))
    add_classes(builder, va, vb, a_only=11, b_only=13, neither=5)
    cram = builder.write(tmp_path / "trans.cram", cram_reference=fasta)
    phase, evidence = phase_from_reads(cram, va, vb, fasta=fasta)
    assert phase == "trans"
    assert counts(evidence) == (0, 11, 13, 5, 29)
    with pytest.raises(InputError, match="CRAM needs its reference"):
        phase_from_reads(cram, va, vb)


def test_wrong_build_and_bad_files_raise_alkseq_errors(tmp_path, builder):
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=10)
    bam = builder.write(tmp_path / "ok.bam")
    fasta = write_fasta(tmp_path / "ref.fa", "chr2", REF_SEQ)
    wrong_ref = GenomicVariant("GRCh37", "chr2", POS_A, other_base(va.ref), va.ref)
    with pytest.raises(BuildMismatchError, match="ref.fa"):
        phase_from_reads(bam, wrong_ref, vb, fasta=fasta)
    # a FASTA without the contig (e.g. a transcript FASTA given for translation) is set aside for a BAM
    transcript_fasta = write_fasta(tmp_path / "tx.fa", "ALK_exon23", REF_SEQ[:500])
    phase, evidence = phase_from_reads(bam, va, vb, fasta=transcript_fasta)
    assert phase == "cis" and "lacks chr2" in evidence.detail
    with pytest.raises(InputError, match="not in the header"):
        phase_from_reads(bam, GenomicVariant(None, "chr7", 10, "A", "C"),
                         GenomicVariant(None, "chr7", 20, "A", "C"))
    with pytest.raises(InputError, match="not found"):
        phase_from_reads(tmp_path / "missing.bam", va, vb)
    no_index = tmp_path / "noindex.bam"
    no_index.write_bytes(bam.read_bytes())
    with pytest.raises(InputError, match="no index"):
        phase_from_reads(no_index, va, vb)
    garbage = tmp_path / "garbage.bam"
    garbage.write_text("not a bam\n")
    with pytest.raises(InputError, match="garbage.bam"):
        phase_from_reads(garbage, va, vb)
    with pytest.raises(InputError, match="sequence alleles"):
        phase_from_reads(bam, GenomicVariant(None, "chr2", POS_A, va.ref, "<DEL>"), vb)


@pytest.mark.shared
def test_real_alk_exon23_g1202r_l1196m_in_cis(tmp_path):
    """Real GRCh38 plus-strand sequence of ALK exon 23: G1202R c.3604G>A is chr2:29220747 C>T,
    L1196M c.3586C>A is chr2:29220765 G>T (codon table in /work/shared/genome)."""
    records = {}
    for record in pysam.FastxFile(str(SHARED_EXONS)):
        records[record.name] = (record.comment, record.sequence)
    comment, exon23 = records["ALK_exon23"]
    start1 = int(comment.split("chr2:")[1].split("-")[0])      # GRCh38 1-based start of the sequence
    builder = BamBuilder(exon23, offset=start1 - 1, contig_length=242193529)
    g1202r = GenomicVariant("GRCh38", "chr2", 29220747, "C", "T")
    l1196m = GenomicVariant("GRCh38", "chr2", 29220765, "G", "T")
    assert builder.base(g1202r.pos - 1) == "C" and builder.base(l1196m.pos - 1) == "G"
    subs = {g1202r.pos - 1: "T", l1196m.pos - 1: "T"}
    for _ in range(25):
        builder.single(start1 - 1 + 10, 120, subs)
        builder.single(start1 - 1 + 20, 120)
    phase, evidence = phase_from_reads(builder.write(tmp_path / "alk.bam"), g1202r, l1196m)
    assert phase == "cis"
    assert counts(evidence) == (25, 0, 0, 25, 50)


# --------------------------------------------------------------------------- VCF tags and VAF hint

def alk(change: str, *, phase=None, vaf=None, genomic=None, gene="ALK") -> Alteration:
    _, protein_change = parse_protein_change(change)
    return Alteration(gene=gene, kind="mutation", protein_change=protein_change, phase=phase,
                      vaf=vaf, genomic=genomic)


def test_phase_from_tags():
    cis_a = alk("G1202R", phase=PhaseTag("29220747", 1, "vcf_ps"))
    cis_b = alk("L1196M", phase=PhaseTag("29220747", 1, "vcf_ps"))
    trans_b = alk("L1196M", phase=PhaseTag("29220747", 0, "mutect2_pgt"))
    other_set = alk("L1196M", phase=PhaseTag("29100000", 1, "vcf_ps"))
    untagged = alk("L1196M")
    phase, evidence = phase_from_tags(cis_a, cis_b)
    assert phase == "cis" and evidence.source == "vcf" and "29220747" in evidence.detail
    phase, evidence = phase_from_tags(cis_a, trans_b)
    assert phase == "trans" and "mutect2_pgt" in evidence.detail
    assert phase_from_tags(cis_a, other_set) is None
    assert phase_from_tags(cis_a, untagged) is None
    mnv_a = alk("G1202R", phase=PhaseTag("mnv:chr2:29220747", 0, "mnv"))
    mnv_b = alk("G1202K", phase=PhaseTag("mnv:chr2:29220747", 0, "mnv"))
    assert phase_from_tags(mnv_a, mnv_b)[0] == "cis"


def test_vaf_hint():
    phase, evidence = phase_hint_from_vaf(0.62, 0.55)
    assert phase == "cis" and evidence.source == "vaf_hint"
    assert evidence.detail.startswith("hint only")
    phase, evidence = phase_hint_from_vaf(0.30, 0.25)
    assert phase == "unknown" and evidence.source == "vaf_hint" and "hint" in evidence.detail
    assert phase_hint_from_vaf(0.52, 0.51)[0] == "unknown"     # within the sampling margin
    assert phase_hint_from_vaf(None, 0.9)[0] == "unknown"


# --------------------------------------------------------------------------- per sample

def test_phase_pairs_prefers_tags_then_reads_then_vaf(tmp_path, builder):
    va, vb, vc = snv(builder, 1001), snv(builder, 1019), snv(builder, 1045)
    add_classes(builder, va, vb, both=20, neither=20, length=80)       # [960, 1040): C not covered
    bam = builder.write(tmp_path / "sample.bam")
    g1202r = alk("G1202R", genomic=va, vaf=0.3, phase=PhaseTag("ps1", 0, "vcf_ps"))
    l1196m = alk("L1196M", genomic=vb, vaf=0.3)
    i1171n = alk("I1171N", genomic=vc, vaf=0.8, phase=PhaseTag("ps1", 1, "vcf_ps"))
    outside = alk("R1050H", genomic=vc)                 # ALK but before the kinase domain
    other_gene = alk("G12C", gene="KRAS")
    synonymous = alk("G1269=")
    compounds = phase_pairs([g1202r, l1196m, i1171n, outside, other_gene, synonymous], bam=bam)
    by_key = {c.key: c for c in compounds}
    assert set(by_key) == {"I1171N+L1196M", "I1171N+G1202R", "L1196M+G1202R"}
    assert by_key["I1171N+G1202R"].phase == "trans"               # tags: same set, other haplotype
    assert by_key["I1171N+G1202R"].evidence.source == "vcf"
    assert by_key["L1196M+G1202R"].phase == "cis"                 # reads
    assert by_key["L1196M+G1202R"].evidence.source == "reads"
    assert by_key["L1196M+G1202R"].evidence.first_only == 0
    assert by_key["I1171N+L1196M"].phase == "cis"                 # reads say nothing; VAF 0.8+0.3
    assert by_key["I1171N+L1196M"].evidence.source == "vaf_hint"
    assert "no fragment spans" in by_key["I1171N+L1196M"].evidence.detail


def test_phase_pairs_groups_three_mutations_in_cis(tmp_path, builder):
    va, vb, vc = snv(builder, 1001), snv(builder, 1019), snv(builder, 1040)
    subs = {**alt_sub(va), **alt_sub(vb), **alt_sub(vc)}
    for _ in range(15):
        builder.single(960, 100, subs)
        builder.single(960, 100)
    bam = builder.write(tmp_path / "three.bam")
    mutations = [alk("G1202R", genomic=va), alk("L1196M", genomic=vb), alk("I1171N", genomic=vc)]
    compounds = phase_pairs(mutations, bam=bam)
    assert [c.key for c in compounds] == ["I1171N+L1196M", "I1171N+G1202R", "L1196M+G1202R",
                                          "I1171N+L1196M+G1202R"]
    assert all(c.phase == "cis" for c in compounds)
    assert compounds[-1].evidence.source == "reads"


def test_phase_pairs_without_evidence_and_with_one_mutation():
    assert phase_pairs([alk("G1202R")]) == []
    (compound,) = phase_pairs([alk("G1202R", vaf=0.2), alk("L1196M", vaf=0.1)])
    assert compound.names == ("L1196M", "G1202R")
    assert compound.phase == "unknown" and compound.evidence.source == "none"
    (compound,) = phase_pairs([alk("G1202R"), alk("L1196M")])
    assert compound.phase == "unknown"


# --------------------------------------------------------------------------- property


@settings(max_examples=25, deadline=None)
@given(st.tuples(*[st.integers(0, 12)] * 4))
def test_counts_round_trip_and_verdicts_never_contradict_them(classes):
    """Whatever the mix, every fragment lands in its class; cis needs 'both', trans needs both singles."""
    both, a_only, b_only, neither = classes
    builder = BamBuilder(REF_SEQ)
    va, vb = snv(builder, POS_A), snv(builder, POS_B)
    add_classes(builder, va, vb, both=both, a_only=a_only, b_only=b_only, neither=neither)
    with tempfile.TemporaryDirectory() as tmp:
        if not builder.reads:
            builder.single(2000, 50)     # an index needs at least one read somewhere
        phase, evidence = phase_from_reads(builder.write(Path(tmp) / "p.bam"), va, vb)
    assert counts(evidence) == (both, a_only, b_only, neither, sum(classes))
    if phase in ("cis", "mixed"):
        assert both >= 2
    if phase in ("trans", "mixed"):
        assert a_only >= 2 and b_only >= 2
    if sum(classes) < 10:
        assert phase == "unknown"


# --------------------------------------------------------------------------- end to end with the VCF reader

VCF_HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr2,length=242193529>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR
"""


def g1202r_l1196m_vcf(path: Path, genotype: str, phase_set: str) -> Path:
    """G1202R (c.3604G>A, chr2:29220747 C>T) and L1196M (c.3586C>A, chr2:29220765 G>T), GRCh38."""
    rows = [f"chr2\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:PS:AF\t{genotype}:{phase_set}:0.3"
            for pos, ref, alt in ((29220747, "C", "T"), (29220765, "G", "T"))]
    path.write_text(VCF_HEADER + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("genotypes, expected", [(("0|1", "0|1"), "cis"), (("0|1", "1|0"), "trans")])
def test_phased_vcf_through_the_reader(tmp_path, genotypes, expected):
    from alkseq import readers

    vcf = tmp_path / "phased.vcf"
    rows = [f"chr2\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:PS:AF\t{gt}:29220747:0.3"
            for (pos, ref, alt), gt in zip(((29220747, "C", "T"), (29220765, "G", "T")), genotypes)]
    vcf.write_text(VCF_HEADER + "\n".join(rows) + "\n")
    (sample,) = readers.read_input(vcf)
    (compound,) = phase_pairs(sample.alterations)
    assert compound.names == ("L1196M", "G1202R")
    assert compound.phase == expected and compound.evidence.source == "vcf"


def test_unphased_vcf_with_reads_through_the_reader(tmp_path):
    from alkseq import readers

    vcf = g1202r_l1196m_vcf(tmp_path / "unphased.vcf", "0/1", ".")
    offset = 29220600                                   # synthetic bases around exon 23, real coordinates
    seq = list(synthetic_reference(400, seed=3))
    seq[29220747 - 1 - offset], seq[29220765 - 1 - offset] = "C", "G"
    builder = BamBuilder("".join(seq), offset=offset, contig_length=242193529)
    g1202r = GenomicVariant("GRCh38", "chr2", 29220747, "C", "T")
    l1196m = GenomicVariant("GRCh38", "chr2", 29220765, "G", "T")
    add_classes(builder, g1202r, l1196m, a_only=15, b_only=12, neither=20, start=29220700)
    bam = builder.write(tmp_path / "unphased.bam")
    (sample,) = readers.read_input(vcf)
    (compound,) = phase_pairs(sample.alterations, bam=bam)
    assert compound.names == ("L1196M", "G1202R")
    assert compound.phase == "trans" and compound.evidence.source == "reads"
    # first = lower residue = L1196M (chr2:29220765), second = G1202R
    assert counts(compound.evidence) == (0, 12, 15, 20, 47)
