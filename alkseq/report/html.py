"""HTML reports: one self-contained page per input (a section per sample), a cohort page.

The page opens offline: styles are inline, figures are inline SVG drawn by matplotlib
(``alkseq.report.plots``), there are no scripts, fonts or remote resources, and a
Content-Security-Policy forbids loading any. Jinja2 autoescapes every value, so sample
names and every string read from an input file show as text. No date is written, so the
same input gives the same bytes.

The heatmap and the hotspot list are read from the knowledge base: pass the one the
reports were made with (``kb=``); by default the shipped knowledge base is used.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from alkseq.interpret.engine import RESEARCH_USE
from alkseq.model import Citation, DrugCall, Finding, Report
from alkseq.normalise import ALK_KINASE_DOMAIN
from alkseq.sanitise import printable
from alkseq.report.sources import citation_short, source_url

SUFFIX = ".html"
TEMPLATES = Path(__file__).parent / "templates"
MAX_TIP_SOURCES = 6
MECHANISMS = ("ALK KD mutation", "compound", "G1202R", "MET amplification", "other bypass",
              "transformation", "none found")
ROLE_LABELS = {"alk_kinase_domain": "ALK kinase domain", "alk_other": "ALK, other",
               "fusion": "ALK fusion", "bypass": "bypass", "transformation": "transformation",
               "other": "other"}


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_printable_value)
    env.filters["words"] = lambda text: str(text).replace("_", " ")
    return env


def _printable_value(value):
    """Every ``{{ value }}`` of the templates, before autoescaping: controls shown as escapes
    (alkseq.sanitise); already-safe markup (the SVG figures) stays markup."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return Markup(printable(value))
    if isinstance(value, str):
        return printable(value)
    return value


def _kb(kb):
    if kb is not None:
        return kb
    from alkseq.knowledge import load_knowledge

    return load_knowledge()


def _markup(svg: str):
    """SVG made by ``plots`` (matplotlib escapes its text; tooltips are escaped there)."""
    from markupsafe import Markup

    return Markup(svg)


# ---- one sample ----------------------------------------------------------------------
def safe_url(source: str, kb=None) -> str | None:
    """A link for a citation, only ever http(s) (an overlay could hold 'javascript:')."""
    url = source_url(source)
    if url is None and kb is not None and source in kb.sources:
        url = kb.sources[source].url or None
    return url if url and re.match(r"https?://[^\s]+$", url, re.I) else None


def _cite(c: Citation, kb) -> dict:
    short = citation_short(Citation(c.source))
    return {"source": short, "locator": c.locator, "url": safe_url(c.source, kb),
            "title": kb.citation_text(c.source) if kb is not None else c.source,
            "directness": c.directness.replace("_", " ")}


def _finding(f: Finding) -> dict:
    a = f.alteration
    facts = []
    if a.protein_change is not None and a.protein_change.hgvs:
        facts.append(a.protein_change.hgvs)
    if a.vaf is not None:
        facts.append(f"VAF {a.vaf:.3g}")
    if a.depth is not None:
        facts.append(f"depth {a.depth}")
    if a.copy_number is not None:
        facts.append(f"CN {a.copy_number:g}")
    if a.breakpoint:
        facts.append(a.breakpoint)
    origin = ""
    if a.origin.path:
        origin = a.origin.path + (f":{a.origin.line}" if a.origin.line else "")
    return {"name": a.name, "role": ROLE_LABELS.get(f.role, f.role.replace("_", " ")),
            "mechanism": f.mechanism_label or "", "facts": " · ".join(facts),
            "note": "; ".join(x for x in (f.note, *a.notes) if x), "origin": origin}


def _kd_mutations(r: Report) -> list[tuple[str, int, float | None]]:
    seen: dict[str, tuple[str, int, float | None]] = {}
    for f in r.findings:
        change = f.alteration.protein_change
        if f.role == "alk_kinase_domain" and change is not None:
            seen.setdefault(change.short, (change.short, change.start, f.alteration.vaf))
    return sorted(seen.values(), key=lambda m: (m[1], m[0]))


