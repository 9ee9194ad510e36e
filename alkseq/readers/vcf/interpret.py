"""Records → alterations: each record is sorted by kind (filtered, reference block, fusion, breakend,
copy number, small variant) and its VAF, genotype and annotations read; where it lies and what it
does to a protein is the genome layer's answer (``alkseq.genome.locate``). Also VCF phase sets."""
from __future__ import annotations

import re

from alkseq.errors import ParseError
from alkseq.genome.locate import Located, Pending, Reference, locate_small_variant, merge_codons, parse_change
from alkseq.model import Alteration, Compound, Origin, PhaseEvidence, ProteinChange
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
_BASES = re.compile(r"[ACGTNacgtn]+")


def _reference_only(alts: list[str]) -> bool:
    """A gVCF reference block or a record whose only ALTs are ``<NON_REF>``/``<*>``: no variant to read."""
    return bool(alts) and all(alt in _REFERENCE_ALTS for alt in alts) and any(a.startswith("<") for a in alts)


class Context(Structural):
    """One file's interpretation state: options, header, build, warnings and the counts of what was dropped."""

    def __init__(self, path: str, options: ReadOptions, header: Header, warnings: list[str]):
        self.path, self.options, self.header, self.warnings = path, options, header, warnings
        self.build: str | None = None
        self.build_source = ""
        self.counts: dict[str, int] = {"filtered": 0, "not_in_tumour": 0, "noncoding": 0, "untranslated": 0,
                                       "fusion_not_detected": 0, "reference_blocks": 0}
        self._fasta = None
        self._reference: Reference | None = None
        if options.fasta:
            from alkseq.genome.transcript import FastaSequence
            self._fasta = FastaSequence(options.fasta)

    # ---- build
    def reference(self) -> Reference:
        """The bases of this file's build (``--fasta`` first), made once per build."""
        reference = self._reference
        if reference is None or reference.build != self.build:
            assert self.build is not None
            reference = self._reference = Reference(self.build, self._fasta)
        return reference

    # ---- records
    def start(self, background: Background | None = None) -> None:
        """Begin streaming records into this context (``add`` each, then ``finish``)."""
        self._pending: list[Pending] = []
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
        merged, warnings = merge_codons(self.reference(), self._pending) if self._pending else ([], [])
        self.warnings.extend(warnings)
        out = merged + _dedupe(self._structural)
        self._pending, self._structural, self._seen = [], [], set()
        return sorted(out, key=lambda a: (a.gene, a.kind, a.genomic.pos if a.genomic else 0, a.name))

    def _origin(self, call: Call) -> Origin:
        text = f"{call.chrom}\t{call.pos}\t{call.ident or '.'}\t{call.ref}\t{','.join(call.alts)}"
        return Origin(path=self.path, line=call.line, text=text, reader=FORMAT)

    def small_variant(self, call: Call, index: int, alt: str, genes: list[str],
                      skipped_bypass: dict[str, int]) -> Pending | None:
        """One ALT allele: the reader checks it is a carried base change and reads VAF, depth and phase;
        the genome layer checks REF, normalises, translates or looks the change up."""
        if alt in ("*", ".", "<NON_REF>", "<*>") or not _BASES.fullmatch(alt) or not _BASES.fullmatch(call.ref):
            return None
        vaf, depth, vaf_field = allele_stats(call, index)
        carried = not call.genotype or all(a is None or a < 0 for a in call.genotype) or (index + 1) in call.genotype
        if vaf == 0 or (not carried and vaf is None):
            self.counts["not_in_tumour"] += 1
            return None
        reference = self.reference()
        if "ALK" in genes:
            mismatch = reference.mismatch(call.chrom, call.pos, call.ref)
            if mismatch is not None:
                raise mismatch.error(self.path, call.line, f"record {call.record}")
        annotation = self._annotation(call, alt) if self.header.csq_fields or self.header.ann_fields else None
        located = locate_small_variant(reference, call.chrom, call.pos, call.ref, alt, genes, annotation)
        self.warnings.extend(located.warnings)
        if not isinstance(located, Located):
            if located.reason == "noncoding":
                self.counts["noncoding"] += 1
            else:
                for candidate in located.genes:
                    skipped_bypass[candidate] = skipped_bypass.get(candidate, 0) + 1
            return None
        if located.untranslated:
            self.counts["untranslated"] += 1
        genomic = located.genomic
        notes = ((f"VAF from {vaf_field}",) if vaf_field else ()) \
            + ((f"normalised from {call.pos} {call.ref}>{alt}",) if (genomic.pos, genomic.ref, genomic.alt)
               != (call.pos, call.ref, alt) else ()) + located.notes
        alteration = Alteration(
            gene=located.gene, kind="mutation", protein_change=located.protein_change, vaf=vaf, depth=depth,
            genomic=genomic, phase=phase_tag(call, index), origin=self._origin(call),
            notes=tuple(n for n in notes if n))
        return Pending(alteration, located.codons, located.substitution)

    def _annotation(self, call: Call, alt: str):
        """gene → the protein change this record's VEP CSQ / snpEff ANN states for ``alt`` (read on demand)."""
        def annotated(gene: str) -> ProteinChange | None:
            from alkseq.genome.transcript import span_of

            assert self.build is not None
            span = span_of(gene, self.build)
            mane = {span.mane_enst, span.mane_refseq.split(".")[0]} if span else set()
            text = annotation_change(call, alt, gene, self.header, mane)
            if not text or text in ("p.?", "p.(?)"):
                return None
            try:
                return parse_change(text)
            except ParseError:
                self.warnings.append(f"{gene} annotation '{text}' at {call.chrom}:{call.pos} could not be read")
                return None
        return annotated


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
