"""HTML reports: one self-contained page per input (a section per sample), a cohort page.

Writers only render: every value on the page comes from the ``Report`` (its calls per unit
and reading, its bibliography, the curated mutations it was interpreted against), never
from the interpreter or the knowledge base, so a page always shows the knowledge its calls
were made with. Figures are SVG written from templates (``alkseq.report.plots``). Styles
are inline; the only script is the cohort table's, allowed by its hash in the page's
Content-Security-Policy; nothing is fetched. Jinja2 autoescapes every value. No date is
written, so the same input gives the same bytes.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from alkseq.model import ALK_KINASE_DOMAIN as KINASE_DOMAIN
from alkseq.model import Citation, DrugCall, Finding, Report, call_facts, cited_once
from alkseq.sanitise import printable
from alkseq.notice import RESEARCH_USE
from alkseq.report.basis import (PHASE_BASIS, READING_WORDS, alternative, evidence_fields,
                                 kd_mutations, phase_basis, reading_needed)
from alkseq.report.sources import reference_view, source_url

SUFFIX = ".html"
TEMPLATES = Path(__file__).parent / "templates"
ROLE_LABELS = {"alk_kinase_domain": "ALK kinase domain", "alk_other": "ALK, other",
               "fusion": "ALK fusion", "bypass": "bypass", "transformation": "transformation",
               "other": "other"}
COHORT_PAGE_ROWS = 50


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    class ViewEnvironment(Environment):
        """The templates read plain dicts (``sample_view``): ``c.text`` looks the key up first.
        Jinja's default tries the attribute first, and a dict has none, so every one of a page's
        ~2,000 lookups raised and caught an ``AttributeError`` (a tenth of the render)."""

        def getattr(self, obj, attribute):
            if type(obj) is dict:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return Environment.getattr(self, obj, attribute)

    env = ViewEnvironment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True, finalize=_printable_value,
                          auto_reload=False,   # package files: no stat per page
                          bytecode_cache=_bytecode_cache())
    env.filters["words"] = lambda text: str(text).replace("_", " ")
    env.globals.update(sources=sources_html, refnums=refnums_html, references=references_html)
    return env


def _bytecode_cache():
    """Compiled templates kept in the user's alkseq cache (compiling them is ~45 ms, most of
    what one HTML report adds to a JSON one); Jinja keys each by its source's checksum and the
    interpreter, so an edited template is compiled again. None (compile every time) when the
    cache is off (``ALKSEQ_CACHE_DIR=off``) or its folder is not private."""
    from alkseq.usercache import private_folder

    folder = private_folder("templates")
    if folder is None:
        return None
    from jinja2 import FileSystemBytecodeCache

    return FileSystemBytecodeCache(folder)


def _printable_value(value):
    """Every ``{{ value }}`` of the templates, before autoescaping: controls shown as escapes
    (alkseq.sanitise); already-safe markup (the SVG figures) stays markup. Hundreds of calls per
    page, so a printable plain string (then it holds no control character) is returned as it is."""
    if type(value) is str:
        return value if value.isprintable() else printable(value)
    if type(value) is _Printable:
        return value
    if isinstance(value, Markup):
        return Markup(printable(value))
    if isinstance(value, str):
        return value if value.isprintable() else printable(value)
    return value


def _value(value) -> str:
    """One value as a template's ``{{ value }}`` writes it: made printable, then escaped (a plain
    printable string with nothing to escape, or a number, is already that)."""
    kind = type(value)
    if kind is str and value.isprintable() and _HTML_SPECIAL.search(value) is None:
        return value
    if kind is int:
        return str(value)
    return str(escape(_printable_value(value)))


_HTML_SPECIAL = re.compile(r"[&<>\"']")      # what markupsafe's escape replaces


_TERTIARY_BADGE = ' <span class="badge tertiary" title="a tertiary source: not independent support">tertiary</span>'


def _ref_link(c: dict, anchor: str) -> str:
    title = _value(c["text"]) + (" — " + _value(c["locator"]) if c["locator"] else "")
    return (f'<a class="ref" href="#{_value(anchor)}-ref-{_value(c["n"])}" title="{title}">'
            f'[{_value(c["n"])}]</a>')


def sources_html(cites: dict, anchor: str, locators: bool = True):
    """'Sources: [1] citation (locator); [2] …' under a candidate or an argument against.

    Written here rather than as a template macro: a page holds a few dozen of these, and a
    Jinja macro call costs more than the rest of its row (issue #18: HTML that costs little)."""
    items = cites["items"]
    if not items:
        return _markup("")
    parts = []
    for c in items:
        text = _ref_link(c, anchor) + " " + _value(c["text"])
        if c["locator"] and locators:
            text += f' <span class="locator">({_value(c["locator"])})</span>'
        if c["tertiary"]:
            text += _TERTIARY_BADGE
        parts.append(f'<span class="cite">{text}</span>')
    warn = ('<span class="badge warn-badge">only a tertiary source: check the primary literature</span>'
            if cites["tertiary_only"] else "")
    return _markup('<div class="sources">Sources:\n' + "; ".join(parts) + warn + "</div>\n")


def references_html(references: list[dict], anchor: str):
    """The numbered reference list of a sample (``_Refs.listing``), one ``<li>`` a source: written here,
    not as a template loop, since a page cites a few dozen sources and the loop was half of all
    the pieces the sample template put out."""
    items = []
    for ref in references:
        n, citation, title, url = _value(ref["n"]), ref["citation"], ref["title"], ref["url"]
        head = (f'<li id="{_value(anchor)}-ref-{n}" value="{n}"><span class="ref-citation">'
                f'{_value(citation)}</span>')
        if title and title not in citation:
            head += f'. <span class="ref-title">{_value(title)}</span>'
        link = (f'<a href="{_value(url)}" rel="noopener noreferrer" target="_blank">{_value(ref["id"])}</a>'
                if url else _value(ref["id"]))
        directness = (f' <span class="ref-directness">({_value(ref["directness"])})</span>'
                      if ref["directness"] else "")
        items.append(f"{head}.\n{link}{directness}</li>\n")
    return _markup("".join(items))


def refnums_html(cites: dict, anchor: str):
    """The bracketed reference numbers of a sensitivity-table row (its sources, compactly)."""
    items = cites["items"]
    if not items:
        return _markup("")
    links = [_ref_link(c, anchor) + ('<sup title="tertiary source">t</sup>' if c["tertiary"] else "")
             for c in items]
    warn = ' <span class="badge warn-badge">only a tertiary source</span>' if cites["tertiary_only"] else ""
    return _markup('<div class="sources">Sources: ' + " ".join(links) + warn + "</div>")


class _Printable(Markup):
    """Markup this module or ``plots`` wrote from values already made printable and escaped (each
    through ``_value``, ``plots``' ``esc`` or a template's ``{{ }}``): passed on as it is, not
    scanned for controls again (a rendered sample section is tens of KB, a page has dozens of
    Sources lines). Only ever output whole; joining it to anything gives plain ``Markup``."""

    __slots__ = ()

    def __add__(self, other):
        return Markup(self) + other

    def __radd__(self, other):
        return other + Markup(self)

    def __mod__(self, other):
        return Markup(self) % other

    def join(self, seq):
        return Markup(self).join(seq)

    def format(self, *args, **kwargs):
        return Markup(self).format(*args, **kwargs)


def _markup(svg: str):
    """SVG written by ``plots`` (which escapes every string it puts in), or a fragment built here."""
    return _Printable(svg)


@lru_cache(maxsize=4096)
def safe_url(source: str, url: str | None = None) -> str | None:
    """A link for a citation, only ever http(s) (an overlay could hold 'javascript:'); the same few
    hundred sources recur on every page of a batch."""
    url = source_url(source) or url
    return url if url and _HTTP_URL.match(url) else None


_HTTP_URL = re.compile(r"https?://[^\s]+$", re.I)


# ---- citations: numbered in order of first appearance on the page -------------------
class _Refs:
    def __init__(self, r: Report):
        self.known = {ref.source: ref for ref in r.references}
        self.numbers: dict[str, int] = {}

    def number(self, source: str) -> int:
        return self.numbers.setdefault(source, len(self.numbers) + 1)

    def cite(self, c: Citation) -> dict:
        ref = self.known.get(c.source)
        return {"n": self.number(c.source), "locator": c.locator,
                "text": (ref.citation if ref and ref.citation else c.source),
                "url": safe_url(c.source, ref.url if ref else None),
                "tertiary": c.directness == "tertiary",
                "directness": c.directness.replace("_", " ")}

    def cites(self, citations) -> dict:
        items = [self.cite(c) for c in cited_once(citations)]
        return {"items": items, "tertiary_only": bool(items) and all(i["tertiary"] for i in items)}

    def listing(self) -> list[dict]:
        out = []
        for source, n in self.numbers.items():
            ref = self.known.get(source)
            view = reference_view(source, ref)
            view["url"] = safe_url(source, ref.url if ref else None)
            out.append({"n": n, **view})
        return out


# ---- one sample ----------------------------------------------------------------------
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
    mechanism = f.mechanism_label or ""
    return {"name": a.name, "role": ROLE_LABELS.get(f.role, f.role.replace("_", " ")),
            "mechanism": "" if mechanism == a.name else mechanism,
            "facts": " · ".join(facts),
            "note": "; ".join(x for x in (f.note, *a.notes) if x), "origin": origin}


_RESIDUE = re.compile(r"[A-Z]?(\d+)")


def hotspots(mutations) -> dict[int, list[str]]:
    """Residue → curated mutations there (singles and parts of compounds), from the
    report's ``curated_mutations``: the knowledge base it was interpreted against."""
    by_residue: dict[int, set[str]] = {}
    for key in mutations:
        for part in key.split("+"):
            match = _RESIDUE.match(part)
            if match:
                by_residue.setdefault(int(match.group(1)), set()).add(part)
    return {r: sorted(names) for r, names in sorted(by_residue.items())}


def _tip(label: str, call: DrugCall, refs: _Refs) -> str:
    bits = [f"{label} × {call.drug}: {call.drug_class}", *call_facts(call)]
    if call.inferred:
        bits.append("inferred (no direct evidence for this combination)")
    if call.detail:
        bits.append(call.detail)
    if call.citations:
        bits.append("sources: " + "; ".join(
            f"[{refs.number(c.source)}] {c.locator}".strip() for c in call.citations))
    else:
        bits.append("no curated source")
    return "\n".join(bits)


def _cell(label: str, call: DrugCall, refs: _Refs):
    from alkseq.report.plots import CLASS_LETTERS, Cell

    text = CLASS_LETTERS.get(call.drug_class, "?") + ("*" if call.inferred else "")
    if call.ic50_nm is not None:
        text += f"\n{call.ic50_nm:.3g} nM" if call.ic50_nm < 1000 else f"\n{call.ic50_nm:.0f} nM"
    return Cell(text, call.drug_class, _tip(label, call, refs))


def unit_label(unit, vafs: dict[str, float | None], phase: str | None = None) -> str:
    """A heatmap row in a clinician's words."""
    if unit.kind == "mutation":
        vaf = vafs.get(unit.unit)
        return unit.unit + (f" (VAF {vaf:.2f})" if vaf is not None else "")
    if unit.kind == "compound":
        together = " + ".join(unit.mutations)
        if unit.reading == "cis":
            return f"{together} together, {READING_WORDS['cis']}"
        return f"{together} on one allele ({phase or 'cis'})"
    if unit.reading in READING_WORDS:
        return f"whole tumour {READING_WORDS[unit.reading]}"
    return "whole tumour (every ALK mutation)"


def _heatmap(r: Report, refs: _Refs, prefix: str) -> str | None:
    from alkseq.report.plots import heatmap_svg

    if not r.unit_calls or not r.matrix:
        return None
    vafs = {name: vaf for name, _, vaf in kd_mutations(r)}
    phases = {c.key: c.phase for c in r.compounds}
    units = list(r.unit_calls)
    singles = [u for u in units if u.kind == "mutation"]
    if len(singles) == 1 and all(u.kind != "compound" for u in units):
        units = singles              # one mutation: the tumour row would repeat it
    columns = [m.drug for m in r.matrix]
    rows, cells, first_tumour = [], {}, None
    for unit in units:
        label = unit_label(unit, vafs, phases.get(unit.unit))
        if unit.kind == "tumour" and first_tumour is None:
            first_tumour = label
        rows.append(label)
        for call in unit.calls:
            cells[(label, call.drug)] = _cell(label, call, refs)
    prior = r.context.prior_therapies
    notes = {d: ("current" if d == r.context.current_therapy else "prior") for d in prior}
    return heatmap_svg(rows, columns, cells, column_notes=notes, prefix=prefix,
                       separator_before=first_tumour)


def _lollipop(r: Report, prefix: str) -> str | None:
    from alkseq.report.plots import Link, Lollipop, lollipop_svg

    mutations = [Lollipop(name, residue, vaf) for name, residue, vaf in kd_mutations(r)
                 if residue in KINASE_DOMAIN]
    if not mutations:
        return None        # a bypass-only sample gets no empty domain plot
    links = [Link(names, phase) for names, phase in _merged_links(r)]
    return lollipop_svg(mutations, links, hotspots(r.curated_mutations), domain=KINASE_DOMAIN,
                        prefix=prefix)


def _copy_number(r: Report, prefix: str) -> str | None:
    from alkseq.report.plots import copy_number_svg

    bars = [(f.alteration.gene, f.alteration.copy_number, f.alteration.kind) for f in r.findings
            if f.alteration.copy_number is not None]
    if not bars:
        return None
    return copy_number_svg(bars, getattr(r, "amp_threshold", None), prefix=prefix)


def _merged_links(r: Report) -> list[tuple[tuple[str, ...], str]]:
    """Compounds of one phase that share a mutation drawn as one bracket (five mutations of
    unknown phase are ten pairs: one bracket says it, ten would hide the plot)."""
    out = []
    residue = {name: res for name, res, _ in kd_mutations(r)}
    for phase in ("cis", "mixed", "trans", "unknown"):
        groups: list[set[str]] = []
        for comp in r.compounds:
            if comp.phase != phase or len(comp.mutations) < 2:
                continue
            members = set(comp.names)
            touching = [g for g in groups if g & members]
            for g in touching:
                members |= g
                groups.remove(g)
            groups.append(members)
        for g in groups:
            out.append((tuple(sorted(g, key=lambda n: (residue.get(n, 0), n))), phase))
    return out


def _candidate(c, refs: _Refs) -> dict:
    return {"rank": c.rank, "therapy": c.therapy, "drugs": list(c.drugs),
            "category": c.category.replace("_", " "), "level": c.evidence_level,
            "rationale": c.rationale, "inferred": c.inferred, "status": c.status,
            "reading": c.reading if c.reading in ("cis", "trans") else None,
            "fields": evidence_fields(c)[1:], "cites": refs.cites(c.citations)}


def sample_view(r: Report, index: int) -> dict:
    """Everything the template shows for one sample, as plain values (in page order, so
    citation numbers follow the page)."""
    ctx = r.context
    refs = _Refs(r)
    prefix = f"s{index + 1}"
    top = r.candidates[0] if r.candidates else None
    other = alternative(r, top)
    candidates = [_candidate(c, refs) for c in r.candidates]
    findings = [(_finding(f), f.role) for f in r.findings]
    compounds = [{"key": c.key, "phase": c.phase,
                  "source": PHASE_BASIS.get(c.evidence.source, c.evidence.source)
                  if c.evidence else "", "detail": c.evidence.detail if c.evidence else ""}
                 for c in r.compounds]
    heatmap = _heatmap(r, refs, prefix + "h")
    matrix = [{"drug": m.drug, "class": m.drug_class,
               "ic50": f"{m.ic50_nm:g} nM" if m.ic50_nm is not None else "",
               "fold": f"{m.fold_vs_wt:.3g}×" if m.fold_vs_wt is not None else "",
               "evidence": (m.evidence or "").replace("_", " "), "inferred": m.inferred,
               "detail": m.detail, "cites": refs.cites(m.citations)} for m in r.matrix]
    against = [{"therapy": n.therapy, "reason": n.reason, "inferred": n.inferred,
                "cites": refs.cites(n.citations)} for n in r.not_recommended]
    key = list(r.key_warnings)
    lollipop, copy_number = _lollipop(r, prefix + "l"), _copy_number(r, prefix + "cn")
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
        "top": candidates[0] if candidates else None,
        "top_reading": reading_needed(r, top) if top else "",
        "alternatives": [{"therapy": c.therapy, "level": c.evidence_level, "rank": c.rank,
                          "reading": words} for words, c in other],
        "phase_basis": phase_basis(r),
        "key_warnings": key,
        "candidates": candidates,
        "not_recommended": against,
        "alk": [f for f, role in findings if role in ("alk_kinase_domain", "fusion", "alk_other")],
        "compounds": compounds,
        "bypass": [f for f, role in findings if role in ("bypass", "transformation")],
        "other": [f for f, role in findings
                  if role not in ("alk_kinase_domain", "fusion", "alk_other", "bypass",
                                  "transformation")],
        "matrix": matrix,
        "advice": list(r.advice),
        "warnings": [w for w in r.warnings if w not in key],
        "lollipop": _markup(lollipop) if lollipop else None,
        "heatmap": _markup(heatmap) if heatmap else None,
        "copy_number": _markup(copy_number) if copy_number else None,
        "amp_threshold": getattr(r, "amp_threshold", None),
        "references": refs.listing(),
        "input_path": r.input_path or "not recorded",
        "input_format": r.input_format or "not recorded",
    }


