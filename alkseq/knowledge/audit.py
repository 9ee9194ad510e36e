"""`alkseq kb audit`: every matrix cell with what it rests on, for a curator before a release.

Per cell: the call, every source with its directness and evidence kind, IC50s, and both
sides of a conflict; a summary counts cells by best directness, conflicts, and sources by
year. ``audit(kb)`` is pure and returns plain data (the JSON form, described by
``alkseq/schemas/kb-audit.schema.json``); the renderers turn it into TSV or one
self-contained HTML page.
"""
from __future__ import annotations

import html
import json
from collections import Counter

from alkseq.knowledge.conflicts import acknowledged, cell_conflict
from alkseq.knowledge.coverage import (best_directness, has_clinical_source, has_primary_source,
                                       matrix_coverage)
from alkseq.knowledge.kb import KnowledgeBase
from alkseq.knowledge.schema import DIRECTNESS_RANK, EVIDENCE_RANK

SCHEMA_ID = "alkseq-kb-audit/1.0"
FORMATS = ("tsv", "html", "json")


def _year(kb: KnowledgeBase, source: str) -> int | None:
    found = kb.sources.get(source)
    text = (found.year if found else "").strip()[:4]
    return int(text) if text.isdigit() else None


def _cell_order(key: tuple[str, str]):
    mutation, drug = key
    residue = mutation[1:].split("+")[0].rjust(8)
    return (mutation == "WT", "+" in mutation, residue, mutation, drug)


def audit(kb: KnowledgeBase) -> dict:
    """The whole audit as plain data (JSON-ready)."""
    from alkseq.interpret.matrix import cell_call

    cells = []
    for key in sorted(kb.sensitivity, key=_cell_order):
        mutation, drug = key
        rows = kb.sensitivity[key]
        call = cell_call(kb, mutation, drug)
        sides = cell_conflict(rows)
        cells.append({
            "mutation": mutation,
            "drug": drug,
            "call": call.drug_class,
            "call_evidence": call.evidence,
            "rows": len(rows),
            "best_directness": best_directness(rows),
            "best_evidence": min((r.evidence for r in rows), key=lambda e: EVIDENCE_RANK.get(e, 9)),
            "directness": sorted({r.citation.directness for r in rows},
                                 key=lambda d: DIRECTNESS_RANK.get(d, 9)),
            "evidence_kinds": sorted({r.evidence for r in rows},
                                     key=lambda e: EVIDENCE_RANK.get(e, 9)),
            "primary_or_clinical": has_primary_source(rows) or has_clinical_source(rows),
            "sources": [{
                "source": r.citation.source, "locator": r.citation.locator,
                "directness": r.citation.directness, "evidence": r.evidence,
                "class": r.drug_class, "year": _year(kb, r.citation.source.split(";")[0]),
                "line": r.line,
            } for r in rows],
            "ic50": [{
                "ic50_nm": r.ic50_nm, "wt_ic50_nm": r.wt_ic50_nm, "fold_vs_wt": r.fold_vs_wt,
                "assay": r.assay, "source": r.citation.source,
            } for r in rows if r.ic50_nm is not None],
            "conflicting": bool(sides),
            "acknowledged": bool(sides) and acknowledged(rows),
            "conflict": [{
                "class": s.drug_class, "evidence": s.evidence, "directness": s.directness,
                "sources": list(s.sources), "rows": s.rows,
            } for s in sides],
        })
    return {
        "schema": SCHEMA_ID,
        "knowledge_version": kb.version,
        "knowledge_date": kb.date,
        "summary": _summary(kb, cells),
        "cells": cells,
        "sources": _sources(kb),
    }


def _sources(kb: KnowledgeBase) -> list[dict]:
    """Every source the matrix cites: how much rests on it, and how old it is."""
    rows_by: Counter = Counter()
    cells_by: dict[str, set] = {}
    directness_by: dict[str, set] = {}
    for key, rows in kb.sensitivity.items():
        for r in rows:
            for source in r.citation.source.split(";"):
                source = source.strip()
                rows_by[source] += 1
                cells_by.setdefault(source, set()).add(key)
                directness_by.setdefault(source, set()).add(r.citation.directness)
    out = []
    for source in sorted(rows_by, key=lambda s: (-(_year(kb, s) or 0), s)):
        found = kb.sources.get(source)
        out.append({"source": source, "citation": found.citation if found else "",
                    "year": _year(kb, source), "rows": rows_by[source],
                    "cells": len(cells_by[source]),
                    "directness": sorted(directness_by[source],
                                         key=lambda d: DIRECTNESS_RANK.get(d, 9))})
    return out


