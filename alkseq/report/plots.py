"""Figures for the HTML reports: matplotlib drawn to inline SVG, with hover text.

Every figure is a ``matplotlib.figure.Figure`` (no pyplot state, so threads are safe) saved
as SVG with text kept as text (no font files), a fixed hash salt and no date, so the same
report gives byte-identical SVG. Hover text is an SVG ``<title>`` added to the group of the
artist it describes (artists carry a ``gid``), which browsers show offline. Element ids are
prefixed per figure so several figures can share one HTML page.

Plot functions take plain values (built by ``alkseq.report.html``), never a ``Report``.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

# Colours: sensitivity classes (colour-blind-safe diverging pair + amber + grey)
CLASS_COLOURS = {"sensitive": "#1a9850", "intermediate": "#fdae61", "resistant": "#d73027",
                 "unknown": "#d9d9d9"}
CLASS_LETTERS = {"sensitive": "S", "intermediate": "I", "resistant": "R", "unknown": "?"}
PHASE_STYLES = {"cis": ("#6a3d9a", "-"), "trans": ("#1f78b4", "--"),
                "mixed": ("#b15928", "-."), "unknown": ("#525252", ":")}
PATIENT_COLOUR = "#c51b7d"
HOTSPOT_COLOUR = "#7f7f7f"
DOMAIN_COLOUR = "#9ecae1"

RC = {
    "svg.fonttype": "none",        # text stays text: searchable, no embedded glyphs
    "svg.hashsalt": "alkseq",      # deterministic clip-path ids
    "text.parse_math": False,      # '$' in a label is a dollar, never mathtext
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.size": 8.5,
    "axes.titlesize": 10,
}
_TAG = re.compile(r"<[^>]+>")


def _prefix_tag(tag: str, prefix: str) -> str:
    """Ids and references to them inside one tag, prefixed so figures can share a page."""
    tag = re.sub(r'(\s)id="([^"]+)"', lambda m: f'{m.group(1)}id="{prefix}-{m.group(2)}"', tag)
    tag = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", tag)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', tag)


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
    label: str            # short text drawn in the cell ('S', 'R*', with IC50 below)
    drug_class: str
    tooltip: str


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def to_svg(fig, prefix: str, tooltips: dict[str, str], title: str) -> str:
    """The figure as an inline ``<svg>`` element: ids prefixed, tooltips and a title added."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "alkseq",
                                             "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = _TAG.sub(lambda m: _prefix_tag(m.group(0), prefix), svg)   # tags only, never text
    titles = {f"{prefix}-{gid}": escape(text) for gid, text in tooltips.items()}

    def add_title(match: re.Match) -> str:
        text = titles.pop(match.group(1), None)
        return match.group(0) if text is None else f"{match.group(0)}<title>{text}</title>"
    svg = re.sub(r'<g id="([^"]+)">', add_title, svg)   # one pass; first group per id
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
                      f'class="plot" ', 1)
    return svg.strip()


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


