"""Disagreements between sources on one matrix cell: found once, here, for the call, the
validator's warning and the audit.

A cell is conflicting when its rows state two or more classes (``unknown`` states none).
Every side is kept with the strongest evidence kind and directness behind it, so a reader
sees "resistant by a cell line, sensitive in a review table" instead of one silent winner.
A table acknowledges a conflict by a row note containing ``conflict: <why>``.
"""
from __future__ import annotations

import re

from alkseq.knowledge.kb import KnowledgeBase, SensitivityRow
from alkseq.knowledge.schema import DIRECTNESS_RANK, EVIDENCE_RANK
from alkseq.model import ConflictSide, describe_conflict  # noqa: F401 (re-exported)

# the order sides are listed in: the conservative reading first
SIDE_ORDER = {"resistant": 0, "intermediate": 1, "sensitive": 2}


# a row that disagrees on purpose says so: 'conflict: <why>' in its note
_CONFLICT_NOTE = re.compile(r"(?:^|[\s;(\[])conflict:\s*\S", re.I)


def acknowledges_conflict(note: str) -> bool:
    """True when a row's note explains a disagreement ('conflict: <why>')."""
    return bool(_CONFLICT_NOTE.search(note or ""))


def cell_conflict(rows: tuple[SensitivityRow, ...] | list[SensitivityRow]
                  ) -> tuple[ConflictSide, ...]:
    """Every side of a cell whose rows state different classes; ``()`` when they agree."""
    by_class: dict[str, list[SensitivityRow]] = {}
    for row in rows:
        if row.drug_class != "unknown":
            by_class.setdefault(row.drug_class, []).append(row)
    if len(by_class) < 2:
        return ()
    sides = []
    for drug_class in sorted(by_class, key=lambda c: SIDE_ORDER.get(c, 9)):
        side = by_class[drug_class]
        sides.append(ConflictSide(
            mutation=side[0].mutation, drug_class=drug_class,
            evidence=min((r.evidence for r in side), key=lambda e: EVIDENCE_RANK.get(e, 9)),
            directness=min((r.citation.directness for r in side),
                           key=lambda d: DIRECTNESS_RANK.get(d, 9)),
            sources=tuple(dict.fromkeys(r.citation.source for r in side)),
            rows=len(side)))
    return tuple(sides)


def conflicting_cells(kb: KnowledgeBase) -> dict[tuple[str, str], tuple[ConflictSide, ...]]:
    """Every conflicting cell of the matrix."""
    found = {}
    for key, rows in kb.sensitivity.items():
        sides = cell_conflict(rows)
        if sides:
            found[key] = sides
    return found


def acknowledged(rows) -> bool:
    """True when some row of the cell explains the disagreement in its note."""
    return any(acknowledges_conflict(r.note) for r in rows)


def unacknowledged_conflicts(kb: KnowledgeBase) -> list[tuple[str, int, str]]:
    """(path, line, message) for each conflicting cell no row of which says why: a warning,
    not an error — the call already shows both sides; the curator should say which to trust."""
    out = []
    for (mutation, drug), sides in conflicting_cells(kb).items():
        rows = kb.sensitivity[(mutation, drug)]
        if acknowledged(rows):
            continue
        first = min(rows, key=lambda r: (r.path, r.line))
        out.append((first.path, first.line,
                    f"{mutation} x {drug}: sources disagree ({describe_conflict(sides)}) and no "
                    "row says why; add 'conflict: <why>' to a row's note"))
    return out
