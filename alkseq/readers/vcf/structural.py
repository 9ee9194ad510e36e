"""Structural records: breakends / INV (fusions), Ion Reporter ``Fusion`` records, copy number
from CN / log2 fields. Which exons a breakpoint joins and the EML4-ALK label are the genome
layer's answer (``alkseq.genome.fusion.fusion_at``); this module reads the records.

Copy-number conventions (no published source is claimed for them; they are defaults):
absolute CN >= ``ReadOptions.amp_threshold`` (default 6.0) → ``amplification``; 3 <= CN <
threshold → ``gain``; CN < 0.5 → ``deletion`` (homozygous); 0.5 <= CN < 1.5 → ``loss``;
anything else is copy-neutral and not reported. A log2 ratio is turned into CN as
2 × 2^log2 (diploid, no purity correction). ``focal`` = segment shorter than 10 Mb.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from alkseq.genome.fusion import FUSION_KINASES
from alkseq.model import Alteration, GenomicVariant
from alkseq.readers.vcf.records import Call, to_number

FOCAL_MAX_BP = 10_000_000
GAIN_MIN_CN = 3.0
DELETION_MAX_CN = 0.5
LOSS_MAX_CN = 1.5


@cache
def _pattern(name: str) -> re.Pattern:
    """Compiled on first use: most runs never meet a breakend or an Ion Reporter fusion."""
    if name == "breakend":
        return re.compile(r"^(?:[A-Za-z.]*)[\[\]](?P<chrom>[^:\[\]]+):(?P<pos>\d+)[\[\]](?:[A-Za-z.]*)$")
    return re.compile(r"^(?P<g5>[A-Za-z0-9]+)-(?P<g3>[A-Za-z0-9]+)\.(?P<e5>[A-Za-z]+\d+[a-z]?)"
                      r"(?:(?:del|ins)\d+)?(?P<e3>[A-Za-z]+\d+[a-z]?)")


def breakend_match(alt: str) -> re.Match | None:
    """The mate of a VCF breakend ALT (``N]chr2:123]``), or None; cheap for the usual plain ALT."""
    return _pattern("breakend").match(alt) if "[" in alt or "]" in alt else None


class Structural:
    """The structural half of ``interpret.Context`` (needs its ``build``, ``options``, ``counts``,
    ``warnings`` and ``_origin``): kept here so small-variant and structural logic read separately."""

    def _fusion(self, call: Call, gene_a: str | None, pos_a: int, gene_b: str | None, pos_b: int,
                exon_override: dict[str, str] | None = None, label: str | None = None) -> Alteration | None:
        from alkseq.genome.fusion import fusion_at

        assert self.build is not None
        fusion = fusion_at(self.build, gene_a, pos_a, gene_b, pos_b, exon_override)
        if fusion is None:
            return None
        return Alteration(gene=fusion.gene, kind="fusion", partner=fusion.partner, fusion_variant=fusion.variant,
                          breakpoint=fusion.breakpoint, label=label or call.ident,
                          genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref,
                                                 call.alts[0] if call.alts else "."),
                          origin=self._origin(call), notes=fusion.notes)

    def breakend(self, call: Call, genes: list[str]) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        match = breakend_match(call.alts[0]) if call.alts else None
        if match:
            mate_chrom, mate_pos = match.group("chrom"), int(match.group("pos"))
        elif call.info.get("END"):
            mate_chrom, mate_pos = str(call.info.get("CHR2") or call.chrom), int(call.info["END"])
        else:
            return []
        mate_genes = genes_at(self.build, mate_chrom, mate_pos)
        own = next((g for g in genes if g in FUSION_KINASES), genes[0])
        mate = next((g for g in mate_genes if g != own), None)
        fusion = self._fusion(call, own, call.pos, mate, mate_pos)
        return [fusion] if fusion else []

    def ion_fusion(self, call: Call) -> list[Alteration]:
        read_count = to_number(call.info.get("READ_COUNT"))
        if read_count is not None and read_count <= 0:
            self.counts["fusion_not_detected"] += 1
            return []
        match = _pattern("ion_fusion").match(call.ident or "")
        if not match:
            self.warnings.append(f"Ion Reporter fusion record {call.ident} at {call.chrom}:{call.pos} has an ID "
                                 "alkseq cannot read; skipped")
            return []
        five, three = match.group("g5").upper(), match.group("g3").upper()
        exon5 = re.sub(r"^[A-Za-z]+", "", match.group("e5"))
        exon3 = re.sub(r"^[A-Za-z]+", "", match.group("e3"))
        exons = {five: exon5, three: exon3}
        fusion = self._fusion(call, five, 0, three, 0, exon_override=exons, label=call.ident.rsplit("_", 1)[0])
        if fusion is None:
            return []
        notes = fusion.notes + ((f"supporting reads: {int(read_count)}",) if read_count else ())
        return [replace(fusion, notes=notes)]

    def copy_number(self, call: Call, svtype: str, alt: str) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        kind_text = (svtype or alt.strip("<>").split(":")[0]).upper()
        copy_number = None
        source = ""
        if call.fmt.get("CN") and call.fmt["CN"][0] is not None:
            copy_number, source = to_number(call.fmt["CN"][0]), "FORMAT/CN"
        elif call.info.get("CN") is not None:
            copy_number, source = to_number(call.info["CN"]), "INFO/CN"
        else:
            for key in ("FOLD_CHANGE_LOG", "LOG2"):
                if call.info.get(key) is not None:
                    log2 = to_number(call.info[key])
                    if log2 is not None:
                        copy_number, source = 2.0 * 2.0 ** log2, f"INFO/{key} (2×2^log2)"
                        break
        if copy_number is None and kind_text not in ("DUP", "DEL", "CNV", "AMP", "GAIN", "LOSS"):
            return []
        end = int(call.info.get("END") or call.end)
        length = end - call.pos + 1
        focal = length < FOCAL_MAX_BP
        if copy_number is not None:
            if copy_number >= self.options.amp_threshold:
                kind = "amplification"
            elif copy_number >= GAIN_MIN_CN:
                kind = "gain"
            elif copy_number < DELETION_MAX_CN:
                kind = "deletion"
            elif copy_number < LOSS_MAX_CN:
                kind = "loss"
            else:
                return []
        elif kind_text in ("DUP", "AMP", "GAIN"):
            kind = "gain"
        elif kind_text in ("DEL", "LOSS"):
            homozygous = len(call.genotype) >= 2 and all(a is not None and a > 0 for a in call.genotype)
            kind = "deletion" if homozygous else "loss"
        else:
            return []
        notes = [f"segment {call.chrom}:{call.pos}-{end} ({length:,} bp)"]
        if source:
            notes.append(f"copy number from {source}")
        out = []
        for gene in genes_at(self.build, call.chrom, call.pos, end):
            out.append(Alteration(gene=gene, kind=kind, copy_number=copy_number, focal=focal,
                                  label=kind if copy_number is None else f"{kind} (CN {copy_number:g})",
                                  genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref, alt or "."),
                                  origin=self._origin(call), notes=tuple(notes)))
        return out
