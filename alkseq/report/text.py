"""A plain-text report a tumour board can read: the answer first, then why."""
from __future__ import annotations

import textwrap

from alkseq.interpret.engine import RESEARCH_USE
from alkseq.model import Report
from alkseq.report.sources import citation_short

SUFFIX = ".txt"
WIDTH = 100


def _wrap(text: str, indent: str = "    ", first: str | None = None) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first or indent, subsequent_indent=indent)


MAX_SOURCES = 4


def _sources(citations) -> str:
    shown = "; ".join(citation_short(s) for s in citations[:MAX_SOURCES])
    more = len(citations) - MAX_SOURCES
    return "Sources: " + shown + (f"; +{more} more (see --format json)" if more > 0 else "")


def render_one(r: Report) -> str:
    ctx = r.context
    out = [f"alkseq {r.alkseq_version} · knowledge {r.knowledge_version} · sample {r.sample}",
           RESEARCH_USE, ""]
    out.append("Context: prior " + (" → ".join(ctx.prior_therapies) or "not given")
               + f"; histology {ctx.histology or 'not given'}"
               + f"; progression {ctx.progression or 'not given'}"
               + (f"; build {r.build}" if r.build else ""))
    out.append(f"Mechanism class: {r.mechanism_class.replace('_', ' ')}")
    out.append("")
    out.append("Findings:")
    if not r.findings:
        out.append("    none (no reportable alteration in the input)")
    for f in r.findings:
        a = f.alteration
        bits = [a.name, f.role.replace("_", " ")]
        if f.mechanism_label:
            bits.append(f.mechanism_label)
        if a.vaf is not None:
            bits.append(f"VAF {a.vaf:.3g}")
        if a.copy_number is not None:
            bits.append(f"CN {a.copy_number:g}")
        out.append("    - " + " · ".join(bits))
    for c in r.compounds:
        ev = c.evidence
        detail = f" ({ev.source}: {ev.detail})" if ev and ev.detail else \
            (f" ({ev.source})" if ev else "")
        out.append(f"    - compound {'+'.join(c.mutations)}: phase {c.phase}{detail}")
    out.append("")
    out.append("Candidates (ranked):")
    if not r.candidates:
        out.append("    none")
    for c in r.candidates:
        tags = [f"level {c.evidence_level}", c.category.replace("_", " ")]
        if c.inferred:
            tags.append("INFERRED")
        if c.status != "approved":
            tags.append(c.status)
        if c.reading:
            tags.append(f"only if {c.reading}")
        out.append(f"  {c.rank}. {c.therapy}  [{', '.join(tags)}]")
        out.append(_wrap(c.rationale))
        if c.citations:
            out.append(_wrap(_sources(c.citations)))
    if r.not_recommended:
        out.append("")
        out.append("Argued against:")
        for n in r.not_recommended:
            out.append(f"  - {n.therapy}" + (" [inferred]" if n.inferred else ""))
            out.append(_wrap(n.reason))
            if n.citations:
                out.append(_wrap(_sources(n.citations)))
    if r.matrix:
        out.append("")
        out.append("Sensitivity of the ALK mutations found, per ALK TKI:")
        for m in r.matrix:
            ic50 = f"IC50 {m.ic50_nm:g} nM" if m.ic50_nm is not None else ""
            line = f"    {m.drug:<12} {m.drug_class:<12} {ic50:<16}" + \
                ("inferred " if m.inferred else "") + (m.evidence or "")
            out.append(line.rstrip())
    if r.advice:
        out.append("")
        out.append("Advice:")
        for a in r.advice:
            out.append(_wrap(a, "    ", first="  - "))
    if r.warnings:
        out.append("")
        out.append("Warnings:")
        for w in r.warnings:
            out.append(_wrap(w, "    ", first="  ! "))
    return "\n".join(out) + "\n"


def render(reports: list[Report], **_options) -> str:
    return ("\n" + "=" * WIDTH + "\n\n").join(render_one(r) for r in reports)
