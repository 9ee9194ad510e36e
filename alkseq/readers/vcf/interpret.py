"""Records → alterations: build decision, REF check, small variants (ALK translated on
NM_004304.5, bypass genes by hotspot or annotation), codon merging, VCF phase sets."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

from alkseq.errors import BuildMismatchError, ParseError
from alkseq.model import Alteration, Compound, GenomicVariant, Origin, PhaseEvidence, ProteinChange
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.annotations import annotation_change
from alkseq.readers.vcf.background import Background
from alkseq.readers.vcf.callers import allele_stats, phase_tag
from alkseq.readers.vcf.header import Header
from alkseq.readers.vcf.records import Call
from alkseq.readers.vcf.structural import breakend_match, Structural

FORMAT = "vcf"
# The limit of what streams: records are read one at a time and dropped unless they become a finding,
# so memory grows with distinct alterations in known genes, never with records (docs/errors.md).
MAX_FINDINGS = 100_000
_REFERENCE_ALTS = frozenset({"<NON_REF>", "<*>", "*", "."})


def _reference_only(alts: list[str]) -> bool:
    """A gVCF reference block or a record whose only ALTs are ``<NON_REF>``/``<*>``: no variant to read."""
    return bool(alts) and all(alt in _REFERENCE_ALTS for alt in alts) and any(a.startswith("<") for a in alts)


class BuildVotes:
    """REF alleles at known ALK bases and hotspots, counted record by record, for a file that names no build."""

    def __init__(self):
        self.votes = {"GRCh37": [0, 0], "GRCh38": [0, 0]}
        self.in_gene = False

    def add(self, call: Call) -> None:
        from alkseq.genome.transcript import ShippedSequence, genes_at, hotspots, plain_chrom
        from alkseq.genome.translate import reference_matches

        for build, votes in self.votes.items():
            if genes_at(build, call.chrom, call.pos, call.end):
                self.in_gene = True
            if call.alts and call.alts[0].startswith("<"):
                continue
            verdict = reference_matches(ShippedSequence(build), call.chrom, call.pos, call.ref)
            if verdict is not None:
                votes[0 if verdict else 1] += 1
            table = hotspots(build)
            for alt in call.alts:
                if (plain_chrom(call.chrom), call.pos, call.ref, alt) in table:
                    votes[0] += 1

    def decide(self, warnings: list[str]) -> tuple[str | None, str]:
        """(build or None, why), with the warning that says how it was chosen."""
        votes = self.votes
        score = {b: v[0] - v[1] for b, v in votes.items()}
        if score["GRCh37"] != score["GRCh38"] and max(v[0] for v in votes.values()) > 0:
            build = max(score, key=score.get)
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

class _Pending(NamedTuple):
    """A small variant on its way to becoming an Alteration (kept for codon merging)."""

    alteration: Alteration
    codons: tuple[int, ...]
    substitution: tuple[int, str, str] | None  # (pos, ref, alt) minimal, for merging


class Context(Structural):
    """One file's interpretation state: options, header, build, warnings and the counts of what was dropped."""

    def __init__(self, path: str, options: ReadOptions, header: Header, warnings: list[str]):
        self.path, self.options, self.header, self.warnings = path, options, header, warnings
        self.build: str | None = None
        self.build_source = ""
        self.counts: dict[str, int] = {"filtered": 0, "not_in_tumour": 0, "noncoding": 0, "untranslated": 0,
                                       "fusion_not_detected": 0, "reference_blocks": 0}
        self._fasta = None
        if options.fasta:
            from alkseq.genome.transcript import FastaSequence
            self._fasta = FastaSequence(options.fasta)

    # ---- build
    def sequence(self, build: str):
        from alkseq.genome.transcript import ChainedSequence, ShippedSequence

        return ChainedSequence(self._fasta, ShippedSequence(build))

    def check_reference(self, call: Call, pos: int, ref: str) -> None:
        """A REF that disagrees with the shipped ALK sequence (or the FASTA) is a BuildMismatchError."""
        from alkseq.genome.transcript import other_build
        from alkseq.genome.translate import reference_matches

        sequence = self.sequence(self.build)
        if reference_matches(sequence, call.chrom, pos, ref) is not False:
            return
        expected = sequence.fetch(call.chrom, pos, pos + len(ref) - 1)
        other = self.sequence(other_build(self.build))
        hint = "check the genome build"
        if reference_matches(other, call.chrom, pos, ref):
            hint = f"the file looks like {other_build(self.build)}; pass --build {other_build(self.build)}"
        what = "the reference FASTA" if self._fasta is not None else "alkseq's ALK sequence"
        raise BuildMismatchError(
            f"REF {ref} at {call.chrom}:{pos} disagrees with {what} for {self.build} "
            f"(expected {expected}, observed {ref}); most likely the file is not {self.build}",
            path=self.path, line=call.line, hint=hint if call.line else f"record {call.record}; {hint}")

    # ---- records
    def start(self, background: Background | None = None) -> None:
        """Begin streaming records into this context (``add`` each, then ``finish``)."""
        self._pending: list[_Pending] = []
        self._structural: list[Alteration] = []
        self._seen: set[tuple] = set()       # (chrom, pos, ref, alt) already interpreted: repeats add nothing
        self._skipped_bypass: dict[str, int] = {}
        self._background = background       # its counts are added in ``finish``, once all records are in

    def add(self, call: Call) -> None:
        """Interpret one record; only what can become a finding is kept (memory grows with findings, not records)."""
        if self.build is None:
            return
        from alkseq.genome.transcript import genes_at

        genes = genes_at(self.build, call.chrom, call.pos, call.end)
        if not genes:
            return
        if call.filters not in (None, "PASS", ".") and not self.options.include_filtered:
            self.counts["filtered"] += 1
            return
        svtype = str(call.info.get("SVTYPE") or "").upper()
        first_alt = call.alts[0] if call.alts else ""
        if _reference_only(call.alts):
            self.counts["reference_blocks"] += 1
            return
        if svtype == "FUSION":
            self._keep_structural(self.ion_fusion(call))
        elif breakend_match(first_alt) or (svtype in ("INV", "BND", "TRA") and first_alt.startswith("<")):
            self._keep_structural(self.breakend(call, genes))
        elif first_alt.startswith("<") or svtype in ("CNV", "AMP", "GAIN", "LOSS") and not first_alt:
            self._keep_structural(self.copy_number(call, svtype, first_alt))
        else:
            for index, alt in enumerate(call.alts):
                key = (call.chrom, call.pos, call.ref, alt)
                if key in self._seen:
                    self.counts["repeated"] = self.counts.get("repeated", 0) + 1
                    continue
                result = self.small_variant(call, index, alt, genes, self._skipped_bypass)
                if result is not None:
                    self._seen.add(key)
                    self._pending.append(result)
                    self._check_size()

    def _keep_structural(self, alterations) -> None:
        self._structural.extend(alterations)
        if len(self._structural) > 4 * MAX_FINDINGS:
            self._structural = _dedupe(self._structural)
        self._check_size()

    def _check_size(self) -> None:
        if len(self._pending) + len(self._structural) > 2 * MAX_FINDINGS:
            from alkseq.errors import InputTooLargeError

            raise InputTooLargeError(f"more than {MAX_FINDINGS:,} distinct alterations in the genes alkseq "
                                     "knows", path=self.path,
                                     hint="alkseq reads one tumour's calls, not a population call set; "
                                          "split the file or pass --sample")

    def finish(self) -> list[Alteration]:
        """The alterations of every record added since ``start``."""
        if self.build is None:
            return []
        background = self._background
        if background is not None:
            for key, number in background.counts.items():
                self.counts[key] += number
            for gene, number in background.bypass.items():
                self._skipped_bypass[gene] = self._skipped_bypass.get(gene, 0) + number
        if self._skipped_bypass:
            listed = ", ".join(f"{g} ({n})" for g, n in sorted(self._skipped_bypass.items()))
            self.warnings.append(f"variants in {listed} are not shipped hotspots and carry no VEP/snpEff "
                                 "annotation, so their protein change is unknown; they are not reported")
        repeated = self.counts.pop("repeated", 0)
        if repeated:
            self.warnings.append(f"{repeated:,} record(s) repeat an allele already read (same CHROM, POS, REF "
                                 "and ALT); each allele is reported once")
        merged = self.merge_codons(self._pending)
        out = merged + _dedupe(self._structural)
        self._pending, self._structural, self._seen = [], [], set()
        return sorted(out, key=lambda a: (a.gene, a.kind, a.genomic.pos if a.genomic else 0, a.name))

    def _origin(self, call: Call) -> Origin:
        text = f"{call.chrom}\t{call.pos}\t{call.ident or '.'}\t{call.ref}\t{','.join(call.alts)}"
        return Origin(path=self.path, line=call.line, text=text, reader=FORMAT)

    def small_variant(self, call: Call, index: int, alt: str, genes: list[str],
                      skipped_bypass: dict[str, int]) -> _Pending | None:
        from alkseq.genome.transcript import alk_protein, hotspots, load_transcript, plain_chrom
        from alkseq.genome.translate import left_align, translate_variant, vcf_alleles

        if alt in ("*", ".", "<NON_REF>", "<*>") or not re.fullmatch(r"[ACGTNacgtn]+", alt) \
                or not re.fullmatch(r"[ACGTNacgtn]+", call.ref):
            return None
        vaf, depth, vaf_field = allele_stats(call, index)
        carried = not call.genotype or all(a is None or a < 0 for a in call.genotype) or (index + 1) in call.genotype
        if vaf == 0 or (not carried and vaf is None):
            self.counts["not_in_tumour"] += 1
            return None
        if "ALK" in genes:
            self.check_reference(call, call.pos, call.ref)
        sequence = self.sequence(self.build)
        min_pos, min_ref, min_alt = left_align(call.chrom, call.pos, call.ref, alt, sequence)
        norm_pos, norm_ref, norm_alt = vcf_alleles(call.chrom, min_pos, min_ref, min_alt, sequence,
                                                   (call.pos, call.ref, alt))
        notes = [f"VAF from {vaf_field}"] if vaf_field else []
        if (norm_pos, norm_ref, norm_alt) != (call.pos, call.ref, alt):
            notes.append(f"normalised from {call.pos} {call.ref}>{alt}")
        change: ProteinChange | None = None
        hgvs_c = None
        codons: tuple[int, ...] = ()
        substitution = None
        gene = "ALK" if "ALK" in genes else None
        if gene == "ALK":
            tx = load_transcript("ALK", self.build)
            translation = translate_variant(tx, sequence, alk_protein(), call.pos, call.ref, alt)
            if not translation.coding:
                self.counts["noncoding"] += 1
                return None
            change, hgvs_c, codons = translation.protein_change, translation.hgvs_c, translation.codons
            annotated = self.annotated(call, alt, "ALK")
            if annotated is not None and change is not None and annotated.short != change.short:
                self.warnings.append(f"ALK {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff annotation "
                                     f"says {annotated.short}; alkseq's own translation on NM_004304.5 is kept")
            if change is None and annotated is not None:
                change = annotated
                notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
            if change is None:
                self.counts["untranslated"] += 1
                self.warnings.append(f"ALK variant at {call.chrom}:{call.pos} {call.ref}>{alt}: "
                                     f"{translation.reason or 'no protein change computed'}; reported without one")
                notes.append(translation.reason)
            if len(min_ref) == len(min_alt) and min_ref:
                substitution = (min_pos, min_ref, min_alt)
        else:
            table = hotspots(self.build)
            hit = None
            for key in ((plain_chrom(call.chrom), call.pos, call.ref, alt),
                        (plain_chrom(call.chrom), norm_pos, norm_ref, norm_alt),
                        (plain_chrom(call.chrom), min_pos, min_ref, min_alt)):
                hit = table.get(key)
                if hit:
                    break
            for candidate in genes:
                if hit is not None and hit.gene != candidate:
                    continue
                if hit is not None:
                    gene = candidate
                    try:
                        change = _parse(hit.protein)
                    except ParseError:
                        change = None
                    notes.append(f"hotspot table: {hit.transcript} ({hit.source})")
                annotated = self.annotated(call, alt, candidate)
                if annotated is not None:
                    if change is not None and annotated.short != change.short:
                        self.warnings.append(f"{candidate} {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff "
                                             f"annotation says {annotated.short}; the shipped hotspot table is kept")
                    elif change is None:
                        gene, change = candidate, annotated
                        notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
                if gene:
                    break
            if gene is None:
                for candidate in genes:
                    skipped_bypass[candidate] = skipped_bypass.get(candidate, 0) + 1
                return None
        alteration = Alteration(
            gene=gene, kind="mutation", protein_change=change, vaf=vaf, depth=depth,
            genomic=GenomicVariant(self.build, call.chrom, norm_pos, norm_ref, norm_alt, hgvs_c),
            phase=phase_tag(call, index), origin=self._origin(call), notes=tuple(n for n in notes if n))
        return _Pending(alteration, codons, substitution)

    def annotated(self, call: Call, alt: str, gene: str) -> ProteinChange | None:
        from alkseq.genome.transcript import span_of

        if not self.header.csq_fields and not self.header.ann_fields:
            return None
        span = span_of(gene, self.build)
        mane = {span.mane_enst, span.mane_refseq.split(".")[0]} if span else set()
        text = annotation_change(call, alt, gene, self.header, mane)
        if not text or text in ("p.?", "p.(?)"):
            return None
        try:
            return _parse(text)
        except ParseError:
            self.warnings.append(f"{gene} annotation '{text}' at {call.chrom}:{call.pos} could not be read")
            return None

    def merge_codons(self, pending: list[_Pending]) -> list[Alteration]:
        """Substitutions in one ALK codon (same haplotype when phased) become one change."""
        from alkseq.genome.transcript import alk_protein, load_transcript
        from alkseq.genome.translate import merge_substitutions, translate_variant

        groups: dict[tuple, list[_Pending]] = {}
        out: list[Alteration] = []
        for item in pending:
            if item.alteration.gene != "ALK" or item.substitution is None or len(item.codons) != 1:
                out.append(item.alteration)
                continue
            phase = item.alteration.phase
            key = (item.codons[0], (phase.phase_set, phase.haplotype) if phase else None)
            groups.setdefault(key, []).append(item)
        # unphased calls join a phased group of the same codon only when that group is alone
        for key, items in groups.items():
            if len(items) == 1:
                out.append(items[0].alteration)
                continue
            first = items[0].alteration
            block = merge_substitutions(first.genomic.chrom, [i.substitution for i in items], self.sequence(self.build))
            if block is None:
                out.extend(i.alteration for i in items)
                continue
            translation = translate_variant(load_transcript("ALK", self.build), self.sequence(self.build),
                                            alk_protein(), *block)
            vafs = [i.alteration.vaf for i in items if i.alteration.vaf is not None]
            depths = [i.alteration.depth for i in items if i.alteration.depth is not None]
            parts = ", ".join(f"{i.alteration.genomic.pos} {i.substitution[1]}>{i.substitution[2]}" for i in items)
            note = (f"merged from {len(items)} records in codon {key[0]} ({parts})"
                    + ("" if key[1] else "; phase not stated, same haplotype assumed"))
            if not key[1]:
                self.warnings.append(f"ALK codon {key[0]}: {len(items)} unphased records merged into one change "
                                     f"({translation.protein_change.short if translation.protein_change else '?'})")
            out.append(replace(first, protein_change=translation.protein_change,
                               vaf=min(vafs) if vafs else None, depth=min(depths) if depths else None,
                               genomic=GenomicVariant(self.build, first.genomic.chrom, block[0], block[1], block[2],
                                                      translation.hgvs_c),
                               notes=first.notes + (note,)))
        return out


