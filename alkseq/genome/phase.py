"""Cis/trans phase of ALK kinase-domain mutation pairs: from VCF tags, from reads, from VAFs.

Why it matters: G1202R+L1196M on one allele (cis) escapes every approved ALK TKI;
the same two mutations on different molecules (trans) are two subclones that may
each be covered by some drug.  Evidence is used in this order (``phase_pairs``):

1. **VCF phase tags** (``phase_from_tags``): the VCF reader turns phased GT+PS,
   Mutect2 PGT/PID and MNV records into ``PhaseTag(phase_set, haplotype)``.
   Same phase set and same haplotype → cis; same set, other haplotype → trans;
   different or missing sets say nothing (``None``).
2. **Reads** (``phase_from_reads``): every fragment (reads merged by query name,
   so mates that each cover one position make one fragment) that is informative
   at both positions is put in one of four classes: carries both ALT alleles
   (``both``), only the first (``first_only``), only the second
   (``second_only``), neither (``neither``).  Reads are skipped when unmapped,
   secondary, supplementary, QC-fail, duplicate, below ``min_mapping_quality``,
   or below ``min_base_quality`` at any base of the allele.  A read is
   informative at a position only if its aligned blocks (CIGAR M/=/X, walked
   op by op, never the reference span) place bases there, so spliced RNA reads
   (``N``) phase across exons and an intron under an ``N`` counts as uncovered.
   SNVs and MNVs need every base of the allele to match; indels and delins are
   read as the query sequence between two aligned anchor bases flanking the
   allele, compared with the VCF REF and ALT (with ``fasta`` the window widens
   over the repeat the indel could slide in, so aligner placement does not
   matter; without it, a read that looks REF but has an indel within 10 bases
   is taken as uninformative rather than REF).  Bases matching neither allele,
   and mates that disagree, make the fragment uninformative at that position.

   **Decision rule.**  Let ``alt = both + first_only + second_only`` (fragments
   carrying any ALT).  A class is *substantial* when it holds at least
   ``min_class_fragments`` fragments and at least ``min_class_fraction`` of
   ``alt`` (defaults 2 and 10 %: a margin for sequencing errors and PCR
   chimeras, which make a few fragments of the wrong class).

   - ``unknown`` when fewer than ``min_spanning`` fragments are informative at
     both positions (including the case where no fragment can span them, e.g.
     exons 22 and 25 in DNA), or fewer than ``min_class_fragments`` carry any ALT.
   - ``cis`` when ``both`` is substantial and at most one single-ALT class is:
     the two mutations ride on one molecule; one single class may remain
     because the earlier mutation can also persist alone in an ancestral clone
     (nested subclone), which is what unequal VAFs look like.
   - ``trans`` when ``both`` is not substantial and both single-ALT classes
     are: the mutations are on different molecules (alleles or subclones).
   - ``mixed`` when all three ALT classes are substantial: a cis compound and
     separate single-mutant molecules coexist.
   - ``unknown`` otherwise (e.g. one mutation's ALT is absent from the
     fragments that span both positions).

3. **VAF hint** (``phase_hint_from_vaf``): if VAF(a) + VAF(b) > 1 + ``margin``
   then, by pigeonhole, some molecules must carry both ALTs (given unbiased VAFs
   from the same molecules: heterozygous-diploid or not) → ``cis`` labelled as a
   hint with source ``vaf_hint``.  A smaller sum allows both cis and trans, so it
   gives ``unknown``.  Never read evidence; the report must say so.

Coordinates are ``GenomicVariant`` (VCF-style 1-based ``pos``, VCF alleles, plus
strand).  BAM/CRAM contigs may be named ``chr2`` or ``2``; both are accepted.
pysam is imported lazily, inside the functions that read files.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import cast

from alkseq.errors import BuildMismatchError, InputError
from alkseq.model import ALK_KINASE_DOMAIN as KINASE_DOMAIN
from alkseq.model import dataclass  # frozen records without code generation at import
from alkseq.model import Alteration, Compound, GenomicVariant, Phase, PhaseEvidence, ProteinChange


# BAM flag bits (SAM spec §1.4) that take a read out of phasing.
_UNMAPPED, _SECONDARY, _QCFAIL, _DUPLICATE, _SUPPLEMENTARY = 0x4, 0x100, 0x200, 0x400, 0x800
_SKIP_FLAGS = _UNMAPPED | _SECONDARY | _QCFAIL | _DUPLICATE | _SUPPLEMENTARY

# Per-read allele states.
ALT, REF, OTHER = "alt", "ref", "other"
_DELETED = -1   # sentinel from _query_index: the reference base sits in a deletion


# --------------------------------------------------------------------------- VCF tags

def phase_from_tags(a: Alteration, b: Alteration) -> tuple[str, PhaseEvidence] | None:
    """Phase two alterations from their VCF ``PhaseTag``s; ``None`` when the tags say nothing."""
    tag_a, tag_b = a.phase, b.phase
    if tag_a is None or tag_b is None or tag_a.phase_set != tag_b.phase_set:
        return None
    if a.genomic is not None and b.genomic is not None \
            and _bare_contig(a.genomic.chrom) != _bare_contig(b.genomic.chrom):
        return None   # phase sets are per chromosome
    phase = "cis" if tag_a.haplotype == tag_b.haplotype else "trans"
    sources = sorted({tag_a.source, tag_b.source})
    detail = (f"VCF phase set {tag_a.phase_set} ({'/'.join(sources)}): "
              f"{a.name} on haplotype {tag_a.haplotype}, {b.name} on haplotype {tag_b.haplotype}")
    return phase, PhaseEvidence(source="vcf", detail=detail)


# --------------------------------------------------------------------------- VAF hint

def phase_hint_from_vaf(vaf_a: float | None, vaf_b: float | None, *,
                        margin: float = 0.05) -> tuple[str, PhaseEvidence]:
    """A labelled hint, never read evidence: VAFs summing above 1 force some molecules to carry both."""
    if vaf_a is None or vaf_b is None:
        return "unknown", PhaseEvidence(source="vaf_hint",
                                        detail="hint only: a VAF is missing, no phase hint")
    total = vaf_a + vaf_b
    if total > 1.0 + margin:
        detail = (f"hint only, not read evidence: VAFs {vaf_a:.2f} + {vaf_b:.2f} = {total:.2f} > 1, "
                  f"so at least {total - 1:.2f} of molecules should carry both ALT alleles "
                  "(assumes unbiased VAFs measured on the same molecules); likely cis, "
                  "a trans population may coexist")
        return "cis", PhaseEvidence(source="vaf_hint", detail=detail)
    detail = (f"hint only: VAFs {vaf_a:.2f} + {vaf_b:.2f} = {total:.2f} <= {1 + margin:.2f}; "
              "cis and trans are both possible, reads are needed")
    return "unknown", PhaseEvidence(source="vaf_hint", detail=detail)


# --------------------------------------------------------------------------- reads

@dataclass(frozen=True)
class _AlleleProbe:
    """What to compare in each read for one variant (0-based, half-open reference window)."""

    variant: GenomicVariant
    substitution: bool
    start: int          # first reference base compared
    end: int            # one past the last reference base compared
    ref_hap: str
    alt_hap: str
    guard: int = 0      # without a FASTA: an indel this close makes a non-ALT read OTHER, not REF


def phase_from_reads(bam_path: str | Path, a: GenomicVariant, b: GenomicVariant, *,
                     fasta: str | Path | None = None,
                     min_base_quality: int = 20,
                     min_mapping_quality: int = 20,
                     min_spanning: int = 10,
                     min_class_fragments: int = 2,
                     min_class_fraction: float = 0.10,
                     names: tuple[str, str] | None = None) -> tuple[str, PhaseEvidence]:
    """Count fragments carrying both/first/second/neither ALT and decide the phase (rule: module doc).

    ``bam_path`` is an indexed BAM or CRAM (``fasta`` is needed for CRAM and makes
    indel matching repeat-aware).  ``names`` label the two variants in the detail text.
    """
    label_a, label_b = names or (_variant_label(a), _variant_label(b))
    if _bare_contig(a.chrom) != _bare_contig(b.chrom):
        return "unknown", PhaseEvidence(
            source="reads", detail=f"{label_a} and {label_b} are on different chromosomes")

    alignments = _open_alignments(bam_path, fasta)
    reference = None
    try:
        contig = _resolve_contig(a.chrom, alignments.references, bam_path)
        notes = []
        if fasta is not None:
            reference = _open_fasta(fasta)
            if not alignments.is_cram and not _has_contig(a.chrom, reference.references):
                reference.close()   # e.g. a transcript FASTA given for translation: not usable here
                reference = None
                notes.append(f"FASTA {fasta} lacks {a.chrom}: indels matched without a repeat window")
        probe_a = _make_probe(a, reference, bam_path, fasta)
        probe_b = _make_probe(b, reference, bam_path, fasta)
        filtered: dict[str, int] = {}
        skipped: set = set()
        obs_a, obs_b = (_observe(alignments, contig, probe, min_base_quality, min_mapping_quality,
                                 filtered, skipped) for probe in (probe_a, probe_b))
    except (OSError, ValueError) as error:   # pysam reports corrupt input this way
        raise InputError(f"cannot read alignments: {error}", path=str(bam_path)) from error
    finally:
        _close_quietly(alignments, reference)

    counts = {"both": 0, "first_only": 0, "second_only": 0, "neither": 0}
    for fragment in obs_a.keys() & obs_b.keys():
        state_a, state_b = obs_a[fragment], obs_b[fragment]
        if state_a not in (ALT, REF) or state_b not in (ALT, REF):
            continue
        if state_a == ALT and state_b == ALT:
            counts["both"] += 1
        elif state_a == ALT:
            counts["first_only"] += 1
        elif state_b == ALT:
            counts["second_only"] += 1
        else:
            counts["neither"] += 1
    spanning = sum(counts.values())

    phase, reason = _decide(counts, spanning, min_spanning, min_class_fragments, min_class_fraction,
                            label_a, label_b)
    if spanning == 0:
        detail = _unspanned_reason(a, b, obs_a, obs_b, label_a, label_b)
    else:
        detail = (f"{reason}. {spanning} fragments span both (both ALT {counts['both']}, "
                  f"{label_a} only {counts['first_only']}, {label_b} only {counts['second_only']}, "
                  f"neither {counts['neither']}); fragments informative at {label_a}: "
                  f"{_informative(obs_a)}, at {label_b}: {_informative(obs_b)}")
    if notes:
        detail += "; " + "; ".join(notes)
    if filtered:
        detail += "; reads skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(filtered.items()))
    return phase, PhaseEvidence(source="reads", both=counts["both"], first_only=counts["first_only"],
                                second_only=counts["second_only"], neither=counts["neither"],
                                spanning=spanning, detail=detail)


def _decide(counts: dict[str, int], spanning: int, min_spanning: int, min_class_fragments: int,
            min_class_fraction: float, label_a: str, label_b: str) -> tuple[str, str]:
    """The decision rule of the module docstring, with the sentence that justifies it."""
    if spanning < min_spanning:
        return "unknown", f"only {spanning} fragments informative at both positions (need {min_spanning})"
    alt = counts["both"] + counts["first_only"] + counts["second_only"]
    if alt < min_class_fragments:
        return "unknown", f"only {alt} spanning fragments carry either ALT allele"

    def substantial(name: str) -> bool:
        return counts[name] >= min_class_fragments and counts[name] >= min_class_fraction * alt

    both, first, second = substantial("both"), substantial("first_only"), substantial("second_only")
    if both and first and second:
        return "mixed", "fragments with both ALTs and fragments with each ALT alone are all substantial"
    if both:
        nested = ""
        if first:
            nested = f"; {label_a} also alone (nested subclone: {label_b} arose on a {label_a} allele)"
        elif second:
            nested = f"; {label_b} also alone (nested subclone: {label_a} arose on a {label_b} allele)"
        return "cis", f"fragments carry both ALT alleles together{nested}"
    if first and second:
        return "trans", "each ALT allele seen alone, (almost) never together"
    missing = label_b if first else label_a if second else f"{label_a} and {label_b}"
    return "unknown", f"ALT of {missing} too rare among spanning fragments to decide"


def _unspanned_reason(a: GenomicVariant, b: GenomicVariant, obs_a: dict, obs_b: dict,
                      label_a: str, label_b: str) -> str:
    """Why no fragment spans both: say how far apart they are and what does cover each."""
    distance = abs(b.pos - a.pos)
    cover_a, cover_b = _informative(obs_a), _informative(obs_b)
    text = (f"no fragment spans both positions ({distance} bp apart on the reference; "
            f"{cover_a} fragments cover {label_a}, {cover_b} cover {label_b})")
    if cover_a and cover_b:
        return text + ": too far apart for these fragments, phase cannot be read"
    return text + ": no informative reads at one position (no coverage, or wrong build/contig?)"


def _informative(observations: dict[str, str]) -> int:
    return sum(1 for state in observations.values() if state in (ALT, REF))


def _observe(alignments, contig: str, probe: _AlleleProbe, min_base_quality: int,
             min_mapping_quality: int, filtered: dict[str, int], skipped: set) -> dict[str, str]:
    """Allele state per fragment (query name) at one variant; mates that disagree → "conflict".

    ``filtered`` counts skipped reads by reason, once per read (``skipped`` remembers them).
    """
    states: dict[str, str] = {}
    seen_reads: set[tuple[str, int]] = set()
    for read in alignments.fetch(contig, probe.start, probe.end):
        flag = read.flag
        if flag & _SKIP_FLAGS or read.mapping_quality < min_mapping_quality:
            key = (read.query_name, flag, read.reference_start)
            if key not in skipped:
                skipped.add(key)
                _count_skip(flag, read.mapping_quality < min_mapping_quality, filtered)
            continue
        name = read.query_name
        mate_key = (name, flag & 0xC0)
        if mate_key in seen_reads:
            continue   # the same mate twice (should not happen after the flag filter)
        seen_reads.add(mate_key)
        state = _read_state(read, probe, min_base_quality)
        if state is None:
            continue
        previous = states.get(name)
        if previous is None or previous == state:
            states[name] = state
        elif previous == OTHER:
            states[name] = state if state in (ALT, REF) else OTHER
        elif state != OTHER:
            states[name] = "conflict"   # mates disagree: trust neither
    return states


def _count_skip(flag: int, low_mapq: bool, filtered: dict[str, int]) -> None:
    for bit, label in ((_UNMAPPED, "unmapped"), (_SECONDARY, "secondary"),
                       (_SUPPLEMENTARY, "supplementary"), (_QCFAIL, "QC-fail"),
                       (_DUPLICATE, "duplicate")):
        if flag & bit:
            filtered[label] = filtered.get(label, 0) + 1
            return
    if low_mapq:
        filtered["low MAPQ"] = filtered.get("low MAPQ", 0) + 1


def _read_state(read, probe: _AlleleProbe, min_base_quality: int) -> str | None:
    """ALT/REF/OTHER for one read at one variant, or None if it does not cover it well."""
    cigar = read.cigartuples
    if not cigar:
        return None
    ref_start = read.reference_start
    sequence = read.query_sequence
    qualities = read.query_qualities
    if sequence is None:
        return None
    if probe.substitution:
        first = _query_index(cigar, ref_start, probe.start)
        if first is None or first == _DELETED:
            return None if first is None else OTHER
        length = probe.end - probe.start
        for offset in range(1, length):
            if _query_index(cigar, ref_start, probe.start + offset) != first + offset:
                return None   # allele interrupted by an indel, splice or read end
        low, high = first, first + length
    else:
        left = _query_index(cigar, ref_start, probe.start - 1)
        right = _query_index(cigar, ref_start, probe.end)
        if left is None or right is None or left == _DELETED or right == _DELETED:
            return None   # need an aligned anchor base on each side of the indel
        low, high = left + 1, right
    if qualities is not None and high > low and min(qualities[low:high]) < min_base_quality:
        return None
    bases = sequence[low:high].upper()
    if bases == probe.alt_hap:
        return ALT
    if bases == probe.ref_hap:
        if probe.guard and _indel_near(cigar, ref_start, probe.start - probe.guard, probe.end + probe.guard):
            return OTHER   # the indel may sit shifted in a repeat we cannot see without the FASTA
        return REF
    return OTHER


def _indel_near(cigar, ref_start: int, low: int, high: int) -> bool:
    """Does the read carry an insertion or deletion touching reference [low, high)?"""
    ref = ref_start
    for op, length in cigar:
        if op == 1 and low <= ref <= high:
            return True
        if op == 2 and ref < high and ref + length > low:
            return True
        if op in (0, 2, 3, 7, 8):
            ref += length
        if ref > high:
            break
    return False


def _query_index(cigar, ref_start: int, target: int) -> int | None:
    """Query index aligned to reference base ``target`` (0-based): _DELETED in a deletion, None if uncovered.

    Walks the CIGAR blocks, so a base inside an ``N`` (spliced intron) is not covered.
    """
    if target < ref_start:
        return None
    ref, query = ref_start, 0
    for op, length in cigar:
        if op == 0 or op == 7 or op == 8:      # M, =, X
            if target < ref + length:
                return query + (target - ref)
            ref += length
            query += length
        elif op == 1 or op == 4:               # I, S
            query += length
        elif op == 2:                          # D
            if target < ref + length:
                return _DELETED
            ref += length
        elif op == 3:                          # N
            if target < ref + length:
                return None
            ref += length
    return None


_INDEL_GUARD = 10   # bases either side checked for a shifted indel when no FASTA is given


def _make_probe(variant: GenomicVariant, reference, bam_path, fasta) -> _AlleleProbe:
    """Turn VCF alleles into the reference window and the two haplotypes a read is compared with."""
    ref_allele, alt_allele = variant.ref.upper(), variant.alt.upper()
    if not ref_allele or not alt_allele or not set(ref_allele + alt_allele) <= set("ACGTN"):
        raise InputError(f"cannot phase {variant.chrom}:{variant.pos} {variant.ref}>{variant.alt}: "
                         "only sequence alleles (A/C/G/T) can be looked up in reads",
                         path=str(bam_path))
    start = variant.pos - 1
    end = start + len(ref_allele)
    if reference is not None:
        contig = _resolve_contig(variant.chrom, reference.references, fasta)
        observed = reference.fetch(contig, start, end).upper()
        if observed != ref_allele:
            raise BuildMismatchError(
                f"{variant.chrom}:{variant.pos} REF {ref_allele} "
                f"but the reference has {observed or 'nothing'}",
                path=str(fasta), hint="is the BAM/FASTA the same genome build as the variants?")
    if len(ref_allele) == len(alt_allele):
        return _AlleleProbe(variant, True, start, end, ref_allele, alt_allele)
    left_pad, right_pad = (0, 0)
    if reference is not None:
        left_pad, right_pad = _repeat_extent(reference, contig, start, ref_allele, alt_allele)
    left_flank = reference.fetch(contig, start - left_pad, start).upper() if left_pad else ""
    right_flank = reference.fetch(contig, end, end + right_pad).upper() if right_pad else ""
    return _AlleleProbe(variant, False, start - left_pad, end + right_pad,
                        left_flank + ref_allele + right_flank, left_flank + alt_allele + right_flank,
                        guard=0 if reference is not None else _INDEL_GUARD)


def _repeat_extent(reference, contig: str, start: int, ref_allele: str, alt_allele: str,
                   limit: int = 50) -> tuple[int, int]:
    """How far (bases left, right) a pure insertion/deletion could slide in its repeat."""
    shared = 0
    while shared < min(len(ref_allele), len(alt_allele)) and ref_allele[shared] == alt_allele[shared]:
        shared += 1
    if shared == 0 or (shared < len(ref_allele) and shared < len(alt_allele)):
        return 0, 0   # complex (delins): no sliding
    unit = ref_allele[shared:] or alt_allele[shared:]
    site = start + shared          # first deleted base / base after the insertion point
    window = reference.fetch(contig, max(0, site - limit - len(unit)), site + limit + len(unit)).upper()
    offset = site - max(0, site - limit - len(unit))
    is_deletion = len(ref_allele) > len(alt_allele)
    right = 0
    while right < limit:
        index = offset + (len(unit) if is_deletion else 0) + right
        if index >= len(window) or window[index] != unit[right % len(unit)]:
            break
        right += 1
    left = 0
    while left < limit:
        index = offset - 1 - left
        if index < 0 or window[index] != unit[-1 - (left % len(unit))]:
            break
        left += 1
    return left, right   # the anchors (probe.start - 1, probe.end) then sit outside the repeat


def check_alignments(bam_path, fasta, variant_build: str | None) -> None:
    """Fail early, naming the file, when a BAM/CRAM cannot phase these variants at all.

    Missing, not BAM/CRAM, unindexed, CRAM without its FASTA, no chr2 (InputError), or chr2
    of the other genome build than the variants (BuildMismatchError).
    """
    from alkseq.genome.transcript import BUILD_BY_CONTIG_LENGTH

    alignments = _open_alignments(bam_path, fasta)
    try:
        contig = _resolve_contig("chr2", alignments.references, bam_path)
        length = alignments.get_reference_length(contig)
    finally:
        _close_quietly(alignments)
    bam_build = BUILD_BY_CONTIG_LENGTH.get(length)
    if variant_build and bam_build and bam_build != variant_build:
        raise BuildMismatchError(
            f"alignments are {bam_build} ({contig} length {length}) but the variants are "
            f"{variant_build}", path=str(bam_path),
            hint="give reads aligned to the same genome build as the variants")


def _close_quietly(*handles) -> None:
    """Close pysam handles; htslib can raise on close after a corrupt block was read."""
    for handle in handles:
        if handle is None:
            continue
        try:
            handle.close()
        except OSError:
            pass


def _open_alignments(bam_path, fasta):
    """Open an indexed BAM/CRAM or raise InputError naming the file and the fix."""
    import pysam

    pysam.set_verbosity(0)  # htslib messages would break the one-line error contract
    path = Path(bam_path)
    if not path.exists():
        raise InputError("alignment file not found", path=str(path))
    try:
        alignments = pysam.AlignmentFile(str(path), reference_filename=None if fasta is None else str(fasta))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot open as BAM/CRAM: {error}", path=str(path)) from error
    if alignments.is_cram and fasta is None:
        alignments.close()
        raise InputError("CRAM needs its reference FASTA to decode bases", path=str(path),
                         hint="pass fasta= (the FASTA the CRAM was written against)")
    if not alignments.has_index():
        alignments.close()
        raise InputError("alignment file has no index", path=str(path),
                         hint="run 'samtools index' (or pysam.index) to make a .bai/.crai")
    return alignments


def _open_fasta(fasta):
    import pysam

    try:
        return pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot open reference FASTA: {error}", path=str(fasta),
                         hint="the FASTA needs a .fai index (samtools faidx)") from error


def _bare_contig(name: str) -> str:
    return name[3:] if name.lower().startswith("chr") else name


def _has_contig(chrom: str, available) -> bool:
    names = set(available)
    return any(c in names for c in (chrom, _bare_contig(chrom), "chr" + _bare_contig(chrom)))


def _resolve_contig(chrom: str, available, path) -> str:
    """``chr2`` or ``2``: whichever spelling the file uses."""
    names = set(available)
    for candidate in (chrom, _bare_contig(chrom), "chr" + _bare_contig(chrom)):
        if candidate in names:
            return candidate
    raise InputError(f"contig {chrom} (or {_bare_contig(chrom)}/chr{_bare_contig(chrom)}) not in the header",
                     path=str(path))


def _variant_label(variant: GenomicVariant) -> str:
    return f"{variant.chrom}:{variant.pos}{variant.ref}>{variant.alt}"


# --------------------------------------------------------------------------- per sample

def kinase_domain_mutations(alterations) -> list[Alteration]:
    """ALK mutations with a non-synonymous protein change at residues 1116–1392, sorted, one per name."""
    chosen: dict[str, Alteration] = {}
    for alteration in alterations:
        change = alteration.protein_change
        if alteration.gene.upper() != "ALK" or change is None or change.kind == "synonymous":
            continue
        if not any(residue in KINASE_DOMAIN for residue in change.residues):
            continue
        chosen.setdefault(change.short, alteration)
    return sorted(chosen.values(), key=_residue_order)


def _residue_order(alteration: Alteration) -> tuple[int, str]:
    change = alteration.protein_change
    assert change is not None    # kinase_domain_mutations keeps only alterations with a protein change
    return change.start, change.short


def _change(alteration: Alteration) -> ProteinChange:
    """The protein change of an alteration ``kinase_domain_mutations`` chose (never None there)."""
    assert alteration.protein_change is not None
    return alteration.protein_change


def phase_pair(a: Alteration, b: Alteration, *, bam: str | Path | None = None,
               fasta: str | Path | None = None, **read_options) -> tuple[str, PhaseEvidence]:
    """Phase one pair: VCF tags first, reads second, VAF hint last."""
    from_tags = phase_from_tags(a, b)
    if from_tags is not None:
        return from_tags
    from_reads = None
    if bam is not None and a.genomic is not None and b.genomic is not None:
        from_reads = phase_from_reads(bam, a.genomic, b.genomic, fasta=fasta,
                                      names=(_change(a).short, _change(b).short),
                                      **read_options)
        if from_reads[0] != "unknown":
            return from_reads
    hint = phase_hint_from_vaf(a.vaf, b.vaf)
    if hint[0] != "unknown":
        if from_reads is not None:
            evidence = hint[1]
            return hint[0], PhaseEvidence(source="vaf_hint",
                                          detail=f"{evidence.detail}; reads: {from_reads[1].detail}")
        return hint
    if from_reads is not None:
        return from_reads
    if bam is None:
        why = "no phased VCF tags, no reads given, VAFs do not constrain phase"
    else:
        why = "no phased VCF tags and no genomic coordinates to look up in the reads"
    return "unknown", PhaseEvidence(source="none", detail=why)


def phase_pairs(alterations, bam: str | Path | None = None,
                fasta: str | Path | None = None, **read_options) -> list[Compound]:
    """Every pair of ALK kinase-domain mutations in one sample as a ``Compound``, plus cis groups.

    One ``Compound`` per pair (mutations sorted by residue; ``first_only`` in the
    evidence refers to the lower residue), then one per group of three or more
    mutations that are pairwise cis (evidence: the weakest pair's source).
    """
    mutations = kinase_domain_mutations(alterations)
    compounds: list[Compound] = []
    cis_edges: dict[tuple[str, str], PhaseEvidence] = {}
    for a, b in combinations(mutations, 2):
        phase, evidence = phase_pair(a, b, bam=bam, fasta=fasta, **read_options)
        names = (_change(a).short, _change(b).short)
        compounds.append(Compound(mutations=(_change(a), _change(b)), phase=cast(Phase, phase), evidence=evidence))
        if phase == "cis":
            cis_edges[names] = evidence
    compounds.extend(_cis_groups(mutations, cis_edges))
    return compounds


_SOURCE_STRENGTH = {"vcf": 3, "reads": 2, "user": 2, "vaf_hint": 1, "none": 0}


def _cis_groups(mutations: list[Alteration], cis_edges: dict) -> list[Compound]:
    """Every maximal set (≥3) of pairwise-cis mutations: the maximal cliques of the cis graph.

    Largest first, then in residue order (what enumerating subsets by size gave, at a
    cost doubling per mutation: a 40-mutation sample never finished; issue 15).
    """
    names = [_change(m).short for m in mutations]
    changes = {_change(m).short: _change(m) for m in mutations}
    groups = maximal_cliques(len(names), {(names.index(a), names.index(b))
                                          for a, b in cis_edges if a in names and b in names})
    ordered = sorted((g for g in groups if len(g) >= 3), key=lambda g: (-len(g), g))
    out = []
    for indices in ordered:
        group = tuple(names[i] for i in indices)
        pair_evidence = [cis_edges[pair] for pair in combinations(group, 2)]
        weakest = min(pair_evidence, key=lambda e: _SOURCE_STRENGTH.get(e.source, 0))
        detail = f"all {len(pair_evidence)} pairs cis; weakest evidence: {weakest.detail}"
        out.append(Compound(mutations=tuple(changes[name] for name in group), phase="cis",
                            evidence=PhaseEvidence(source=weakest.source, detail=detail)))
    return out


def maximal_cliques(n: int, edges) -> list[tuple[int, ...]]:
    """Maximal cliques (sorted index tuples) of the graph on ``0..n-1``: Bron–Kerbosch with pivoting.

    Time is bounded by the number of maximal cliques (Tomita et al. 2006), so a sparse
    cis graph (the usual case: few or no cis pairs) costs next to nothing.  Isolated
    vertices are cliques of size 1.  Iterative, so depth never hits the recursion limit.
    """
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    cliques: list[tuple[int, ...]] = []
    if n == 0:
        return cliques
    stack: list[tuple[list[int], set[int], set[int]]] = [([], set(range(n)), set())]
    while stack:
        clique, candidates, excluded = stack.pop()
        if not candidates:
            if not excluded:
                cliques.append(tuple(sorted(clique)))
            continue
        pivot = max(candidates | excluded, key=lambda v: len(neighbours[v] & candidates))
        for vertex in sorted(candidates - neighbours[pivot]):
            stack.append((clique + [vertex], candidates & neighbours[vertex],
                          excluded & neighbours[vertex]))
            candidates = candidates - {vertex}
            excluded = excluded | {vertex}
    return cliques