def render(reports: list[Report], *, title: str | None = None, **_options) -> str:
    """One self-contained page: a section per sample, a switcher when there are several."""
    samples = [sample_view(r, i) for i, r in enumerate(reports)]
    if title is None:
        title = (f"alkseq report — {reports[0].sample}" if len(reports) == 1
                 else f"alkseq report — {len(reports)} samples")
    env = _env()
    section = env.get_template("sample.html.j2")    # rendered apart: its ~800 pieces then pass
    sections = [_markup(section.render(s=s)) for s in samples]   # through one generator, not four
    return env.get_template("report.html.j2").render(
        title=title, samples=samples, sections=sections, research_use=RESEARCH_USE, script_hash=None,
        alkseq_version=reports[0].alkseq_version if reports else "",
        knowledge_version=reports[0].knowledge_version if reports else "")


# ---- cohort --------------------------------------------------------------------------
def mechanisms_of(r: Report) -> dict[str, str]:
    """The cohort categories a sample falls in (``cohort.CATEGORIES``), with hover words."""
    from alkseq.report.cohort import categories_of

    words = {"ALK KD mutation": ", ".join(
        n + (f" (VAF {v:.2f})" if v is not None else "") for n, _, v in kd_mutations(r))}
    words["compound"] = ", ".join(f"{c.key} ({c.phase})" for c in r.compounds
                                  if len(c.mutations) > 1 and c.phase != "trans")
    for f in r.findings:
        if f.role in ("bypass", "transformation"):
            text = f.alteration.name + (f" (CN {f.alteration.copy_number:g})"
                                        if f.alteration.copy_number is not None else "")
            key = ("MET amplification" if f.alteration.gene == "MET"
                   and f.alteration.kind == "amplification" else
                   "other bypass" if f.role == "bypass" else "transformation")
            words[key] = ", ".join(x for x in (words.get(key), text) if x)
    return {label: words.get(label) or label for label in categories_of(r)}