def hotspots(kb) -> dict[int, list[str]]:
    """Residue → curated mutations there, from the sensitivity matrix (singles and parts of
    compounds); the plot's hotspot list is the knowledge base's, never a literal."""
    from alkseq.errors import AlkseqError
    from alkseq.genome.protein import parse_protein_change

    by_residue: dict[int, set[str]] = {}
    for key in kb.matrix_mutations:
        for part in key.split("+"):
            try:
                _, change = parse_protein_change(part)
            except (AlkseqError, ValueError):
                continue
            by_residue.setdefault(change.start, set()).add(change.short)
    return {r: sorted(names) for r, names in sorted(by_residue.items())}


def _tip(unit: str, call: DrugCall) -> str:
    from alkseq.interpret.matrix import call_facts

    bits = [f"{unit} × {call.drug}: {call.drug_class}", *call_facts(call)]
    if call.inferred:
        bits.append("inferred (no direct evidence for this combination)")
    if call.detail:
        bits.append(call.detail)
    if call.citations:
        shown = [citation_short(c) for c in call.citations[:MAX_TIP_SOURCES]]
        more = len(call.citations) - MAX_TIP_SOURCES
        bits.append("sources: " + "; ".join(shown) + (f"; +{more} more" if more > 0 else ""))
    else:
        bits.append("no curated source")
    return "\n".join(bits)


def _cell(unit: str, call: DrugCall):
    from alkseq.report.plots import CLASS_LETTERS, Cell

    label = CLASS_LETTERS.get(call.drug_class, "?") + ("*" if call.inferred else "")
    if call.ic50_nm is not None:
        label += f"\n{call.ic50_nm:.3g} nM" if call.ic50_nm < 1000 else f"\n{call.ic50_nm:.0f} nM"
    return Cell(label, call.drug_class, _tip(unit, call))


def _heatmap(r: Report, kb, prefix: str) -> str | None:
    from alkseq.interpret.matrix import cell_call
    from alkseq.report.plots import heatmap_svg

    singles = _kd_mutations(r)
    units: list[tuple[str, str]] = []   # (row label, knowledge key)
    for name, _, vaf in singles:
        units.append((name + (f" (VAF {vaf:.2f})" if vaf is not None else ""), name))
    for comp in r.compounds:
        if comp.phase == "trans" or len(comp.mutations) < 2:
            continue   # in trans each mutation is its own unit: the singles above
        label = {"unknown": "if cis", "mixed": "mixed"}.get(comp.phase, comp.phase)
        units.append((f"{comp.key} ({label})", comp.key))
    if not units:
        return None
    columns = [d.drug for d in kb.alk_tkis()]
    columns += [m.drug for m in r.matrix if m.drug not in columns]
    cells = {}
    for label, key in units:
        for drug in columns:
            cells[(label, drug)] = _cell(key, cell_call(kb, key, drug))
    patient_row = "patient call (all units)"
    rows = [label for label, _ in units]
    if r.matrix:
        rows.append(patient_row)
        for call in r.matrix:
            cells[(patient_row, call.drug)] = _cell("all ALK mutations found", call)
    prior = r.context.prior_therapies
    notes = {d: ("current" if d == r.context.current_therapy else "prior") for d in prior}
    return heatmap_svg(rows, columns, cells, column_notes=notes, prefix=prefix,
                       separator_before=patient_row if r.matrix else None)


def _lollipop(r: Report, kb, prefix: str) -> str:
    from alkseq.report.plots import Link, Lollipop, lollipop_svg

    mutations = [Lollipop(name, residue, vaf) for name, residue, vaf in _kd_mutations(r)
                 if residue in ALK_KINASE_DOMAIN]
    links = [Link(names, phase) for names, phase in _merged_links(r)]
    return lollipop_svg(mutations, links, hotspots(kb), domain=ALK_KINASE_DOMAIN, prefix=prefix)


