"""Give every alteration its role and, for ALK-independent ones, its curated mechanism."""
from __future__ import annotations

import re
from typing import cast

from alkseq.knowledge.kb import KnowledgeBase, Mechanism
from alkseq.model import Alteration, Context, Finding, MechanismClass, Role
from alkseq.normalise import is_alk_kinase_mutation

def _kind_matches(mech: Mechanism, alt: Alteration) -> bool:
    change = alt.protein_change
    if mech.alteration_kind == "loss":
        return alt.kind in ("loss", "deletion") or (
            alt.kind == "mutation" and change is not None and change.is_truncating)
    if mech.alteration_kind == "mutation":
        if alt.kind != "mutation" or (change is not None and change.kind == "synonymous"):
            return False
        text = change.short if change is not None else (alt.label or "")
        if change is None and not mech.protein_match:
            return False
        return not mech.protein_match or bool(re.search(mech.protein_match, text, re.I))
    if mech.alteration_kind == "amplification":
        return alt.kind == "amplification"
    if mech.alteration_kind == "fusion":
        return alt.kind == "fusion"
    if mech.alteration_kind == "transformation":
        return alt.kind == "transformation" and bool(mech.histology) and \
            mech.histology in (alt.label or "").lower()
    if mech.alteration_kind == "phenotype":
        if alt.kind not in ("phenotype", "other", "expression"):
            return False
        if mech.protein_match:
            return bool(re.search(mech.protein_match, alt.label or "", re.I))
        # no pattern: the panel's word names the mechanism ('EMT', 'SRC activation')
        return _phenotype_word(alt.label or "") in _phenotype_names(mech)
    return False


def _phenotype_word(text: str) -> str:
    return " ".join(re.sub(r"[\s_\-]+", " ", text).lower().split())


def _phenotype_names(mech: Mechanism) -> set[str]:
    """Words a panel may use for a phenotype mechanism: its id, label and id without the gene."""
    names = {mech.mechanism, mech.label, mech.mechanism.split("_", 1)[-1]}
    if mech.gene:
        names |= {f"{mech.gene} {mech.mechanism.split('_', 1)[-1]}"}
    return {_phenotype_word(n) for n in names if n}


def _gene_matches(mech: Mechanism, alt: Alteration) -> bool:
    if not mech.gene:
        return True
    genes = {alt.gene, alt.partner} if alt.kind == "fusion" else {alt.gene}
    if alt.kind == "fusion" and mech.gene != "ALK" and alt.gene == "ALK" and alt.partner != mech.gene:
        return False
    return mech.gene in genes


def match_mechanism(kb: KnowledgeBase, alt: Alteration) -> Mechanism | None:
    """Most specific curated mechanism for an alteration (a protein pattern beats none)."""
    hits = [m for m in kb.mechanisms if _gene_matches(m, alt) and _kind_matches(m, alt)]
    if not hits:
        return None
    hits.sort(key=lambda m: (0 if m.protein_match else 1))
    return hits[0]


def classify(kb: KnowledgeBase, alterations: list[Alteration], context: Context
             ) -> list[Finding]:
    findings: list[Finding] = []
    for alt in alterations:
        if is_alk_kinase_mutation(alt):
            findings.append(Finding(alt, "alk_kinase_domain"))
            continue
        if alt.gene == "ALK" and alt.kind == "fusion":
            findings.append(Finding(alt, "fusion", note="the ALK driver rearrangement"))
            continue
        mech = match_mechanism(kb, alt)
        if mech is not None:
            role = cast(Role, mech.role if mech.role != "alk_dependent" else "alk_other")   # roles: knowledge/schema.py
            findings.append(Finding(alt, role,
                                    mech.mechanism, mech.label))
            continue
        findings.append(Finding(alt, "alk_other" if alt.gene == "ALK" else "other"))
    # histology reported by the clinic counts as a transformation finding
    if context.histology in ("small-cell", "squamous") and not any(
            f.role == "transformation" for f in findings):
        alt = Alteration(gene="", kind="transformation", label=context.histology,
                         notes=("from --histology",))
        mech = match_mechanism(kb, alt)
        findings.append(Finding(alt, "transformation", mech.mechanism if mech else None,
                                mech.label if mech else f"{context.histology} transformation"))
    return findings


def mechanism_classes(findings: list[Finding]) -> set[MechanismClass]:
    return {f.mechanism_class for f in findings if f.mechanism_class is not None}


def mechanism_class(classes: set[MechanismClass]) -> MechanismClass:
    if not classes:
        return "none_found"
    if len(classes) > 1:
        return "mixed"
    return next(iter(classes))
