"""Figures for the HTML reports: SVG written from templates of plain values, no plotting library.

A report's figures are a few dozen shapes; writing them as SVG text costs microseconds where
a matplotlib round trip cost a second per report (issue #18). Hover text is an SVG
``<title>`` inside the group it describes (browsers show it offline); every string is
XML-escaped here, so the result is safe to mark up as-is. Element ids carry a per-figure
prefix so several figures share one page. The same values give the same bytes.

Plot functions take plain values (built by ``alkseq.report.html``), never a ``Report``.
"""
from __future__ import annotations

from dataclasses import dataclass

from alkseq.sanitise import printable

# Colours: sensitivity classes (colour-blind-safe diverging pair + amber + grey)
CLASS_COLOURS = {"sensitive": "#1a9850", "intermediate": "#fdae61", "resistant": "#d73027",
                 "unknown": "#d9d9d9", "conflicting": "#9e9ac8"}
CLASS_LETTERS = {"sensitive": "S", "intermediate": "I", "resistant": "R", "unknown": "?",
                 "conflicting": "C"}
PHASE_STYLES = {"cis": ("#6a3d9a", ""), "trans": ("#1f78b4", "6 4"),
                "mixed": ("#b15928", "8 3 2 3"), "unknown": ("#525252", "2 3")}
PATIENT_COLOUR = "#c51b7d"
HOTSPOT_COLOUR = "#7f7f7f"
DOMAIN_COLOUR = "#9ecae1"
FONT = 'font-family="system-ui, sans-serif"'


def esc(text) -> str:
    """Every string a figure shows: controls made visible (alkseq.sanitise; only for a string
    that needs it, a few hundred calls per page), then XML-escaped."""
    text = str(text)
    if not text.isprintable():
        text = printable(text)
    # what xml.sax.saxutils.escape(text, {'"': "&quot;"}) gives, in its order (its import pulls in
    # urllib, http and email: 30-45 ms of every batch worker's first page)
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace('"', "&quot;")


@dataclass(frozen=True)
class Lollipop:
    """One patient mutation on the kinase-domain plot."""

    name: str             # G1202R
    residue: int
    vaf: float | None


@dataclass(frozen=True)
class Link:
    """Mutations of one compound, joined on the plot and labelled with their phase."""

    names: tuple[str, ...]
    phase: str


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: what it shows, its colour's class, its hover text. (A docstring also
    spares ``dataclasses`` from making one from ``inspect.signature``: tokenize's first use,
    ~30 ms.)"""

    label: str            # short text drawn in the cell ('S', 'R*', with IC50 below)
    drug_class: str
    tooltip: str


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(title)}" '
            f'class="plot" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" {FONT}>' + "".join(body) + "</svg>")


def _text(x, y, text, *, size=12, anchor="start", fill="#202020", weight="", extra="") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}"{bold}{extra}>{esc(text)}</text>')


def _group(gid: str, tip: str | None, parts: list[str]) -> str:
    title = f"<title>{esc(tip)}</title>" if tip else ""
    return f'<g id="{gid}">{title}{"".join(parts)}</g>'


def spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions at least ``gap`` apart, as close to ``positions`` (sorted) as fits."""
    if not positions:
        return []
    out = [max(positions[0], low)]
    for x in positions[1:]:
        out.append(max(x, out[-1] + gap))
    overflow = out[-1] - high
    if overflow > 0:
        out = [x - overflow for x in out]
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


def _hotspot_label(names: list[str]) -> str:
    """'I1171N/S/T' for several changes at one residue; the names joined otherwise."""
    import re

    simple = [n for n in names if re.fullmatch(r"[A-Z]\d+[A-Z]", n)]
    if len(simple) == len(names) and len({n[:-1] for n in names}) == 1:
        return names[0][:-1] + "/".join(n[-1] for n in names)
    return "/".join(names)