def _merged_links(r: Report) -> list[tuple[tuple[str, ...], str]]:
    """Compounds of one phase that share a mutation drawn as one bracket (five mutations of
    unknown phase are ten pairs: one bracket says it, ten would hide the plot)."""
    out = []
    for phase in ("cis", "mixed", "trans", "unknown"):
        groups: list[set[str]] = []
        for comp in r.compounds:
            if comp.phase != phase or len(comp.mutations) < 2:
                continue
            members = set(comp.mutations)
            touching = [g for g in groups if g & members]
            for g in touching:
                members |= g
                groups.remove(g)
            groups.append(members)
        residue = {name: res for name, res, _ in _kd_mutations(r)}
        for g in groups:
            out.append((tuple(sorted(g, key=lambda n: (residue.get(n, 0), n))), phase))
    return out


def sample_view(r: Report, kb, index: int) -> dict:
    """Everything the template shows for one sample, as plain values."""
    ctx = r.context
    findings = [(_finding(f), f.role) for f in r.findings]
    compounds = []
    for c in r.compounds:
        ev = c.evidence
        reads = ""
        if ev is not None and ev.spanning:
            reads = (f"{ev.spanning} spanning reads: both {ev.both or 0}, "
                     f"first only {ev.first_only or 0}, second only {ev.second_only or 0}")
        compounds.append({"key": c.key, "phase": c.phase,
                          "source": ev.source if ev else "", "detail": ev.detail if ev else "",
                          "reads": reads})
    prefix = f"s{index + 1}"
    heatmap = _heatmap(r, kb, prefix + "h")
    return {
        "anchor": f"sample-{index + 1}",
        "sample": r.sample,
        "build": r.build or "not given",
        "prior": list(ctx.prior_therapies),
        "histology": ctx.histology or "not given",
        "progression": ctx.progression or "not given",
        "specimen": ctx.specimen or "not given",
        "mechanism_class": r.mechanism_class.replace("_", " "),
        "knowledge_version": r.knowledge_version,
        "alkseq_version": r.alkseq_version,
        "candidates": [{
            "rank": c.rank, "therapy": c.therapy, "drugs": list(c.drugs),
            "category": c.category.replace("_", " "), "level": c.evidence_level,
            "rationale": c.rationale, "inferred": c.inferred, "status": c.status,
            "reading": c.reading if c.reading in ("cis", "trans") else None,
            "citations": [_cite(s, kb) for s in c.citations]} for c in r.candidates],
        "not_recommended": [{
            "therapy": n.therapy, "reason": n.reason, "inferred": n.inferred,
            "citations": [_cite(s, kb) for s in n.citations]} for n in r.not_recommended],
        "alk": [f for f, role in findings if role in ("alk_kinase_domain", "fusion", "alk_other")],
        "compounds": compounds,
        "bypass": [f for f, role in findings if role in ("bypass", "transformation")],
        "other": [f for f, role in findings
                  if role not in ("alk_kinase_domain", "fusion", "alk_other", "bypass",
                                  "transformation")],
        "matrix": [{"drug": m.drug, "class": m.drug_class,
                    "ic50": f"{m.ic50_nm:g} nM" if m.ic50_nm is not None else "",
                    "fold": f"{m.fold_vs_wt:.3g}×" if m.fold_vs_wt is not None else "",
                    "evidence": (m.evidence or "").replace("_", " "), "inferred": m.inferred,
                    "detail": m.detail,
                    "citations": [_cite(s, kb) for s in m.citations]} for m in r.matrix],
        "advice": list(r.advice),
        "warnings": list(r.warnings),
        "lollipop": _markup(_lollipop(r, kb, prefix + "l")),
        "heatmap": _markup(heatmap) if heatmap else None,
        "input_path": r.input_path or "not recorded",
        "input_format": r.input_format or "not recorded",
        "plot_kb_version": kb.version,
    }


def render(reports: list[Report], *, kb=None, title: str | None = None, **_options) -> str:
    """One self-contained page: a section per sample, a switcher when there are several."""
    kb = _kb(kb)
    samples = [sample_view(r, kb, i) for i, r in enumerate(reports)]
    if title is None:
        title = (f"alkseq report — {reports[0].sample}" if len(reports) == 1
                 else f"alkseq report — {len(reports)} samples")
    return _env().get_template("report.html.j2").render(
        title=title, samples=samples, research_use=RESEARCH_USE,
        alkseq_version=reports[0].alkseq_version if reports else "",
        knowledge_version=reports[0].knowledge_version if reports else kb.version)