def _is_ok(row: dict) -> bool:
    return str(row.get("status") or "").strip().lower() == "ok"


def cohort_view(rows: list[dict], reports: list[Report], sample_links: dict[str, str] | None = None) -> dict:
    """Entries (failed first, then by mechanism and top candidate), grouped counts, table data."""
    from alkseq.report.cohort import CATEGORIES, categories_of, group_reports

    queues: dict[str, list[Report]] = {}
    for r in reports:
        queues.setdefault(r.sample, []).append(r)
    entries = []
    for row in rows:
        sample = str(row.get("sample") or "")
        ok = _is_ok(row)
        report = queues[sample].pop(0) if ok and queues.get(sample) else None
        entries.append((sample, row, ok, report))
    for sample, left in queues.items():     # reports not named by any row still count
        for r in left:
            entries.append((sample, {"sample": sample, "status": "ok"}, True, r))
    labels = [c.label for c in CATEGORIES]
    table = []
    for sample, row, ok, report in entries:
        cats = categories_of(report) if report is not None else []
        top = report.candidates[0] if report is not None and report.candidates else None
        table.append({
            "sample": sample, "ok": ok, "status": str(row.get("status") or ""),
            "error": str(row.get("error") or ""),
            "mechanism_class": (report.mechanism_class if report is not None
                                else str(row.get("mechanism_class") or "")).replace("_", " "),
            "mechanisms": ", ".join(cats),
            "prior": " → ".join(report.context.prior_therapies) if report is not None else "",
            "top": f"{top.therapy} (level {top.evidence_level})" if top else "",
            "link": (sample_links or {}).get(sample) or "",
            "_order": (1 if ok else 0, min((labels.index(c) for c in cats), default=99),
                       top.therapy if top else "~", sample)})
    table.sort(key=lambda t: t["_order"])
    ran = [e[3] for e in entries if e[3] is not None]
    grouped = group_reports(ran)
    totals = {g: len(rs) for g, rs in grouped.items()}
    counts = {(g, c.label): sum(1 for rep in rs if c.test(rep))
              for g, rs in grouped.items() for c in CATEGORIES}
    return {"table": table, "groups": list(grouped), "totals": totals, "counts": counts,
            "labels": labels, "descriptions": [c.description for c in CATEGORIES]}