def lollipop_svg(mutations: list[Lollipop], links: list[Link],
                 hotspots: dict[int, list[str]], *, domain: range, prefix: str) -> str:
    """ALK kinase domain: curated hotspots below the bar, the patient's mutations as stems
    (height = VAF; hollow at a nominal height when the VAF is unknown), compounds joined."""
    start, end = domain.start, domain.stop - 1
    width, left, right = 900.0, 56.0, 880.0
    bar_y, top_y = 230.0, 70.0            # VAF 0 at bar_y, VAF 1 at top_y

    def x(residue: float) -> float:
        return left + (residue - (start - 6)) / ((end + 6) - (start - 6)) * (right - left)

    def y(vaf: float) -> float:
        return bar_y - vaf * (bar_y - top_y)

    body = []
    # VAF axis
    body.append(f'<line x1="{left - 8}" y1="{y(0)}" x2="{left - 8}" y2="{y(1)}" stroke="#606060"/>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{left - 12}" y1="{y(tick):.1f}" x2="{left - 8}" '
                    f'y2="{y(tick):.1f}" stroke="#606060"/>')
        body.append(_text(left - 14, y(tick) + 4, f"{tick:g}", size=11, anchor="end"))
    body.append(_text(14, (y(0) + y(1)) / 2, "VAF", size=12, anchor="middle",
                      extra=f' transform="rotate(-90 14 {(y(0) + y(1)) / 2:.1f})"'))
    # the domain bar
    body.append(_group(f"{prefix}-domain", f"ALK tyrosine kinase domain, residues {start}–{end}",
                       [f'<rect x="{x(start):.1f}" y="{bar_y:.1f}" width="{x(end) - x(start):.1f}" '
                        f'height="10" fill="{DOMAIN_COLOUR}"/>']))
    body.append(_text(x(end), bar_y - 4, f"ALK kinase domain {start}–{end}", size=11,
                      anchor="end", fill="#3182bd"))
    for tick in sorted({start, end, *range(1150, end, 50)}):
        body.append(_text(x(tick), bar_y + 24, str(tick), size=11, anchor="middle",
                          fill="#505050"))
    # curated hotspots: ticks under the bar, labels spread below with leader lines
    patient = {m.name for m in mutations}
    residues = sorted(r for r in hotspots if start <= r <= end)
    label_x = spread([x(r) for r in residues], 13.0, x(start - 4), x(end + 4))
    for i, (residue, lx) in enumerate(zip(residues, label_x)):
        names = hotspots[residue]
        mine = any(n in patient for n in names)
        ly = bar_y + 40
        parts = [f'<line x1="{x(residue):.1f}" y1="{bar_y + 10}" x2="{lx:.1f}" y2="{ly - 4}" '
                 f'stroke="{HOTSPOT_COLOUR}" stroke-width="0.8"/>',
                 _text(lx + 4, ly, _hotspot_label(names), size=11,
                       fill=PATIENT_COLOUR if mine else "#404040", anchor="end",
                       weight="700" if mine else "",
                       extra=f' transform="rotate(-90 {lx + 4:.1f} {ly:.1f})"')]
        body.append(_group(f"{prefix}-hot{i}", f"residue {residue}: " + ", ".join(names)
                           + " — in the knowledge base's sensitivity matrix", parts))
    # the patient's mutations
    heads: dict[str, tuple[float, float]] = {}
    ordered = sorted(mutations, key=lambda m: (m.residue, m.name))
    tops = spread([x(m.residue) for m in ordered], 86.0, x(start) + 30, x(end) - 30)
    for i, (mut, tx) in enumerate(zip(ordered, tops)):
        vaf = min(max(mut.vaf if mut.vaf is not None else 0.5, 0.02), 1.0)
        cx, cy = x(mut.residue), y(vaf)
        fill = PATIENT_COLOUR if mut.vaf is not None else "#ffffff"
        vaf_text = f"VAF {mut.vaf:.2f}" if mut.vaf is not None else "VAF n/a"
        parts = [f'<line x1="{cx:.1f}" y1="{bar_y:.1f}" x2="{cx:.1f}" y2="{cy:.1f}" '
                 f'stroke="{PATIENT_COLOUR}" stroke-width="2"/>',
                 f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}" '
                 f'stroke="{PATIENT_COLOUR}" stroke-width="2"/>',
                 f'<line x1="{cx:.1f}" y1="{cy - 7:.1f}" x2="{tx:.1f}" y2="42" '
                 f'stroke="{PATIENT_COLOUR}" stroke-width="0.6" opacity="0.6"/>',
                 _text(tx, 22, mut.name, size=13, anchor="middle", fill=PATIENT_COLOUR,
                       weight="700"),
                 _text(tx, 37, vaf_text, size=11, anchor="middle", fill=PATIENT_COLOUR)]
        body.append(_group(f"{prefix}-mut{i}", f"{mut.name} (residue {mut.residue}), " + (
            f"VAF {mut.vaf:.3g}" if mut.vaf is not None else "VAF not reported"), parts))
        heads[mut.name] = (cx, cy)
    # compounds: a bracket over the members' heads in the phase's colour and dash
    stacked: list[tuple[float, float]] = []
    for j, link in enumerate(links):
        points = [heads[n] for n in link.names if n in heads]
        if len(points) < 2:
            continue
        colour, dash = PHASE_STYLES.get(link.phase, PHASE_STYLES["unknown"])
        span = (min(p[0] for p in points), max(p[0] for p in points))
        level = sum(1 for a, b in stacked if a <= span[1] and span[0] <= b)
        stacked.append(span)
        top = max(min(p[1] for p in points) - 16 - 14 * level, 50)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts = [f'<path d="' + " ".join(f"M{px:.1f},{py - 8:.1f} L{px:.1f},{top:.1f}"
                                         for px, py in points)
                 + f' M{span[0]:.1f},{top:.1f} L{span[1]:.1f},{top:.1f}" fill="none" '
                 f'stroke="{colour}" stroke-width="1.8"{dash_attr}/>',
                 _text((span[0] + span[1]) / 2, top - 4,
                       "phase unknown" if link.phase == "unknown" else link.phase,
                       size=11, anchor="middle", fill=colour, extra=' font-style="italic"')]
        what = ("compound " + "+".join(link.names) if len(link.names) == 2
                else "mutations " + ", ".join(link.names))
        body.append(_group(f"{prefix}-link{j}", f"{what}: phase {link.phase}", parts))
    # legend
    lx, ly = left, bar_y + 142
    legend = [("patient (VAF)", f'<circle cx="{{x}}" cy="{ly - 4}" r="5" fill="{PATIENT_COLOUR}"/>'),
              ("patient (VAF unknown)", f'<circle cx="{{x}}" cy="{ly - 4}" r="5" fill="#fff" '
               f'stroke="{PATIENT_COLOUR}" stroke-width="2"/>'),
              ("curated mutation (knowledge base)", f'<line x1="{{x0}}" y1="{ly - 4}" x2="{{x1}}" '
               f'y2="{ly - 4}" stroke="{HOTSPOT_COLOUR}" stroke-width="2"/>')]
    for phase in ("cis", "trans", "unknown"):
        colour, dash = PHASE_STYLES[phase]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        legend.append((f"compound: {phase}", f'<line x1="{{x0}}" y1="{ly - 4}" x2="{{x1}}" '
                       f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash_attr}/>'))
    for words, mark in legend:
        body.append(mark.format(x=lx + 6, x0=lx, x1=lx + 14))
        body.append(_text(lx + 20, ly, words, size=11))
        lx += 36 + 5.9 * len(words)
    return _svg(width, bar_y + 154, "ALK kinase domain with the patient's mutations", body)


def heatmap_svg(rows: list[str], columns: list[str], cells: dict[tuple[str, str], Cell], *,
                column_notes: dict[str, str], prefix: str, separator_before: str | None = None
                ) -> str:
    """Units (rows) × ALK TKIs (columns), coloured by class; IC50 in the cell when known."""
    label_w = max(200.0, min(6.6 * max((len(r) for r in rows), default=10) + 16, 360.0))
    cell_w, cell_h, head_h = 68.0 if len(columns) > 8 else 84.0, 38.0, 46.0
    width = label_w + cell_w * len(columns) + 10
    body = []
    stagger = cell_w < 7.2 * max((len(c) for c in columns), default=0)
    if stagger:
        head_h = 66.0       # names alternate between two lines so neighbours never overlap
    for j, col in enumerate(columns):
        cx = label_w + cell_w * (j + 0.5)
        y = 16 + (24 if stagger and j % 2 else 0)
        if stagger:
            body.append(f'<line x1="{cx:.1f}" y1="{y + 4:.1f}" x2="{cx:.1f}" y2="{head_h - 2:.1f}" '
                        f'stroke="#c4c9cf" stroke-width="0.8"/>')
        body.append(_text(cx, y, col, size=12, anchor="middle", weight="600"))
        if col in column_notes:
            body.append(_text(cx + (4 if stagger else 0), y + 13 if stagger else 34,
                              column_notes[col], size=11,
                              anchor="start" if stagger else "middle",
                              fill="#5b6570", extra=' font-style="italic"'))
    height = head_h + cell_h * len(rows) + 40
    for i, row in enumerate(rows):
        ry = head_h + cell_h * i
        body.append(_text(label_w - 8, ry + cell_h / 2 + 4, row, size=12, anchor="end"))
        for j, col in enumerate(columns):
            cell = cells.get((row, col))
            if cell is None:
                continue
            cx = label_w + cell_w * j
            dark = cell.drug_class in ("sensitive", "resistant")
            lines = cell.label.split("\n")
            parts = [f'<rect x="{cx + 2:.1f}" y="{ry + 2:.1f}" width="{cell_w - 4:.1f}" '
                     f'height="{cell_h - 4:.1f}" rx="3" '
                     f'fill="{CLASS_COLOURS.get(cell.drug_class, "#d9d9d9")}"/>']
            for k, line in enumerate(lines):
                offset = (k - (len(lines) - 1) / 2) * 14 + 4
                parts.append(_text(cx + cell_w / 2, ry + cell_h / 2 + offset, line,
                                   size=13 if k == 0 else 11, anchor="middle",
                                   fill="#ffffff" if dark else "#202020",
                                   weight="700" if k == 0 else ""))
            body.append(_group(f"{prefix}-c{i}-{j}", cell.tooltip, parts))
    if separator_before in rows:
        sy = head_h + cell_h * rows.index(separator_before)
        body.append(f'<line x1="8" y1="{sy:.1f}" x2="{width - 8:.1f}" y2="{sy:.1f}" '
                    f'stroke="#202020" stroke-width="1.5"/>')
    lx, ly = 10.0, height - 12
    for cls in ("sensitive", "intermediate", "resistant", "unknown"):
        body.append(f'<rect x="{lx:.1f}" y="{ly - 11:.1f}" width="14" height="14" '
                    f'fill="{CLASS_COLOURS[cls]}"/>')
        body.append(_text(lx + 18, ly, f"{CLASS_LETTERS[cls]} {cls}", size=11))
        lx += 34 + 7.0 * (len(cls) + 2)
    body.append(_text(lx, ly, "* inferred from parts", size=11))
    return _svg(width, height, "Sensitivity of the patient's ALK mutations to ALK TKIs", body)


def copy_number_svg(bars: list[tuple[str, float, str]], threshold: float | None, *,
                    prefix: str) -> str:
    """Copy number per gene (bars) against the amplification threshold (dashed line)."""
    label_w, plot_w, bar_h = 150.0, 600.0, 28.0
    top = max([cn for _, cn, _ in bars] + [threshold or 0]) * 1.12 or 1.0
    height = 34 + bar_h * len(bars) + 40
    body = []

    def x(value: float) -> float:
        return label_w + value / top * plot_w

    for i, (gene, cn, kind) in enumerate(bars):
        y = 24 + bar_h * i
        amp = threshold is not None and cn >= threshold
        parts = [f'<rect x="{label_w:.1f}" y="{y + 4:.1f}" width="{x(cn) - label_w:.1f}" '
                 f'height="{bar_h - 8:.1f}" fill="{"#1b9e77" if amp else "#a6bddb"}"/>',
                 _text(x(cn) + 6, y + bar_h / 2 + 4, f"CN {cn:g}", size=12, weight="600")]
        body.append(_text(label_w - 8, y + bar_h / 2 + 4, gene, size=13, anchor="end",
                          weight="600"))
        body.append(_group(f"{prefix}-b{i}", f"{gene}: copy number {cn:g} ({kind})", parts))
    axis_y = 24 + bar_h * len(bars)
    body.append(f'<line x1="{label_w}" y1="{axis_y:.1f}" x2="{label_w + plot_w}" '
                f'y2="{axis_y:.1f}" stroke="#606060"/>')
    step = 2 if top <= 16 else 5 if top <= 40 else 10
    for tick in range(0, int(top) + 1, step):
        body.append(_text(x(tick), axis_y + 16, str(tick), size=11, anchor="middle",
                          fill="#505050"))
    if threshold is not None:
        tx = x(threshold)
        body.append(_group(f"{prefix}-thr", f"amplification threshold: copy number {threshold:g}",
                           [f'<line x1="{tx:.1f}" y1="16" x2="{tx:.1f}" y2="{axis_y:.1f}" '
                            f'stroke="#b3261e" stroke-width="1.5" stroke-dasharray="5 3"/>',
                            _text(tx + 4, 14, f"amplification threshold {threshold:g}",
                                  size=11, fill="#b3261e")]))
    body.append(_text(label_w + plot_w / 2, height - 4, "absolute copy number", size=11,
                      anchor="middle", fill="#505050"))
    return _svg(label_w + plot_w + 60, height, "Copy number of the amplified genes", body)


MECHANISM_COLOURS = {"ALK KD mutation": "#e7298a", "compound": "#7570b3", "G1202R": "#d95f02",
                     "MET amplification": "#1b9e77", "other bypass": "#66a61e",
                     "transformation": "#e6ab02", "none found": "#a6761d"}


def cohort_grid_svg(mechanisms: list[str], groups: list[str],
                    counts: dict[tuple[str, str], int], totals: dict[str, int], *,
                    prefix: str) -> str:
    """Aggregated oncoprint: mechanisms (rows) × last prior ALK TKI (columns), each cell the
    count and share of that group's samples — legible at any cohort size."""
    label_w, cell_w, cell_h, head_h = 170.0, 118.0, 40.0, 44.0
    width = label_w + cell_w * len(groups) + 10
    height = head_h + cell_h * len(mechanisms) + 8
    body = []
    for j, group in enumerate(groups):
        cx = label_w + cell_w * (j + 0.5)
        body.append(_text(cx, 18, group, size=13, anchor="middle", weight="600"))
        body.append(_text(cx, 35, f"n = {totals[group]}", size=12, anchor="middle",
                          fill="#5b6570"))
    for i, mech in enumerate(mechanisms):
        y = head_h + cell_h * i
        body.append(_text(label_w - 8, y + cell_h / 2 + 5, mech, size=13, anchor="end"))
        for j, group in enumerate(groups):
            count, total = counts.get((group, mech), 0), totals[group]
            share = count / total if total else 0.0
            x = label_w + cell_w * j
            colour = MECHANISM_COLOURS.get(mech, "#444444")
            parts = [f'<rect x="{x + 2:.1f}" y="{y + 2:.1f}" width="{cell_w - 4:.1f}" '
                     f'height="{cell_h - 4:.1f}" fill="#f3f4f6"/>',
                     f'<rect x="{x + 2:.1f}" y="{y + 2:.1f}" width="{(cell_w - 4) * share:.1f}" '
                     f'height="{cell_h - 4:.1f}" fill="{colour}" opacity="0.85"/>',
                     _text(x + cell_w / 2, y + cell_h / 2 + 5,
                           f"{count} ({100 * share:.0f}%)" if count else "0", size=13,
                           anchor="middle", weight="600" if count else "",
                           fill="#111111" if count else "#8a8f96")]
            body.append(_group(f"{prefix}-g{i}-{j}",
                               f"last prior {group}: {mech} in {count} of {total} samples", parts))
    return _svg(width, height, "Resistance mechanisms by last prior ALK TKI (counts)", body)