def _parse(text: str) -> ProteinChange:
    from alkseq.genome.protein import parse_protein_change

    return parse_protein_change(text)[1]


def _dedupe(alterations: list[Alteration]) -> list[Alteration]:
    """Both records of a breakend pair / Ion Reporter fusion describe one fusion: keep the first."""
    seen: set[tuple] = set()
    out = []
    for alteration in alterations:
        key = (alteration.gene, alteration.kind, alteration.partner, alteration.breakpoint) \
            if alteration.kind == "fusion" else (alteration.gene, alteration.kind, alteration.genomic)
        if key in seen:
            continue
        seen.add(key)
        out.append(alteration)
    return out


def vcf_compounds(alterations: list[Alteration]) -> list[Compound]:
    """ALK mutations sharing a VCF phase set: same haplotype → cis, different → trans."""
    by_set: dict[str, list[Alteration]] = {}
    for alteration in alterations:
        if alteration.gene == "ALK" and alteration.protein_change is not None and alteration.phase is not None:
            by_set.setdefault(alteration.phase.phase_set, []).append(alteration)
    compounds = []
    for phase_set, members in by_set.items():
        if len({m.protein_change.short for m in members}) < 2:
            continue
        members = sorted(members, key=lambda m: m.protein_change.start)
        haplotypes = {m.phase.haplotype for m in members}
        phase = "cis" if len(haplotypes) == 1 else ("trans" if len(members) == 2 else "mixed")
        compounds.append(Compound(tuple(m.protein_change for m in members), phase,
                                  PhaseEvidence(source="vcf", detail=f"phase set {phase_set} "
                                                f"({', '.join(sorted({m.phase.source for m in members}))})")))
    return compounds