def _summary(kb: KnowledgeBase, cells: list[dict]) -> dict:
    coverage = matrix_coverage(kb)
    sources = _sources(kb)
    years = sorted(s["year"] for s in sources if s["year"] is not None)
    by_year = Counter(s["year"] for s in sources)
    return {
        "cells": len(cells),
        "rows": coverage["rows"],
        "cells_by_best_directness": dict(Counter(c["best_directness"] for c in cells).most_common()),
        "cells_by_best_evidence": dict(Counter(c["best_evidence"] for c in cells).most_common()),
        "cells_with_primary_or_clinical": sum(1 for c in cells if c["primary_or_clinical"]),
        "cells_with_ic50": sum(1 for c in cells if c["ic50"]),
        "ic50_values": sum(len(c["ic50"]) for c in cells),
        "cells_conflicting": sum(1 for c in cells if c["conflicting"]),
        "cells_conflicting_unacknowledged": sum(
            1 for c in cells if c["conflicting"] and not c["acknowledged"]),
        "sources": len(sources),
        "sources_by_year": [{"year": year, "sources": by_year[year]}
                            for year in sorted(by_year, key=lambda y: (y is None, -(y or 0)))],
        "oldest_source_year": years[0] if years else None,
        "newest_source_year": years[-1] if years else None,
        "median_source_year": years[len(years) // 2] if years else None,
    }


# ---- renderers ---------------------------------------------------------------------------

def _fmt(value) -> str:
    return "" if value is None else f"{value:g}"


def _ic50_text(cell: dict) -> str:
    return "; ".join(f"{_fmt(i['ic50_nm'])} nM" + (f" ({_fmt(i['fold_vs_wt'])}x WT)"
                                                   if i["fold_vs_wt"] is not None else "")
                     + f" [{i['source']}]" for i in cell["ic50"])


def _conflict_text(cell: dict) -> str:
    return " vs ".join(f"{s['class']} ({s['evidence']}, {s['directness']}; "
                       f"{', '.join(s['sources'])})" for s in cell["conflict"])


def _sources_text(cell: dict) -> str:
    return "; ".join(f"{s['source']} ({s['directness']}, {s['evidence']}, {s['class']})"
                     for s in cell["sources"])


# one declarative list: (column, value of a cell)
TSV_COLUMNS = (
    ("mutation", lambda c: c["mutation"]),
    ("drug", lambda c: c["drug"]),
    ("call", lambda c: c["call"]),
    ("conflicting", lambda c: "yes" if c["conflicting"] else ""),
    ("acknowledged", lambda c: "yes" if c["acknowledged"] else ""),
    ("rows", lambda c: str(c["rows"])),
    ("best_directness", lambda c: c["best_directness"]),
    ("best_evidence", lambda c: c["best_evidence"]),
    ("primary_or_clinical", lambda c: "yes" if c["primary_or_clinical"] else ""),
    ("directness", lambda c: ";".join(c["directness"])),
    ("evidence_kinds", lambda c: ";".join(c["evidence_kinds"])),
    ("ic50", _ic50_text),
    ("conflict", _conflict_text),
    ("sources", _sources_text),
)


def _clean(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split())


def _summary_lines(summary: dict) -> list[str]:
    lines = []
    for key, value in summary.items():
        if key == "sources_by_year":
            value = "; ".join(f"{y['year'] or 'undated'}: {y['sources']}" for y in value)
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        lines.append(f"{key}\t{value}")
    return lines


def render_tsv(data: dict) -> str:
    """Per-cell table; the summary leads as '#' comment lines."""
    out = [f"# alkseq kb audit — knowledge base {data['knowledge_version']}"]
    out += [f"# {line}" for line in _summary_lines(data["summary"])]
    out.append("\t".join(name for name, _ in TSV_COLUMNS))
    for cell in data["cells"]:
        out.append("\t".join(_clean(value(cell)) for _, value in TSV_COLUMNS))
    return "\n".join(out) + "\n"


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f3f3f3;position:sticky;top:0}
tr.conflict td{background:#fff4e0}tr.unack td.flag{color:#b00;font-weight:bold}
.sensitive{color:#176b2c}.resistant{color:#a01818}.intermediate{color:#8a5a00}
.unknown{color:#666}small{color:#555}td.num{text-align:right}
table.cells{width:100%}table.cells td{white-space:nowrap}
table.cells td.wrap,table.cells td.src,table.cells td.flag{white-space:normal;overflow-wrap:anywhere}
td.flag{max-width:24em}td.src{min-width:28em}
@media print{th{position:static}body{margin:0}}
"""


def render_html(data: dict) -> str:
    """One self-contained page: summary tables, then every cell (conflicts highlighted)."""
    e = html.escape
    summary = data["summary"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>alkseq knowledge audit {e(data['knowledge_version'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Knowledge audit — knowledge base {e(data['knowledge_version'])} "
        f"({e(data['knowledge_date'])})</h1>",
        "<h2>Summary</h2><table>",
    ]
    for key in ("cells", "rows", "cells_with_primary_or_clinical", "cells_with_ic50",
                "ic50_values", "cells_conflicting", "cells_conflicting_unacknowledged",
                "sources", "oldest_source_year", "median_source_year", "newest_source_year"):
        parts.append(f"<tr><th>{e(key.replace('_', ' '))}</th>"
                     f"<td class='num'>{e(str(summary[key]))}</td></tr>")
    parts.append("</table><h2>Cells by best directness</h2><table>")
    parts += [f"<tr><th>{e(k)}</th><td class='num'>{v}</td></tr>"
              for k, v in summary["cells_by_best_directness"].items()]
    parts.append("</table><h2>Cells by best evidence kind</h2><table>")
    parts += [f"<tr><th>{e(k)}</th><td class='num'>{v}</td></tr>"
              for k, v in summary["cells_by_best_evidence"].items()]
    parts.append("</table><h2>Sources by year</h2><table><tr><th>year</th><th>sources</th></tr>")
    parts += [f"<tr><td>{e(str(y['year'] or 'undated'))}</td><td class='num'>{y['sources']}</td></tr>"
              for y in summary["sources_by_year"]]
    conflicts = [c for c in data["cells"] if c["conflicting"]]
    parts.append(f"</table><h2>Conflicts ({len(conflicts)})</h2>")
    if conflicts:
        parts.append("<table class='cells'><tr><th>mutation</th><th>drug</th><th>call</th>"
                     "<th>acknowledged</th><th>sides (class: evidence, directness; sources)</th></tr>")
        for cell in conflicts:
            parts.append(
                f"<tr class='conflict{'' if cell['acknowledged'] else ' unack'}'>"
                f"<td>{e(cell['mutation'])}</td><td>{e(cell['drug'])}</td>"
                f"<td class='{e(cell['call'])}'>{e(cell['call'])}</td>"
                f"<td class='flag'>{'yes' if cell['acknowledged'] else 'NO'}</td>"
                f"<td class='wrap'>{e(_conflict_text(cell))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None: every cell's sources agree.</p>")
    parts.append("<h2>Cells</h2><table class='cells'><tr><th>mutation</th><th>drug</th>"
                 "<th>call</th><th>conflict</th><th>best directness</th><th>evidence kinds</th>"
                 "<th>IC50</th><th>sources (locator; directness, evidence, class, year)</th></tr>")
    for cell in data["cells"]:
        css = ("conflict" + ("" if cell["acknowledged"] else " unack")) if cell["conflicting"] else ""
        flag = ""
        if cell["conflicting"]:
            flag = ("acknowledged: " if cell["acknowledged"] else "NOT acknowledged: ") + \
                _conflict_text(cell)
        sources = "<br>".join(
            f"{e(s['source'])} <small>({e(s['locator'])}; {e(s['directness'])}, {e(s['evidence'])}, "
            f"<span class='{e(s['class'])}'>{e(s['class'])}</span>"
            f"{', ' + str(s['year']) if s['year'] else ''})</small>" for s in cell["sources"])
        parts.append(
            f"<tr class='{css}'><td>{e(cell['mutation'])}</td><td>{e(cell['drug'])}</td>"
            f"<td class='{e(cell['call'])}'>{e(cell['call'])}</td><td class='flag'>{e(flag)}</td>"
            f"<td>{e(cell['best_directness'])}</td><td class='wrap'>{e(', '.join(cell['evidence_kinds']))}</td>"
            f"<td class='wrap'>{e(_ic50_text(cell))}</td><td class='src'>{sources}</td></tr>")
    parts.append("</table><h2>Sources</h2><table><tr><th>source</th><th>citation</th>"
                 "<th>year</th><th>rows</th><th>cells</th><th>directness</th></tr>")
    for s in data["sources"]:
        parts.append(f"<tr><td>{e(s['source'])}</td><td>{e(s['citation'])}</td>"
                     f"<td>{e(str(s['year'] or ''))}</td><td class='num'>{s['rows']}</td>"
                     f"<td class='num'>{s['cells']}</td><td>{e(', '.join(s['directness']))}</td></tr>")
    parts.append("</table></body></html>\n")
    return "\n".join(parts)


RENDERERS = {"tsv": render_tsv, "html": render_html, "json": render_json}


def render(data: dict, fmt: str) -> str:
    return RENDERERS[fmt](data)
