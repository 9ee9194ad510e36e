"""What the sensitivity matrix covers: counts a curator and a closing note need."""
from __future__ import annotations

from collections import Counter

from alkseq.knowledge.conflicts import conflicting_cells
from alkseq.knowledge.kb import KnowledgeBase

PRIMARY = {"primary", "primary_abstract", "guideline"}
# the issue-14 goal metric: a cell rests on a primary paper (text or abstract) or on clinical
# evidence (a trial, cohort or guideline), not only on reviews and curated paraphrases
PRIMARY_SOURCE = {"primary", "primary_abstract"}
CLINICAL_EVIDENCE = {"clinical", "guideline"}


def has_primary_source(rows) -> bool:
    return any(r.citation.directness in PRIMARY_SOURCE for r in rows)


def has_clinical_source(rows) -> bool:
    return any(r.evidence in CLINICAL_EVIDENCE or r.citation.directness == "guideline"
               for r in rows)


def best_directness(rows) -> str:
    from alkseq.knowledge.schema import DIRECTNESS_RANK

    return min((r.citation.directness for r in rows), key=lambda d: DIRECTNESS_RANK.get(d, 9))


def matrix_coverage(kb: KnowledgeBase) -> dict:
    rows = [r for cell in kb.sensitivity.values() for r in cell]
    cells = kb.sensitivity
    mutations = {m for m, _ in cells if m != "WT"}
    classed = {k for k, v in cells.items() if any(r.drug_class != "unknown" for r in v)}
    return {
        "rows": len(rows),
        "mutations": len({m for m in mutations if "+" not in m}),
        "compounds": len({m for m in mutations if "+" in m}),
        "drugs": len({d for _, d in cells}),
        "cells": len(cells),
        "cells_with_class": len(classed),
        "cells_with_ic50": sum(1 for v in cells.values() if any(r.ic50_nm for r in v)),
        "rows_with_ic50": sum(1 for r in rows if r.ic50_nm),
        "cells_with_primary_source": sum(1 for v in cells.values() if has_primary_source(v)),
        "cells_with_clinical_source": sum(1 for v in cells.values() if has_clinical_source(v)),
        "cells_with_primary_or_clinical": sum(
            1 for v in cells.values() if has_primary_source(v) or has_clinical_source(v)),
        "cells_conflicting": len(conflicting_cells(kb)),
        "cells_by_best_directness": dict(Counter(
            best_directness(v) for v in cells.values()).most_common()),
        "rows_by_directness": dict(Counter(r.citation.directness for r in rows).most_common()),
        "rows_by_evidence": dict(Counter(r.evidence for r in rows).most_common()),
        "rows_primary": sum(1 for r in rows if r.citation.directness in PRIMARY),
        "rows_secondary": sum(1 for r in rows if r.citation.directness not in PRIMARY),
        "cells_by_drug": dict(Counter(d for _, d in cells).most_common()),
    }


def coverage_table(kb: KnowledgeBase, drugs: list[str] | None = None) -> list[list[str]]:
    """Mutation × ALK TKI grid of class letters (S/I/R/?, '.' no row), for reviewing gaps."""
    drugs = drugs or [d.drug for d in sorted(kb.alk_tkis(), key=lambda d: (d.generation, d.drug))]
    from alkseq.interpret.matrix import cell_call

    letters = {"sensitive": "S", "intermediate": "I", "resistant": "R", "unknown": "?"}
    mutations = sorted({m for m, _ in kb.sensitivity if m != "WT"},
                       key=lambda m: ("+" in m, m[1:].split("+")[0].rjust(8), m))
    table = [["mutation"] + drugs]
    for mutation in mutations:
        row = [mutation]
        for drug in drugs:
            if (mutation, drug) in kb.sensitivity:
                row.append(letters[cell_call(kb, mutation, drug).drug_class])
            else:
                row.append(".")
        table.append(row)
    return table
