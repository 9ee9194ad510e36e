"""What the first candidate rests on, in words every writer shares (text, HTML, TSV).

Pure functions of a ``Report``: how the phase of each ALK mutation pair was established,
which phase reading a candidate needs, and the candidate's named evidence fields.
"""
from __future__ import annotations

from alkseq.model import Candidate, Report

READING_WORDS = {"cis": "if on one allele (cis)", "trans": "if on separate alleles or clones (trans)"}
PHASE_BASIS = {"reads": "sequencing reads", "vcf": "phased VCF", "vaf_hint": "VAF hint only",
               "user": "as given", "none": "none"}


def kd_mutations(r: Report) -> list[tuple[str, int, float | None]]:
    """The ALK kinase-domain mutations found, once each: (name, residue, VAF), by residue."""
    seen: dict[str, tuple[str, int, float | None]] = {}
    for f in r.findings:
        change = f.alteration.protein_change
        if f.role == "alk_kinase_domain" and change is not None:
            seen.setdefault(change.short, (change.short, change.start, f.alteration.vaf))
    return sorted(seen.values(), key=lambda m: (m[1], m[0]))


def phase_basis(r: Report) -> list[str]:
    """How the phase of each ALK mutation pair was established, in a line each."""
    kd = kd_mutations(r)
    if len(kd) < 2:
        return ["not needed: " + ("one ALK kinase-domain mutation" if kd
                                  else "no ALK kinase-domain mutation")]
    out = []
    for c in r.compounds:
        ev = c.evidence
        source = ev.source if ev else "none"
        if source == "none":
            out.append(f"{' + '.join(c.names)}: phase {c.phase}, not established"
                       + (f" ({ev.detail})" if ev is not None and ev.detail else ""))
            continue
        line = f"{' + '.join(c.names)}: {c.phase}, from {PHASE_BASIS.get(source, source)}"
        if ev is not None and ev.spanning:
            line += (f" ({ev.spanning} spanning reads: both {ev.both or 0}, first only "
                     f"{ev.first_only or 0}, second only {ev.second_only or 0})")
        elif ev is not None and ev.detail:
            line += f" ({ev.detail})"
        out.append(line)
    return out


def reading_needed(r: Report, candidate) -> str:
    """Which phase reading a candidate needs, in words."""
    if candidate.reading in READING_WORDS:
        return "holds only " + READING_WORDS[candidate.reading]
    if any(c.phase == "unknown" for c in r.compounds) and candidate.drugs and any(
            m.drug in candidate.drugs for m in r.matrix):
        return "holds whether the mutations are in cis or in trans"
    return "does not depend on phase"


EVIDENCE_FIELDS = (("recommendation_strength", "strength of recommendation"),
                   ("coverage_evidence", "evidence it covers the findings"),
                   ("best_coverage_evidence", "evidence it covers the findings"))


def evidence_fields(candidate) -> list[tuple[str, str]]:
    """The candidate's named evidence fields that are set (level first)."""
    out = [("evidence level", candidate.evidence_level)]
    for attr, words in EVIDENCE_FIELDS:
        value = getattr(candidate, attr, None)
        if value:
            out.append((words, str(value).replace("_", " ")))
    return out




def alternative(r: Report, top: Candidate | None) -> list[tuple[str, Candidate]]:
    """What changes with phase: for a first candidate that needs one reading, the best
    candidate of the other; otherwise the best candidate that needs each reading."""
    if top is None:
        return []
    if top.reading in READING_WORDS:
        other = "trans" if top.reading == "cis" else "cis"
        pick = next((c for c in r.candidates if c.reading in (other, None)
                     and c.rank != top.rank), None)
        return [(READING_WORDS[other], pick)] if pick else []
    out = []
    for reading, words in READING_WORDS.items():
        pick = next((c for c in r.candidates if c.reading == reading), None)
        if pick is not None:
            out.append((words, pick))
    return out
