"""Treatment history as lines of therapy: what the pathway rules need to know about it.

Pure: a ``Context`` (lines, oldest first) and the drug table in, a ``TreatmentHistory`` out.
The setting is the highest ALK-TKI generation given at any line, so alectinib then crizotinib
is "after a second-generation TKI", not "after first-line crizotinib".
"""
from __future__ import annotations

from alkseq.model import Context, TreatmentHistory

GENERATION_ORDER = ("1", "2", "3", "next")
SETTING_BY_GENERATION = {"1": "after_1g", "2": "after_2g", "3": "after_3g", "next": "after_next"}


def treatment_history(kb, context: Context) -> TreatmentHistory:
    """Every ALK TKI given (drug, generation, line number), chemotherapy given, the setting."""
    tkis: list[tuple[str, str, int]] = []
    chemo = False
    for number, line in enumerate(context.lines, start=1):
        for drug in line:
            found = kb.drugs.get(drug)
            if found is None:
                continue
            if found.is_alk_tki:
                tkis.append((drug, found.generation or "", number))
            elif found.drug_class == "chemotherapy":
                chemo = True
    generations = [g for _, g, _ in tkis if g in GENERATION_ORDER]
    setting = "tki_naive"
    if generations:
        setting = SETTING_BY_GENERATION[max(generations, key=GENERATION_ORDER.index)]
    elif tkis:  # an ALK TKI with no generation in drugs.tsv: treat as first generation
        setting = "after_1g"
    return TreatmentHistory(lines=context.lines, alk_tkis=tuple(tkis), chemotherapy_given=chemo,
                            setting=setting, next_line=len(context.lines) + 1)


def generations_given(history: TreatmentHistory) -> set[str]:
    return {g for _, g, _ in history.alk_tkis}


def split_chemotherapy_lines(kb, context: Context) -> list[tuple[str, str]]:
    """Successive one-drug chemotherapy lines, likely one doublet written as two --prior."""
    pairs = []
    for first, second in zip(context.lines, context.lines[1:]):
        if len(first) == 1 and len(second) == 1:
            a, b = kb.drugs.get(first[0]), kb.drugs.get(second[0])
            if a and b and a.drug_class == b.drug_class == "chemotherapy":
                pairs.append((first[0], second[0]))
    return pairs