def lollipop_svg(mutations: list[Lollipop], links: list[Link],
                 hotspots: dict[int, list[str]], *, domain: range, prefix: str) -> str:
    """ALK kinase domain: curated hotspots below the bar, the patient's mutations as stems
    (height = VAF; hollow at a nominal height when the VAF is unknown), compounds joined."""
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    tips: dict[str, str] = {}
    start, end = domain.start, domain.stop - 1
    with matplotlib.rc_context(RC):
        fig = _figure(9.0, 4.6)
        ax = fig.add_subplot()
        ax.set_xlim(start - 6, end + 6)
        ax.set_ylim(-0.78, 1.32)
        ax.add_patch(Rectangle((start, -0.07), end - start, 0.07, color=DOMAIN_COLOUR, lw=0,
                               gid="domain"))
        tips["domain"] = f"ALK tyrosine kinase domain, residues {start}–{end}"
        ax.text(end, 0.015, f"ALK kinase domain {start}–{end}", ha="right", va="bottom",
                fontsize=7, color="#3182bd")

        patient = {m.name for m in mutations}
        # curated hotspots: ticks on the bar, spread labels below with leader lines
        residues = sorted(r for r in hotspots if start <= r <= end)
        label_x = spread([float(r) for r in residues], 5.2, start - 4, end + 4)
        for i, (residue, lx) in enumerate(zip(residues, label_x)):
            names = hotspots[residue]
            gid = f"hot{i}"
            group = [Line2D([residue, residue], [-0.07, -0.12], color=HOTSPOT_COLOUR, lw=0.8),
                     Line2D([residue, lx], [-0.12, -0.2], color=HOTSPOT_COLOUR, lw=0.5)]
            for artist in group:
                ax.add_line(artist)
            mine = any(n in patient for n in names)
            ax.text(lx, -0.22, _hotspot_label(names), rotation=90, ha="center", va="top",
                    fontsize=7, color=PATIENT_COLOUR if mine else "#404040",
                    fontweight="bold" if mine else "normal", gid=gid)
            tips[gid] = (f"residue {residue}: " + ", ".join(names)
                         + " — in the knowledge base's sensitivity matrix")

        # the patient's mutations
        heads: dict[str, tuple[float, float]] = {}
        ordered = sorted(mutations, key=lambda m: (m.residue, m.name))
        tops = spread([float(m.residue) for m in ordered], 26.0, start + 8, end - 8)
        for i, (mut, tx) in enumerate(zip(ordered, tops)):
            height = mut.vaf if mut.vaf is not None else 0.5
            height = min(max(height, 0.02), 1.0)
            gid = f"mut{i}"
            ax.add_line(Line2D([mut.residue, mut.residue], [0, height], color=PATIENT_COLOUR,
                               lw=1.6, gid=gid + "-stem"))
            ax.add_line(Line2D([mut.residue], [height], marker="o", markersize=8,
                               color=PATIENT_COLOUR,
                               markerfacecolor=PATIENT_COLOUR if mut.vaf is not None else "white",
                               markeredgewidth=1.6, gid=gid))
            ax.add_line(Line2D([mut.residue, tx], [height + 0.04, 1.1], color=PATIENT_COLOUR,
                               lw=0.5, alpha=0.6))
            vaf_text = f"VAF {mut.vaf:.2f}" if mut.vaf is not None else "VAF n/a"
            ax.text(tx, 1.12, f"{mut.name}\n{vaf_text}", ha="center", va="bottom",
                    fontsize=8, color=PATIENT_COLOUR, fontweight="bold")
            tips[gid] = f"{mut.name} (residue {mut.residue}), " + (
                f"VAF {mut.vaf:.3g}" if mut.vaf is not None else "VAF not reported")
            heads[mut.name] = (mut.residue, height)

        if not mutations:
            ax.text((start + end) / 2, 0.5, "no ALK kinase-domain mutation in this sample",
                    ha="center", va="center", fontsize=9, color="#707070", fontstyle="italic")

        # compounds: a bracket over the members' heads, in the phase's colour and line style;
        # a second compound over the same mutations sits higher
        level: dict[tuple[float, float], int] = {}
        for j, link in enumerate(links):
            points = [heads[n] for n in link.names if n in heads]
            if len(points) < 2:
                continue
            colour, style = PHASE_STYLES.get(link.phase, PHASE_STYLES["unknown"])
            span = (min(p[0] for p in points), max(p[0] for p in points))
            stack = sum(1 for (a, b) in level if a <= span[1] and span[0] <= b)
            level[span] = stack
            top = min(max(p[1] for p in points) + 0.1 + 0.09 * stack, 1.0)
            gid = f"link{j}"
            ax.add_line(Line2D([span[0], span[1]], [top, top], color=colour, linestyle=style,
                               lw=1.6, gid=gid))
            for x, y in points:
                ax.add_line(Line2D([x, x], [y + 0.03, top], color=colour, linestyle=style,
                                   lw=1.0))
            words = "phase unknown" if link.phase == "unknown" else link.phase
            ax.text((span[0] + span[1]) / 2, top + 0.015, words, ha="center", va="bottom",
                    fontsize=7.5, color=colour, fontstyle="italic")
            what = "compound " + "+".join(link.names) if len(link.names) == 2 else \
                "mutations " + ", ".join(link.names)
            tips[gid] = f"{what}: phase {link.phase}"

        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel("VAF", loc="center")
        ax.spines["left"].set_bounds(0, 1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_position(("data", -0.78))
        ticks = sorted({start, end, *range(1150, end, 50)})
        ax.set_xticks(ticks)
        ax.set_xlabel("ALK residue")
        handles = [
            Line2D([], [], color=PATIENT_COLOUR, marker="o", lw=1.6, label="patient (VAF)"),
            Line2D([], [], color=PATIENT_COLOUR, marker="o", markerfacecolor="white", lw=1.6,
                   label="patient (VAF unknown)"),
            Line2D([], [], color=HOTSPOT_COLOUR, lw=0.8, label="curated hotspot"),
        ] + [Line2D([], [], color=c, linestyle=s, lw=1.6, label=f"compound: {p}")
             for p, (c, s) in PHASE_STYLES.items() if p != "mixed"]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=7,
                   frameon=False)
        svg = to_svg(fig, prefix, tips, "ALK kinase domain with the patient's mutations")
    return svg


