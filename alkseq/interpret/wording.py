"""Every sentence the interpreter writes, made from facts (the one place for rationale English).

The engine decides; this module words. Tests assert on the facts (drugs, roles, evidence
fields), not on these sentences, so wording can change without touching the engine.
"""
from __future__ import annotations

from alkseq.knowledge.conflicts import describe_conflict
from alkseq.model import call_facts, fmt_number  # noqa: F401 (one copy, shared with the writers)
from alkseq.model import DrugCall

from alkseq.notice import RESEARCH_USE  # noqa: F401  (one sentence for engine and writers)

SETTING_LABELS = {
    "tki_naive": "ALK TKI-naive", "after_1g": "after crizotinib (first generation)",
    "after_2g": "after a second-generation ALK TKI", "after_3g": "after lorlatinib",
    "after_next": "after a next-generation ALK TKI",
}


def describe_call(call: DrugCall, units: list[str]) -> str:
    """One clause for a rationale: 'sensitive for G1202R (IC50 49 nM; 2.1× WT; best evidence …)'."""
    what = "+".join(units) if len(units) == 1 else ", ".join(units)
    bits = call_facts(call)
    if call.inferred:
        bits.append("inferred from single-mutation data")
    return f"{call.drug_class} for {what}" + (f" ({'; '.join(bits)})" if bits else "")


def is_conflicting(call: DrugCall) -> bool:
    """Sources disagree on a cell (the matrix carries every side in ``DrugCall.conflict``)."""
    return bool(call.conflict)


def conflict_detail(call: DrugCall) -> str:
    return "conflicting: " + describe_conflict(call.conflict)


def conflict_warning(drug: str, call: DrugCall) -> str:
    return f"{drug.capitalize()}: sources conflict on the mutations found — {conflict_detail(call)}."


# -- ALK TKIs from the matrix -------------------------------------------------------------
def tki_covers(drug: str, call: DrugCall, units: list[str]) -> str:
    return f"{drug.capitalize()} is {describe_call(call, units)}"


def tki_reading_only(reading: str) -> str:
    return (f"; covers the mutations only if they are in {reading} "
            "(phase unknown: phase them with --bam or a phased VCF)")


TKI_EITHER_READING = "; covers them whether in cis or in trans"


def tki_resensitised(drug: str) -> str:
    return (f"; the tumour progressed on {drug} earlier, but evidence shows these mutations "
            "re-sensitise to it")


def tki_status(status: str) -> str:
    return f" — {status} agent: consider a clinical trial"


TKI_INFERRED_BESIDE = (" Coverage is only inferred from single-mutation data: an option beside "
                       "the line's standard, not instead of it.")


def tki_resistant(drug: str, call: DrugCall, units: list[str]) -> str:
    return f"{drug.capitalize()}: {describe_call(call, units)}."


def tki_progressed_on(drug: str, current: bool) -> str:
    if current:
        return (f"The tumour progressed on {drug} (the current TKI): a mutation it should cover "
                "points to another mechanism as well.")
    return (f"The tumour progressed on {drug}; no direct evidence that the mutations found "
            "re-sensitise to it.")


# -- mechanism-matched therapies ------------------------------------------------------------
def mechanism_rationale(finding_name: str, label: str | None, text: str) -> str:
    """'MET amplification: …', or 'EML4-ALK v3 (ALK fusion variant 3): …' when the label adds."""
    if not label or label.casefold() == finding_name.casefold():
        return f"{finding_name}: {text}"
    return f"{finding_name} ({label}): {text}"


def roles_sentence(roles: tuple[tuple[str, str], ...], mechanism_label: str | None) -> str:
    alk = [d for d, r in roles if r == "alk_directed"]
    mech = [d for d, r in roles if r == "mechanism_directed"]
    if not (alk and mech):
        return ""
    return (f" Roles: {', '.join(alk)} is ALK-directed (covers the ALK alterations); "
            f"{', '.join(mech)} is directed at {mechanism_label or 'the mechanism'}.")


def alk_part_fails(name: str, alk_part: list[str], call: DrugCall, units: list[str]) -> str:
    return (f"{name}: its ALK-directed part ({', '.join(alk_part)}) is "
            f"{describe_call(call, units)}.")


def mechanism_unaddressed(drug: str, labels: list[str]) -> str:
    return (f" {drug.capitalize()} alone leaves {', '.join(labels)} unaddressed; a combination "
            "that also targets it ranks higher where one is curated.")


def current_tki_mechanism(drug: str) -> str:
    return (f"The tumour progressed on {drug} (the current TKI), so {drug} alone is not offered "
            "for this mechanism.")


# -- class-level and investigational options -------------------------------------------------
def class_rationale(label: str, text: str, agents: tuple[str, ...], given: tuple[str, ...],
                    with_alk_tki: str, finding_names: list[str]) -> str:
    named = (", ".join(agents) if agents else "none named by the sources")
    out = f"{text} Agents named: {named}."
    if given:
        out += f" Already given (not offered again): {', '.join(given)}."
    if with_alk_tki == "yes":
        out += " Given with continued ALK inhibition."
    elif with_alk_tki == "not stated":
        out += " Whether to continue the ALK TKI is not stated by the sources."
    if finding_names:
        out = f"{', '.join(finding_names)}: " + out
    return out + " A clinical-trial option."


# -- rules -----------------------------------------------------------------------------------
def local_therapy_resistant(resistant: list[str]) -> str:
    return (f" Note: the ALK mutations found are resistant to {', '.join(resistant)}; continuing "
            "it assumes the resistant clone is confined to the treated sites.")


def no_curated_evidence(drug: str) -> str:
    return f" (No curated evidence yet for {drug} against the mutations found.)"


def regimen_given_before(lines: list[int]) -> str:
    where = ", ".join(str(n) for n in lines)
    return (f" Already given (line {where}): re-treatment is a clinical judgement that no source "
            "read addresses.")


def advice_with_sources(text: str, citations) -> str:
    return text + " [" + "; ".join(str(c.source) for c in citations) + "]"


# -- warnings ---------------------------------------------------------------------------------
def phase_unknown(mutations: list[str]) -> str:
    return ("ALK mutations " + ", ".join(mutations) + " have unknown phase: the answer depends on "
            "whether they are in cis (one allele) or trans (separate clones); candidates say "
            "which reading they need. Phase them with --bam or a phased VCF.")


def vaf_hint_phase(mutations: tuple[str, ...], phase: str) -> str:
    return (f"Phase of {'+'.join(mutations)} ({phase}) rests on a VAF hint only, not on reads or "
            "phased calls; confirm with --bam.")


NO_APPROVED_COVERS = ("No approved ALK TKI that the tumour has not already progressed on has "
                      "direct evidence of covering every ALK mutation found.")
NO_PRIOR = ("No prior therapy given (--prior): treated as ALK TKI-naive; drugs the tumour "
            "progressed on cannot be ranked down.")
NO_PROGRESSION = ("Progression pattern not given (--progression oligo|systemic|cns): local "
                  "therapy for oligoprogression is not considered.")


def outside_kinase_domain(short: str) -> str:
    return (f"ALK {short} lies outside the kinase domain (1116–1392): not interpreted as a "
            "resistance mutation.")


def split_doublet(first: str, second: str) -> str:
    return (f"--prior {first} and --prior {second} are read as two successive lines of "
            f"chemotherapy; if they were given together, write one line: {first}+{second}.")


def empty_answer() -> str:
    return ("No rule gave an option for this case: report it (the pathway rules in "
            "reference/rules.yaml should cover every ALK-positive case).")