# ---- cohort --------------------------------------------------------------------------
def mechanisms_of(r: Report) -> dict[str, str]:
    """Which of the cohort's mechanism rows a sample fills, with the words for hover text."""
    out: dict[str, str] = {}
    kd = _kd_mutations(r)
    if kd:
        out["ALK KD mutation"] = ", ".join(
            n + (f" (VAF {v:.2f})" if v is not None else "") for n, _, v in kd)
    compounds = [f"{c.key} ({c.phase})" for c in r.compounds
                 if len(c.mutations) > 1 and c.phase != "trans"]
    if compounds:
        out["compound"] = ", ".join(compounds)
    if any(n == "G1202R" for n, _, _ in kd):
        out["G1202R"] = "ALK G1202R"
    met, bypass, transformation = [], [], []
    for f in r.findings:
        a = f.alteration
        words = f.mechanism_label or a.name
        if a.copy_number is not None:
            words += f" (CN {a.copy_number:g})"
        if f.role == "bypass" and (f.mechanism == "met_amplification" or (
                a.gene == "MET" and a.kind == "amplification")):
            met.append(words)
        elif f.role == "bypass":
            bypass.append(words)
        elif f.role == "transformation":
            transformation.append(words)
    if met:
        out["MET amplification"] = ", ".join(met)
    if bypass:
        out["other bypass"] = ", ".join(bypass)
    if transformation:
        out["transformation"] = ", ".join(transformation)
    if r.mechanism_class == "none_found" and not out:
        out["none found"] = "no resistance mechanism found"
    return out


def _last_prior_tki(r: Report, kb) -> str:
    tkis = [d for d in r.context.prior_therapies if kb.is_alk_tki(d)]
    return tkis[-1] if tkis else "none given"


def _is_ok(row: dict) -> bool:
    return str(row.get("status") or "").strip().lower() == "ok"


def cohort_view(rows: list[dict], reports: list[Report], kb,
                sample_links: dict[str, str] | None = None) -> dict:
    queues: dict[str, list[Report]] = {}
    for r in reports:
        queues.setdefault(r.sample, []).append(r)
    entries = []
    for row in rows:
        sample = str(row.get("sample") or "")
        ok = _is_ok(row)
        report = queues[sample].pop(0) if ok and queues.get(sample) else None
        entries.append((sample, row, ok, report))
    # reports not named by any row still count (a caller that passes reports only)
    for sample, left in queues.items():
        for r in left:
            entries.append((sample, {"sample": sample, "status": "ok"}, True, r))

    present: dict[tuple[int, str], str] = {}
    failed: dict[int, str] = {}
    table = []
    groups: dict[str, list[dict[str, str]]] = {}
    for i, (sample, row, ok, report) in enumerate(entries):
        found: dict[str, str] = {}
        if not ok:
            failed[i] = str(row.get("error") or row.get("status") or "failed")
        elif report is not None:
            found = mechanisms_of(report)
            groups.setdefault(_last_prior_tki(report, kb), []).append(found)
        elif str(row.get("mechanism_class") or "") == "none_found":
            found = {"none found": "no resistance mechanism found (batch table)"}
        for mech, words in found.items():
            present[(i, mech)] = words
        top = report.candidates[0] if report is not None and report.candidates else None
        table.append({
            "sample": sample, "ok": ok, "status": str(row.get("status") or ""),
            "error": str(row.get("error") or ""),
            "mechanism_class": (report.mechanism_class if report is not None
                                else str(row.get("mechanism_class") or "")).replace("_", " "),
            "mechanisms": ", ".join(found),
            "prior": " → ".join(report.context.prior_therapies) if report is not None else "",
            "top": f"{top.therapy} (level {top.evidence_level})" if top else "",
            "link": (sample_links or {}).get(sample)})

    order = {d.drug: k for k, d in enumerate(kb.alk_tkis())}
    group_names = sorted(groups, key=lambda g: (order.get(g, len(order)), g))
    totals = {g: len(groups[g]) for g in group_names}
    counts = {(g, m): sum(1 for found in groups[g] if m in found)
              for g in group_names for m in MECHANISMS}
    return {"entries": entries, "present": present, "failed": failed, "table": table,
            "groups": group_names, "totals": totals, "counts": counts}