def _table_data(table: list[dict]) -> str:
    """The per-sample table as compact JSON: repeated strings once, rows as indices."""
    strings: dict[str, int] = {}

    def s(text: str) -> int:
        return strings.setdefault(text, len(strings))
    data = [[t["sample"], s(t["link"]), 1 if t["ok"] else 0, s(t["error"]), s(t["prior"]),
             s(t["mechanism_class"]), s(t["mechanisms"]), s(t["top"])] for t in table]
    text = json.dumps({"s": list(strings), "r": data}, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def render_cohort(rows: list[dict], reports: list[Report], *,
                  sample_links: dict[str, str] | None = None, title: str = "alkseq cohort",
                  **_options) -> str:
    """Cohort page for ``alkseq batch --html``: failures first, an aggregated oncoprint
    (counts per mechanism × last prior ALK TKI, the categories of ``--summary``), and a
    per-sample table that pages, sorts and filters in the page (inline script, no fetch).

    ``rows`` are the batch CSV rows (``sample``, ``status``, ``error``, ``mechanism_class``);
    ``reports`` the samples that ran (each grouped by the ALK TKI its own treatment history ends
    on); ``sample_links`` maps a sample to its page.
    """
    from alkseq.report.plots import cohort_grid_svg

    view = cohort_view(rows, reports, sample_links)
    grid = cohort_grid_svg(view["labels"], view["groups"], view["counts"], view["totals"],
                           prefix="onc") if view["groups"] else None
    failed = [t for t in view["table"] if not t["ok"]]
    script = (TEMPLATES / "cohort.js").read_text()
    versions = sorted({r.knowledge_version for r in reports})
    alkseq_versions = sorted({r.alkseq_version for r in reports})
    freq_table = [{"group": g, "n": view["totals"][g],
                   "cells": [(view["counts"][(g, m)],
                              f"{100 * view['counts'][(g, m)] / view['totals'][g]:.0f}%")
                             for m in view["labels"]]} for g in view["groups"]]
    return _env().get_template("cohort.html.j2").render(
        title=title, research_use=RESEARCH_USE, first_page=view["table"][:COHORT_PAGE_ROWS],
        page_rows=COHORT_PAGE_ROWS, table_json=_table_data(view["table"]),
        oncoprint=_markup(grid) if grid else None, failed=failed[:20], more_failed=len(failed) - 20,
        mechanisms=view["labels"], descriptions=view["descriptions"], freq_table=freq_table,
        n_samples=len(view["table"]), n_failed=len(failed), n_ran=len(view["table"]) - len(failed),
        script=script, script_hash=_script_hash(script),
        knowledge_version=", ".join(versions), alkseq_version=", ".join(alkseq_versions))


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


def write_sample_pages(reports: list[Report], directory, **_options) -> list[Path]:
    """One HTML page per report in ``directory`` (made if missing), written atomically.

    File names come from sanitised sample names (``safe_filename``), made unique
    case-insensitively with -2, -3 …; a page is never written outside ``directory``.
    Returns the paths, in the order of ``reports``.
    """
    from alkseq.errors import OutputError
    from alkseq.report.output import make_directory, write_atomic

    target = make_directory(directory, "directory")
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
        write_atomic(path, render([r]))
        paths.append(path)
    return paths