def _hotspot_label(names: list[str]) -> str:
    """'I1171N/S/T' for several changes at one residue; the name itself otherwise."""
    simple = [n for n in names if re.fullmatch(r"[A-Z]\d+[A-Z]", n)]
    if len(simple) == len(names) and len({n[:-1] for n in names}) == 1:
        return names[0][:-1] + "/".join(n[-1] for n in names)
    return "/".join(names)


def heatmap_svg(rows: list[str], columns: list[str], cells: dict[tuple[str, str], Cell], *,
                column_notes: dict[str, str], prefix: str, separator_before: str | None = None
                ) -> str:
    """Units (rows) × ALK TKIs (columns), coloured by class; IC50 in the cell when known."""
    import matplotlib
    from matplotlib.patches import Patch, Rectangle

    tips: dict[str, str] = {}
    with matplotlib.rc_context(RC):
        fig = _figure(2.4 + 0.78 * len(columns), 1.5 + 0.42 * len(rows))
        ax = fig.add_subplot()
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)
        for i, row in enumerate(rows):
            for j, col in enumerate(columns):
                cell = cells.get((row, col))
                if cell is None:
                    continue
                gid = f"c{i}-{j}"
                ax.add_patch(Rectangle((j + 0.03, i + 0.05), 0.94, 0.9,
                                       color=CLASS_COLOURS.get(cell.drug_class, "#d9d9d9"),
                                       lw=0, gid=gid))
                dark = cell.drug_class in ("sensitive", "resistant")
                ax.text(j + 0.5, i + 0.5, cell.label, ha="center", va="center",
                        fontsize=7.5 if "\n" in cell.label else 9,
                        color="white" if dark else "#202020")
                tips[gid] = cell.tooltip
        if separator_before in rows:
            y = rows.index(separator_before)
            ax.axhline(y, color="#202020", lw=1.2)
        ax.set_xticks([j + 0.5 for j in range(len(columns))])
        ax.set_xticklabels([c + ("\n" + column_notes[c] if c in column_notes else "")
                            for c in columns], rotation=35, ha="left", va="bottom",
                           rotation_mode="anchor")
        ax.xaxis.tick_top()
        ax.set_yticks([i + 0.5 for i in range(len(rows))])
        ax.set_yticklabels(rows)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        handles = [Patch(color=CLASS_COLOURS[c], label=f"{CLASS_LETTERS[c]} {c}")
                   for c in ("sensitive", "intermediate", "resistant", "unknown")]
        handles.append(Patch(color="white", label="* inferred from parts"))
        fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=7,
                   frameon=False)
        svg = to_svg(fig, prefix, tips, "Sensitivity of the patient's ALK mutations to ALK TKIs")
    return svg


MECHANISM_COLOURS = {"ALK KD mutation": "#e7298a", "compound": "#7570b3", "G1202R": "#d95f02",
                     "MET amplification": "#1b9e77", "other bypass": "#66a61e",
                     "transformation": "#e6ab02", "none found": "#a6761d"}
FAILED_COLOUR = "#636363"
MAX_LABELLED_SAMPLES = 150


