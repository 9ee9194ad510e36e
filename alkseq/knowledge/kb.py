"""Typed, immutable view of the curated tables, with the look-ups the interpreter needs.

Annotations here are evaluated, not postponed (no ``from __future__ import annotations``):
``typing.NamedTuple`` compiles every string annotation as a forward reference (71 compiles,
~1.5 ms on every start-up), while real types cost nothing to record.
"""
import re
from dataclasses import field
from typing import NamedTuple

from alkseq.errors import UsageError
from alkseq.model import dataclass  # frozen records without code generation at import
from alkseq.model import Citation


def norm_name(text: str) -> str:
    """Drug-name key: case-insensitive, ignoring spaces, hyphens, dots and ® / ™."""
    return re.sub(r"[\s\-_.®™()]", "", text).lower()


class Drug(NamedTuple):
    """One row of drugs.tsv: a drug, its class and every name it goes by."""

    drug: str
    drug_class: str
    generation: str
    alk_status: str
    targets: tuple[str, ...]
    synonyms: tuple[str, ...]
    citations: tuple[Citation, ...]
    note: str = ""

    @property
    def is_alk_tki(self) -> bool:
        return self.drug_class == "alk_tki"


class Therapy(NamedTuple):
    """One row of therapies.tsv: a regimen as slots of interchangeable drugs."""

    therapy: str
    name: str
    drug_slots: tuple[tuple[str, ...], ...]   # each slot: alternatives
    category: str
    histology: str
    citations: tuple[Citation, ...]
    note: str = ""

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(d for slot in self.drug_slots for d in slot)


class SensitivityRow(NamedTuple):
    """One row of sensitivity.tsv: one source's call (and IC50, where given) for a mutation and a drug."""

    mutation: str
    drug: str
    drug_class: str          # sensitive | intermediate | resistant | unknown
    ic50_nm: float | None
    wt_ic50_nm: float | None
    fold_vs_wt: float | None
    assay: str
    evidence: str
    citation: Citation
    note: str = ""
    line: int = 0
    path: str = ""           # the table the row came from (shipped or overlay)


class Mechanism(NamedTuple):
    """One row of mechanisms.tsv: an ALK-independent mechanism and how to recognise it."""

    mechanism: str
    label: str
    gene: str
    alteration_kind: str
    protein_match: str
    histology: str
    role: str
    frequency: str
    citations: tuple[Citation, ...]
    note: str = ""


class MechanismTherapy(NamedTuple):
    """One row of mechanism_therapies.tsv: a therapy matched to a mechanism."""

    mechanism: str
    therapy: str
    category: str
    evidence: str
    rationale: str
    citations: tuple[Citation, ...]
    note: str = ""


class Rule(NamedTuple):
    """One rule of rules.yaml: a condition on the case and what it recommends or advises."""

    id: str
    when: dict
    action: str             # recommend | not_recommend | advise
    therapy: str | None     # therapy id, drug or drug+drug (recommend / not_recommend)
    name: str | None        # display name for a list of drugs (e.g. PD-1/PD-L1 monotherapy)
    drugs: tuple[str, ...]  # not_recommend of a drug class: every drug it names
    priority: int
    category: str | None
    text: str               # rationale / reason / advice shown to the reader
    evidence: str
    citations: tuple[Citation, ...]
    strength: str = ""      # recommendation strength for the line (schema.STRENGTHS); "" = from evidence


class TherapyClass(NamedTuple):
    """One row of therapy_classes.tsv: a class of therapy a source names, and the agents it names."""

    therapy_class: str
    label: str
    targets: tuple[str, ...]
    agents_named: tuple[str, ...]      # drugs.tsv names; empty when the sources name none
    applies_when: tuple[str, ...]      # triggers, e.g. mechanism:nf2_loss, alk_compound_with:I1171N
    with_alk_tki: str                  # yes | no | not stated
    strength: str
    rationale: str
    citations: tuple[Citation, ...]
    note: str = ""


class Source(NamedTuple):
    """One row of sources/*.tsv: a cited work."""

    source: str
    citation: str
    title: str
    year: str
    url: str


# Table rows are NamedTuples (immutable, cheap to define: every run imports this module);
# the knowledge base itself is a frozen dataclass.
@dataclass(frozen=True)
class KnowledgeBase:
    """Every validated table, with the look-ups the interpreter needs."""

    version: str
    date: str
    drugs: dict[str, Drug]
    therapies: dict[str, Therapy]
    sensitivity: dict[tuple[str, str], tuple[SensitivityRow, ...]]
    mechanisms: tuple[Mechanism, ...]
    mechanism_therapies: dict[str, tuple[MechanismTherapy, ...]]
    rules: tuple[Rule, ...]
    sources: dict[str, Source]
    alk_protein: str = ""
    synonym_index: dict[str, str] = field(default_factory=dict)
    priorities: dict[str, int] = field(default_factory=dict)
    therapy_classes: dict[str, TherapyClass] = field(default_factory=dict)

    def priority(self, name: str) -> int:
        """A ranking priority by name (reference/priorities.tsv); lower ranks first."""
        return self.priorities[name]

    def derived(self, kind: str) -> dict:
        """A per-process memo of values computed from this knowledge base alone (``kind`` names the
        table: the matrix's cells, the writers' references). A knowledge base never changes and what
        is kept is frozen, so each value is made once: a batch worker interprets thousands of samples
        against one knowledge base. Forgotten with the knowledge base."""
        entry = _DERIVED.get(id(self))
        if entry is None or entry[0]() is not self:
            import weakref

            key = id(self)

            def forget(_gone) -> None:
                _DERIVED.pop(key, None)

            entry = _DERIVED[key] = (weakref.ref(self, forget), {})
        tables = entry[1]
        table = tables.get(kind)
        if table is None:
            table = tables[kind] = {}
        return table

    # ---- drugs -------------------------------------------------------------------
    def resolve_drug(self, name: str) -> str:
        """Generic name for a generic, code or brand name; UsageError with suggestions."""
        key = norm_name(name)
        if key in self.synonym_index:
            return self.synonym_index[key]
        import difflib

        close = difflib.get_close_matches(key, list(self.synonym_index), n=3, cutoff=0.75)
        hint = ("did you mean " + ", ".join(sorted({self.synonym_index[c] for c in close}))
                if close else "see `alkseq kb drugs` for known names")
        raise UsageError(f"unknown drug '{name}'", hint=hint)

    def alk_tkis(self) -> list[Drug]:
        return [d for d in self.drugs.values() if d.is_alk_tki]

    def is_alk_tki(self, drug: str) -> bool:
        found = self.drugs.get(drug)
        return bool(found and found.is_alk_tki)

    # ---- sensitivity -------------------------------------------------------------
    def sensitivity_rows(self, mutation: str, drug: str) -> tuple[SensitivityRow, ...]:
        return self.sensitivity.get((mutation, drug), ())

    @property
    def matrix_mutations(self) -> set[str]:
        return {m for m, _ in self.sensitivity}

    def citation_text(self, source: str) -> str:
        found = self.sources.get(source)
        return found.citation if found else source


_DERIVED: dict[int, tuple] = {}   # id(kb) → (weak reference to it, {kind: {key: value}})
