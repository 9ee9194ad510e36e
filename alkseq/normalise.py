"""Normalise what readers found before interpretation.

Gene symbols upper-cased, ALK protein changes checked against the ALK protein (a
stated residue that is not the real one is an error, never a silent call) and put in
canonical HGVS form (1151Tins → T1151dup; the spelling as read stays in
``ProteinChange.original``), exact duplicates dropped. This runs before phasing, so compounds
are built from, and compared as, the canonical changes.
"""
from __future__ import annotations

from dataclasses import replace

from alkseq.errors import ParseError
from alkseq.genome.protein import normalise_on_sequence
from alkseq.model import ALK_KINASE_DOMAIN, Alteration, Compound, ProteinChange



def normalise_alterations(alterations, alk_protein: str) -> tuple[list[Alteration], list[str]]:
    """Return (alterations, warnings); raises ParseError naming the file/line on a bad ALK residue."""
    out: list[Alteration] = []
    warnings: list[str] = []
    seen: set[tuple] = set()
    for alt in alterations:
        gene = alt.gene.upper().strip() if alt.gene else alt.gene
        change = alt.protein_change
        if gene == "ALK" and change is not None and alk_protein:
            try:
                change = _canonical(change, alk_protein)
            except ParseError as exc:
                raise ParseError(exc.message, path=alt.origin.path, line=alt.origin.line,
                                 hint=exc.hint) from None
        if gene != alt.gene or change is not alt.protein_change:     # most are canonical already
            alt = replace(alt, gene=gene, protein_change=change)
        key = (alt.gene, alt.kind, change.short if change else None, alt.partner,
               alt.fusion_variant, alt.label if change is None else None)
        if key in seen:
            warnings.append(f"{alt.name} reported more than once; counted once")
            continue
        seen.add(key)
        out.append(alt)
    return out, warnings


def normalise_compounds(compounds, alk_protein: str) -> list[Compound]:
    """Compounds a reader built (from phase sets) with their members in canonical form too."""
    if not alk_protein:
        return list(compounds)
    return [replace(c, mutations=tuple(_canonical(m, alk_protein) for m in c.mutations)) for c in compounds]


def _canonical(change: ProteinChange, alk_protein: str) -> ProteinChange:
    canonical = normalise_on_sequence(change, alk_protein, "ALK")
    if canonical.short != change.short and canonical.original is None:
        canonical = replace(canonical, original=change.original or change.short)
    return canonical


def is_alk_kinase_mutation(alt: Alteration) -> bool:
    change = alt.protein_change
    return (alt.gene == "ALK" and alt.kind == "mutation" and change is not None
            and change.kind not in ("synonymous",)
            and any(r in ALK_KINASE_DOMAIN for r in change.residues))