def oncoprint_svg(samples: list[str], mechanisms: list[str], present: dict[tuple[int, str], str],
                  failed: dict[int, str], *, prefix: str) -> str:
    """Samples (columns) × mechanisms (rows): a filled cell where the mechanism was found,
    a dark hatched column for a sample that failed. ``present`` maps (sample index, mechanism)
    to the hover text; ``failed`` maps sample index to the error."""
    import matplotlib
    from matplotlib.patches import Patch, Rectangle

    from matplotlib.collections import PatchCollection

    from alkseq.sanitise import printable

    samples = [printable(s) for s in samples]   # a control character is no glyph, nor markup
    tips: dict[str, str] = {}
    empty: list = []
    n = len(samples)
    with matplotlib.rc_context(RC):
        label_room = 0.06 * min(max((len(s) for s in samples), default=0), 40) \
            if n <= MAX_LABELLED_SAMPLES else 0.3
        fig = _figure(min(3.0 + 0.24 * n, 40.0), 1.6 + 0.3 * len(mechanisms) + label_room)
        ax = fig.add_subplot()
        ax.set_xlim(0, max(n, 1))
        ax.set_ylim(len(mechanisms), 0)
        for i, sample in enumerate(samples):
            if i in failed:
                gid = f"f{i}"
                ax.add_patch(Rectangle((i + 0.08, 0.08), 0.84, len(mechanisms) - 0.16,
                                       facecolor="white", edgecolor=FAILED_COLOUR,
                                       hatch="////", lw=0.8, gid=gid))
                tips[gid] = f"{sample}: failed — {failed[i]}"
                continue
            for k, mech in enumerate(mechanisms):
                text = present.get((i, mech))
                gid = f"s{i}-{k}"
                if text is None:
                    empty.append(Rectangle((i + 0.08, k + 0.08), 0.84, 0.84))
                    continue
                ax.add_patch(Rectangle((i + 0.08, k + 0.08), 0.84, 0.84,
                                       color=MECHANISM_COLOURS.get(mech, "#444444"), lw=0,
                                       gid=gid))
                tips[gid] = f"{sample}: {mech} — {text}"
        # empty cells are one artist: a cohort of hundreds draws in seconds, not minutes
        ax.add_collection(PatchCollection(empty, facecolor="#efefef", linewidth=0))
        if n <= MAX_LABELLED_SAMPLES:
            ax.set_xticks([i + 0.5 for i in range(n)])
            ax.set_xticklabels([s if len(s) <= 40 else s[:39] + "…" for s in samples],
                               rotation=90, fontsize=7)
        else:   # names would overlap: the hover text and the table below carry them
            ax.set_xticks([])
            ax.set_xlabel(f"{n} samples, in batch order (hover a cell for the sample)")
        ax.set_yticks([k + 0.5 for k in range(len(mechanisms))])
        ax.set_yticklabels(mechanisms)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        handles = [Patch(facecolor="white", edgecolor=FAILED_COLOUR, hatch="////",
                         label="failed")]
        fig.legend(handles=handles, loc="outside right upper", fontsize=7, frameon=False)
        svg = to_svg(fig, prefix, tips, "Resistance mechanisms per sample")
    return svg


def frequency_svg(groups: list[str], mechanisms: list[str], counts: dict[tuple[str, str], int],
                  totals: dict[str, int], *, prefix: str) -> str:
    """Share of samples with each mechanism, one bar group per last prior ALK TKI."""
    import matplotlib
    from matplotlib.ticker import PercentFormatter

    tips: dict[str, str] = {}
    with matplotlib.rc_context(RC):
        fig = _figure(max(5.5, 1.8 + 1.3 * len(groups)), 3.4)
        ax = fig.add_subplot()
        width = 0.8 / max(len(mechanisms), 1)
        for k, mech in enumerate(mechanisms):
            for g, group in enumerate(groups):
                count = counts.get((group, mech), 0)
                total = totals[group]
                share = count / total if total else 0.0
                gid = f"b{g}-{k}"
                ax.bar(g - 0.4 + width * (k + 0.5), share, width * 0.92,
                       color=MECHANISM_COLOURS.get(mech, "#444444"), gid=gid,
                       label=mech if g == 0 else None)
                tips[gid] = f"last prior {group}: {mech} in {count} of {total} samples"
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{g}\n(n={totals[g]})" for g in groups])
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of samples")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.legend(loc="outside right upper", fontsize=7, frameon=False)
        svg = to_svg(fig, prefix, tips, "Mechanism frequencies by last prior ALK TKI")
    return svg
