"""Genomic small variants → what alkseq reports, for every reader that has coordinates (VCF, MAF).

Pure: plain values in (build, chromosome, position, alleles, the genes there, an optional
annotation lookup), data and warnings out; no file is opened here (a user FASTA is opened by
the caller and handed in). One place decides the build from REF alleles (``BuildVotes``),
checks REF against the shipped ALK sequence or ``--fasta`` (``Reference.mismatch``),
normalises alleles, translates ALK on NM_004304.5, arbitrates the shipped hotspot table
against a VEP/snpEff/MAF annotation for bypass genes, and merges substitutions in one ALK
codon (``merge_codons``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

from alkseq.errors import BuildMismatchError, ParseError
from alkseq.genome.transcript import (ChainedSequence, SequenceSource, ShippedSequence, alk_protein, genes_at,
                                      hotspots, load_transcript, other_build, plain_chrom)
from alkseq.genome.translate import left_align, merge_substitutions, reference_matches, translate_variant, \
    vcf_alleles
from alkseq.model import Alteration, GenomicVariant, ProteinChange

# a gene → protein change the input itself states (VEP CSQ / snpEff ANN / a MAF's HGVSp_Short), or None
Annotation = Callable[[str], "ProteinChange | None"]
VEP_SNPEFF = ("the VEP/snpEff annotation",
              "protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")


# --------------------------------------------------------------------------- reference bases

class ReferenceMismatch(NamedTuple):
    """A REF allele the reference disagrees with: expected and observed bases, and the likely cause."""

    build: str
    chrom: str
    pos: int
    observed: str
    expected: str | None
    against: str             # "the reference FASTA" | "alkseq's ALK sequence"
    other_matches: bool      # the other build's bases match: the file is most likely that build

    def error(self, path: str, line: int | None = None, where: str | None = None) -> BuildMismatchError:
        """The one ``BuildMismatchError`` (exit 4) every reader raises; ``where`` locates the
        record when there is no line (e.g. 'record 12' of a BCF)."""
        other = other_build(self.build)
        hint = f"the file looks like {other}; pass --build {other}" if self.other_matches \
            else "check the genome build"
        return BuildMismatchError(
            f"REF {self.observed} at {self.chrom}:{self.pos} disagrees with {self.against} for {self.build} "
            f"(expected {self.expected}, observed {self.observed}); most likely the file is not {self.build}",
            path=path, line=line, hint=f"{where}; {hint}" if where and not line else hint)


class Reference:
    """The bases of one build alkseq checks and translates against: a user FASTA first, then the
    shipped ALK exon 20–28 window."""

    def __init__(self, build: str, fasta: SequenceSource | None = None):
        self.build, self.fasta = build, fasta
        self.sequence = ChainedSequence(fasta, ShippedSequence(build))

    def mismatch(self, chrom: str, pos: int, ref: str) -> ReferenceMismatch | None:
        """None when REF matches or its bases are not known; else what disagrees."""
        if reference_matches(self.sequence, chrom, pos, ref) is not False:
            return None
        other = ChainedSequence(self.fasta, ShippedSequence(other_build(self.build)))
        return ReferenceMismatch(self.build, chrom, pos, ref, self.sequence.fetch(chrom, pos, pos + len(ref) - 1),
                                 "the reference FASTA" if self.fasta is not None else "alkseq's ALK sequence",
                                 bool(reference_matches(other, chrom, pos, ref)))


class BuildVotes:
    """REF alleles at known ALK bases and hotspots, counted record by record, for a file that names
    no build (or to check the one given)."""

    def __init__(self) -> None:
        self.votes = {"GRCh37": [0, 0], "GRCh38": [0, 0]}
        self.in_gene = False

    def add(self, chrom: str, pos: int, end: int, ref: str, alts: Sequence[str]) -> None:
        for build, votes in self.votes.items():
            if genes_at(build, chrom, pos, end):
                self.in_gene = True
            if alts and alts[0].startswith("<"):
                continue
            verdict = reference_matches(ShippedSequence(build), chrom, pos, ref)
            if verdict is not None:
                votes[0 if verdict else 1] += 1
            table = hotspots(build)
            for alt in alts:
                if (plain_chrom(chrom), pos, ref, alt) in table:
                    votes[0] += 1

    def decide(self, warnings: list[str]) -> tuple[str | None, str]:
        """(build or None, why), with the warning that says how it was chosen."""
        votes = self.votes
        score = {b: v[0] - v[1] for b, v in votes.items()}
        if score["GRCh37"] != score["GRCh38"] and max(v[0] for v in votes.values()) > 0:
            build = max(score, key=lambda b: score[b])
            warnings.append(f"genome build not stated in the header; {build} chosen because REF alleles "
                            f"at known ALK/hotspot positions match it ({votes[build][0]} match, "
                            f"{votes[build][1]} mismatch); pass --build to be sure")
            return build, "REF alleles at known positions"
        if self.in_gene:
            warnings.append("genome build not stated in the header and not decidable from REF alleles; "
                            "GRCh38 assumed; pass --build GRCh37 if the file is hg19/b37")
            return "GRCh38", "assumed"
        warnings.append("genome build not stated in the header; no record falls in a gene alkseq knows")
        return None, ""

    def contradiction(self, given: str, path: str, stated: str = "", hint: str = "") -> BuildMismatchError | None:
        """A given build the REF alleles clearly contradict (they match the other build): the error to raise.
        ``stated`` says who gave the build ('build GRCh37 was given' by default), ``hint`` how to fix it."""
        other = other_build(given)
        (own_match, own_miss), (other_match, other_miss) = self.votes[given], self.votes[other]
        if other_match > 0 and other_match - other_miss > max(own_match - own_miss, 0) \
                and other_match >= 2 * other_miss:
            return BuildMismatchError(
                f"{stated or f'build {given} was given'}, but REF alleles at known ALK/hotspot positions match "
                f"{other} ({other_match} match, {other_miss} mismatch) and not {given} ({own_match} match, "
                f"{own_miss} mismatch)", path=path, hint=hint or f"pass --build {other}, or leave the build out")
        return None


# --------------------------------------------------------------------------- one small variant

class Located(NamedTuple):
    """A small variant placed on a gene: its protein change (None when unknown), the normalised record,
    the ALK codons it touches and its minimal substitution (for ``merge_codons``)."""

    gene: str
    protein_change: ProteinChange | None
    genomic: GenomicVariant
    codons: tuple[int, ...] = ()
    substitution: tuple[int, str, str] | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    untranslated: bool = False     # an ALK coding change alkseq could not name (see notes)


class Skip(NamedTuple):
    """Why a small variant gives no finding: ``noncoding`` (ALK intron/UTR) or ``unknown_bypass``
    (a bypass gene, no shipped hotspot and no annotation) in ``genes``."""

    reason: str
    genes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def parse_change(text: str) -> ProteinChange:
    """A protein change as the shipped tables and annotations write it (``ParseError`` if unreadable)."""
    from alkseq.genome.protein import parse_protein_change

    return parse_protein_change(text)[1]


def locate_small_variant(reference: Reference, chrom: str, pos: int, ref: str, alt: str, genes: Sequence[str],
                         annotation: Annotation | None = None,
                         annotation_names: tuple[str, str] = VEP_SNPEFF) -> Located | Skip:
    """One allele (VCF-style, or minimal with an empty REF/ALT) in known ``genes``: ALK is translated on
    NM_004304.5 (an annotation that disagrees is warned about, alkseq's translation kept); a bypass gene
    takes the shipped hotspot table, else the annotation. ``annotation_names`` = (how warnings name the
    annotation, the note when its change is used)."""
    build, sequence = reference.build, reference.sequence
    said, used = annotation_names
    min_pos, min_ref, min_alt = left_align(chrom, pos, ref, alt, sequence)
    norm_pos, norm_ref, norm_alt = vcf_alleles(chrom, min_pos, min_ref, min_alt, sequence, (pos, ref, alt))
    notes: list[str] = []
    warnings: list[str] = []
    change: ProteinChange | None = None
    hgvs_c = None
    codons: tuple[int, ...] = ()
    substitution = None
    untranslated = False
    gene: str | None = "ALK" if "ALK" in genes else None
    if gene == "ALK":
        tx = load_transcript("ALK", build)
        assert tx is not None, "the ALK transcript is shipped"
        translation = translate_variant(tx, sequence, alk_protein(), pos, ref, alt)
        if not translation.coding:
            return Skip("noncoding", ("ALK",))
        change, hgvs_c, codons = translation.protein_change, translation.hgvs_c, translation.codons
        annotated = annotation("ALK") if annotation is not None else None
        if annotated is not None and change is not None and annotated.short != change.short:
            warnings.append(f"ALK {change.short} at {chrom}:{pos}: {said} says {annotated.short}; "
                            "alkseq's own translation on NM_004304.5 is kept")
        if change is None and annotated is not None:
            change = annotated
            notes.append(used)
        if change is None:
            untranslated = True
            warnings.append(f"ALK variant at {chrom}:{pos} {ref}>{alt}: "
                            f"{translation.reason or 'no protein change computed'}; reported without one")
            notes.append(translation.reason)
        if len(min_ref) == len(min_alt) and min_ref:
            substitution = (min_pos, min_ref, min_alt)
    else:
        table = hotspots(build)
        hit = None
        for key in ((plain_chrom(chrom), pos, ref, alt), (plain_chrom(chrom), norm_pos, norm_ref, norm_alt),
                    (plain_chrom(chrom), min_pos, min_ref, min_alt)):
            hit = table.get(key)
            if hit:
                break
        for candidate in genes:
            if hit is not None and hit.gene != candidate:
                continue
            if hit is not None:
                gene = candidate
                try:
                    change = parse_change(hit.protein)
                except ParseError:
                    change = None
                notes.append(f"hotspot table: {hit.transcript} ({hit.source})")
            annotated = annotation(candidate) if annotation is not None else None
            if annotated is not None:
                if change is not None and annotated.short != change.short:
                    warnings.append(f"{candidate} {change.short} at {chrom}:{pos}: {said} says "
                                    f"{annotated.short}; the shipped hotspot table is kept")
                elif change is None:
                    gene, change = candidate, annotated
                    notes.append(used)
            if gene:
                break
        if gene is None:
            return Skip("unknown_bypass", tuple(genes), tuple(warnings))
    return Located(gene, change, GenomicVariant(build, chrom, norm_pos, norm_ref, norm_alt, hgvs_c,
                                                original=(pos, ref, alt)),
                   codons, substitution, tuple(notes), tuple(warnings), untranslated)


def maf_alleles(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """MAF alleles (``-`` for an empty side; an insertion's Start_Position is the base before it) →
    minimal alleles as ``locate_small_variant`` takes them (an insertion at the base after)."""
    ref, alt = ("" if ref == "-" else ref.upper()), ("" if alt == "-" else alt.upper())
    return (pos + 1, ref, alt) if not ref else (pos, ref, alt)


@lru_cache(maxsize=2)
def known_genes(build: str) -> frozenset[str]:
    """Every gene alkseq has a span for: a reader can skip the genome layer for any other gene by name."""
    from alkseq.genome.transcript import gene_spans

    return frozenset(span.gene for span in gene_spans(build))


def genes_of(build: str, chrom: str, pos: int, ref: str) -> list[str]:
    """Known genes under a record's REF span."""
    return genes_at(build, chrom, pos, pos + max(len(ref), 1) - 1)


# --------------------------------------------------------------------------- codon merging

class Pending(NamedTuple):
    """A small-variant finding on its way out, kept with what ``merge_codons`` needs."""

    alteration: Alteration
    codons: tuple[int, ...]
    substitution: tuple[int, str, str] | None  # (pos, ref, alt) minimal, for merging


def merge_codons(reference: Reference, pending: Sequence[Pending]) -> tuple[list[Alteration], list[str]]:
    """Substitutions in one ALK codon (same haplotype when phased) become one change; (alterations, warnings).
    Unphased calls join a phased group of the same codon only when that group is alone."""
    groups: dict[tuple, list[Pending]] = {}
    out: list[Alteration] = []
    warnings: list[str] = []
    for item in pending:
        if item.alteration.gene != "ALK" or item.substitution is None or len(item.codons) != 1:
            out.append(item.alteration)
            continue
        phase = item.alteration.phase
        key = (item.codons[0], (phase.phase_set, phase.haplotype) if phase else None)
        groups.setdefault(key, []).append(item)
    for key, items in groups.items():
        if len(items) == 1:
            out.append(items[0].alteration)
            continue
        first = items[0].alteration
        assert first.genomic is not None
        substitutions = [i.substitution for i in items if i.substitution is not None]
        block = merge_substitutions(first.genomic.chrom, substitutions, reference.sequence)
        if block is None:
            out.extend(i.alteration for i in items)
            continue
        tx = load_transcript("ALK", reference.build)
        assert tx is not None, "the ALK transcript is shipped"
        translation = translate_variant(tx, reference.sequence, alk_protein(), *block)
        vafs = [i.alteration.vaf for i in items if i.alteration.vaf is not None]
        depths = [i.alteration.depth for i in items if i.alteration.depth is not None]
        parts = tuple((i.alteration.genomic.pos if i.alteration.genomic else s[0], s[1], s[2])
                      for i, s in zip(items, substitutions))
        note = (f"merged from {len(items)} records in codon {key[0]} ("
                + ", ".join(f"{p} {r}>{a}" for p, r, a in parts) + ")"
                + ("" if key[1] else "; phase not stated, same haplotype assumed"))
        if not key[1]:
            warnings.append(f"ALK codon {key[0]}: {len(items)} unphased records merged into one change "
                            f"({translation.protein_change.short if translation.protein_change else '?'})")
        originals = tuple(i.alteration.genomic.original or (i.alteration.genomic.pos, i.alteration.genomic.ref,
                                                            i.alteration.genomic.alt)
                          for i in items if i.alteration.genomic is not None)
        out.append(replace(first, protein_change=translation.protein_change,
                           vaf=min(vafs) if vafs else None, depth=min(depths) if depths else None,
                           genomic=GenomicVariant(reference.build, first.genomic.chrom, block[0], block[1], block[2],
                                                  translation.hgvs_c, merged_from=originals),
                           notes=first.notes + (note,)))
    return out, warnings