def render_cohort(rows: list[dict], reports: list[Report], *, kb=None,
                  sample_links: dict[str, str] | None = None, title: str = "alkseq cohort"
                  ) -> str:
    """Cohort page for ``alkseq batch --html``: an oncoprint-style sample × mechanism matrix
    (failed samples shown as failed), mechanism frequencies by last prior ALK TKI, a table.

    ``rows`` are the batch CSV rows as dicts (``sample``, ``status``, ``error``,
    ``mechanism_class``); ``reports`` the ``Report`` objects of the samples that ran.
    ``sample_links`` maps a sample to its page (relative URL), e.g. from
    ``write_sample_pages``.
    """
    from alkseq.report.plots import frequency_svg, oncoprint_svg

    kb = _kb(kb)
    view = cohort_view(rows, reports, kb, sample_links)
    samples = [e[0] for e in view["entries"]]
    oncoprint = oncoprint_svg(samples, list(MECHANISMS), view["present"], view["failed"],
                              prefix="onc") if samples else None
    frequency = frequency_svg(view["groups"], list(MECHANISMS), view["counts"],
                              view["totals"], prefix="freq") if view["groups"] else None
    freq_table = [{"group": g, "n": view["totals"][g],
                   "cells": [(view["counts"][(g, m)],
                              f"{100 * view['counts'][(g, m)] / view['totals'][g]:.0f}%")
                             for m in MECHANISMS]} for g in view["groups"]]
    n_failed = sum(1 for t in view["table"] if not t["ok"])
    versions = sorted({r.knowledge_version for r in reports}) or [kb.version]
    alkseq_versions = sorted({r.alkseq_version for r in reports})
    return _env().get_template("cohort.html.j2").render(
        title=title, research_use=RESEARCH_USE, table=view["table"],
        oncoprint=_markup(oncoprint) if oncoprint else None,
        frequency=_markup(frequency) if frequency else None,
        mechanisms=MECHANISMS, freq_table=freq_table, n_samples=len(view["table"]),
        n_failed=n_failed, knowledge_version=", ".join(versions),
        alkseq_version=", ".join(alkseq_versions) or "")


# ---- one page per sample -------------------------------------------------------------
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}


def safe_filename(sample: str, max_length: int = 100) -> str:
    """A file-name stem from a sample name: letters, digits, '.', '_' and '-' only."""
    text = unicodedata.normalize("NFKD", str(sample)).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:max_length].rstrip("._-")
    if not stem:
        stem = "sample"
    if stem.split(".")[0].lower() in _RESERVED:
        stem = "sample_" + stem
    return stem


def write_sample_pages(reports: list[Report], directory, *, kb=None) -> list[Path]:
    """One HTML page per report in ``directory`` (made if missing), written atomically.

    File names come from sanitised sample names (``safe_filename``), made unique
    case-insensitively with -2, -3 …; a page is never written outside ``directory``.
    Returns the paths, in the order of ``reports``.
    """
    from alkseq.errors import OutputError
    from alkseq.report.output import write_atomic

    kb = _kb(kb)
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the directory: {exc.strerror or exc}",
                          path=str(target)) from None
    root = target.resolve()
    used: set[str] = set()
    paths = []
    for r in reports:
        stem = safe_filename(r.sample)
        name, n = stem, 1
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.lower())
        path = target / f"{name}{SUFFIX}"
        if path.resolve().parent != root:
            raise OutputError("refusing to write outside the output directory", path=str(path))
        write_atomic(path, render([r], kb=kb))
        paths.append(path)
    return paths
