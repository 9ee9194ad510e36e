"""A plain-text report a tumour board can read: the answer first, then why.

``render`` returns plain text (what pipes, files and tests get, unchanged byte for byte);
``render(reports, color=True)`` and ``print_rich`` give the terminal version drawn with
rich: coloured summary tables of findings and candidates, then the rest of the report.
Every string from an input is passed to rich as ``Text``, never parsed as markup.
"""
from __future__ import annotations

import re
import textwrap
from bisect import bisect_right
from itertools import accumulate

from alkseq.sanitise import printable
from alkseq.model import Report, cited_once, describe_conflict
from alkseq.notice import RESEARCH_USE
from alkseq.report.basis import alternative, evidence_fields, phase_basis, reading_needed
from alkseq.report.sources import reference_line, reference_view

SUFFIX = ".txt"
WIDTH = 100


class _Wrapper(textwrap.TextWrapper):
    """``textwrap``'s wrapper (its lines exactly), in a fraction of its time: wrapping was most
    of a report's rendering.

    * Whitespace: a text without tabs or line breaks is left as it is (textwrap translates it).
    * Chunks: textwrap's word pattern (which may break a word after a hyphen) never looks past
      the whitespace around a word, so splitting at whitespace first and running it only on
      the words that hold a hyphen gives the same chunks.
    * Lines: the same greedy filling, a line at a time (the chunks that fit are found by
      bisecting their running lengths) instead of a chunk at a time; a chunk longer than a
      line (cut by textwrap's long-word rule) sends the paragraph to textwrap's own loop.

    tests/test_text_report.py compares it with ``textwrap.fill`` on every paragraph of the
    examples and on generated text."""

    def _munge_whitespace(self, text: str) -> str:
        # tabs expanded, other whitespace made spaces: nothing to do in a text without them (and
        # str.translate walks a non-ASCII text a character at a time)
        if any(c in text for c in "\t\n\x0b\x0c\r"):
            return super()._munge_whitespace(text)
        return text

    def _split(self, text: str) -> list[str]:
        chunks: list[str] = []
        for piece in self.wordsep_simple_re.split(text):
            if "-" in piece:
                chunks += self.wordsep_re.split(piece)
            elif piece:
                chunks.append(piece)
        return [chunk for chunk in chunks if chunk]

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        first = self.width - len(self.initial_indent)
        later = self.width - len(self.subsequent_indent)
        lengths = list(map(len, chunks))
        if self.max_lines is not None or not self.drop_whitespace or min(first, later) < 1 \
                or (lengths and max(lengths) > min(first, later)):
            return super()._wrap_chunks(chunks)
        ends = [0, *accumulate(lengths)]
        lines: list[str] = []
        start, count = 0, len(chunks)
        while start < count:
            if lines and chunks[start].strip() == "":   # no line starts with whitespace
                start += 1
                if start == count:
                    break
            width = later if lines else first
            stop = bisect_right(ends, ends[start] + width, start) - 1   # the chunks that fit
            line = chunks[start:stop]
            start = stop
            if line[-1].strip() == "":   # nor ends with it
                del line[-1]
            if line:
                lines.append((self.subsequent_indent if lines else self.initial_indent) + "".join(line))
        return lines


def _wrap(text: str, indent: str = "    ", first: str | None = None, width: int = WIDTH) -> str:
    return _Wrapper(width, initial_indent=first or indent, subsequent_indent=indent).fill(text)


class Numbers:
    """Reference numbers in order of first citation; the references section lists them."""

    def __init__(self, r: Report):
        self.known = {ref.source: ref for ref in r.references}
        self.numbers: dict[str, int] = {}

    def sources(self, citations, locators: bool = True) -> str:
        """'Sources: [1] Lin JJ … 2017 (Table 2); [2] …' — every source, none cut."""
        parts = []
        for c in cited_once(citations):
            n = self.numbers.setdefault(c.source, len(self.numbers) + 1)
            ref = self.known.get(c.source)
            text = ref.citation if ref is not None and ref.citation else c.source
            tag = " [tertiary]" if c.directness == "tertiary" else ""
            parts.append(f"[{n}] {text}" + (f" ({c.locator})" if c.locator and locators else "") + tag)
        only = citations and all(c.directness == "tertiary" for c in citations)
        return "Sources: " + "; ".join(parts) + (
            " — only a tertiary source: check the primary literature" if only else "")


# ---- sections (each a list of lines; plain and rich output share them) --------------------
def _one_line(text: str) -> str:
    """A name read from an input, kept on its line (a newline in a sample name would not)."""
    return re.sub(r"[\n\t]", " ", text)


def _header(r: Report) -> list[str]:
    return [f"alkseq {r.alkseq_version} · knowledge {r.knowledge_version} · "
            f"sample {_one_line(r.sample)}", RESEARCH_USE]


def _context(r: Report) -> list[str]:
    ctx = r.context
    lines = " → ".join("+".join(line) for line in ctx.lines)
    setting = f" ({r.history.setting.replace('_', ' ')}, choosing line {r.history.next_line})" \
        if r.history is not None else ""
    return ["Context: prior " + ((lines + setting) if lines else "not given")
            + f"; histology {ctx.histology or 'not given'}"
            + f"; progression {ctx.progression or 'not given'}"
            + (f"; build {r.build}" if r.build else ""),
            f"Mechanism class: {r.mechanism_class.replace('_', ' ')}"]


def _finding_bits(f) -> list[str]:
    a = f.alteration
    bits = [_one_line(a.name), f.role.replace("_", " ")]
    if f.mechanism_label and f.mechanism_label != a.name:
        bits.append(f.mechanism_label)
    if a.vaf is not None:
        bits.append(f"VAF {a.vaf:.3g}")
    if a.copy_number is not None:
        bits.append(f"CN {a.copy_number:g}")
    return bits


def _phase_detail(c) -> str:
    ev = c.evidence
    return f" ({ev.source}: {ev.detail})" if ev and ev.detail else (f" ({ev.source})" if ev else "")


def _findings(r: Report) -> list[str]:
    out = ["Findings:"]
    if not r.findings:
        out.append("    none (no reportable alteration in the input)")
    for f in r.findings:
        out.append("    - " + " · ".join(_finding_bits(f)))
    for c in r.compounds:
        out.append(f"    - compound {c.key}: phase {c.phase}{_phase_detail(c)}")
    return out


def _candidate_tags(c) -> list[str]:
    tags = [f"recommendation: {c.recommendation_strength} ({c.evidence_level})",
            c.category.replace("_", " "), c.option.replace("_", " ") + " option"]
    if c.drugs and c.coverage_evidence:
        tags.append("coverage evidence: " + c.coverage_evidence.replace("_", " "))
    if c.therapy_class:
        tags.append("agents named: " + (", ".join(c.agents_named) or "none"))
    if c.inferred:
        tags.append("INFERRED")
    if c.status != "approved":
        tags.append(c.status)
    if c.reading:
        tags.append(f"only if {c.reading}")
    return tags


def _answer(r: Report, numbers: Numbers, width: int = WIDTH) -> list[str]:
    """The first candidate and what it rests on: phase, evidence, the warnings that matter."""
    top = r.candidates[0] if r.candidates else None
    out = ["Answer: " + (f"{top.therapy}  [{', '.join(_candidate_tags(top))}]" if top
                         else "no candidate")]
    if top is not None:
        out.append(_wrap("Phase reading: " + reading_needed(r, top), width=width))
    basis = phase_basis(r)
    out.append(_wrap("Phase established by: " + "; ".join(basis), width=width))
    if top is not None:
        out.append(_wrap("Evidence: " + "; ".join(f"{k} {v}" for k, v in evidence_fields(top)),
                         width=width))
        lead = "Otherwise" if top.reading else "Depends on phase"
        for words, pick in alternative(r, top):
            out.append(_wrap(f"{lead}, {words}: candidate {pick.rank}, {pick.therapy} "
                             f"(level {pick.evidence_level})", width=width))
        if top.citations:
            out.append(_wrap("Rests on " + numbers.sources(top.citations, locators=False)[len("Sources: "):],
                             width=width))
    out += [_wrap(w, "      ", first="    ! ", width=width) for w in r.key_warnings]
    return out


def _candidates(r: Report, numbers: Numbers, width: int = WIDTH) -> list[str]:
    out = ["Candidates (ranked):"]
    if not r.candidates:
        out.append("    none")
    for c in r.candidates:
        out.append(f"  {c.rank}. {c.therapy}")
        out.append(_wrap("[" + ", ".join(_candidate_tags(c)) + "]", width=width))
        out.append(_wrap(c.rationale, width=width))
        if c.citations:
            out.append(_wrap(numbers.sources(c.citations), width=width))
    return out


def _against(r: Report, numbers: Numbers, width: int = WIDTH) -> list[str]:
    if not r.not_recommended:
        return []
    out = ["Argued against:"]
    for n in r.not_recommended:
        out.append(f"  - {n.therapy}" + (" [inferred]" if n.inferred else ""))
        out.append(_wrap(n.reason, width=width))
        if n.citations:
            out.append(_wrap(numbers.sources(n.citations), width=width))
    return out


def _references(r: Report, numbers: Numbers, width: int = WIDTH) -> list[str]:
    if not numbers.numbers:
        return []
    known = {ref.source: ref for ref in r.references}
    return ["References:", *(_wrap(reference_line(n, reference_view(source, known.get(source))),
                                   "        ", first="    ", width=width)
                             for source, n in numbers.numbers.items())]


def _matrix(r: Report) -> list[str]:
    if not r.matrix:
        return []
    out = ["Sensitivity of the ALK mutations found, per ALK TKI:"]
    for m in r.matrix:
        ic50 = f"IC50 {m.ic50_nm:g} nM" if m.ic50_nm is not None else ""
        line = f"    {m.drug:<12} {m.drug_class:<12} {ic50:<16}" + \
            ("inferred " if m.inferred else "") + (m.evidence or "")
        if m.conflict:
            line += "  CONFLICTING: " + describe_conflict(m.conflict)
        out.append(line.rstrip())
    return out


def _advice(r: Report, width: int = WIDTH) -> list[str]:
    if not r.advice:
        return []
    return ["Advice:", *(_wrap(a, "    ", first="  - ", width=width) for a in r.advice)]


def _warnings(r: Report, width: int = WIDTH) -> list[str]:
    rest = [w for w in r.warnings if w not in r.key_warnings]
    if not rest:
        return []
    return ["Other warnings:", *(_wrap(w, "    ", first="  ! ", width=width) for w in rest)]


def render_one(r: Report) -> str:
    numbers = Numbers(r)
    out = [*_header(r), "", *_context(r), "", *_answer(r, numbers), "", *_findings(r), "",
           *_candidates(r, numbers)]
    for section in (_against(r, numbers), _matrix(r), _advice(r), _warnings(r),
                    _references(r, numbers)):
        if section:
            out += ["", *section]
    return "\n".join(out) + "\n"


def render(reports: list[Report], *, color: bool = False, width: int | None = None,
           **_options) -> str:
    """Plain text; ``color=True`` gives the rich terminal rendering (ANSI) as a string."""
    if color:
        import io

        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=True, color_system="standard",
                          width=width or WIDTH, highlight=False, markup=False, emoji=False)
        _print_rich(reports, console)
        return buffer.getvalue()
    # control characters from an input (ESC, CR, NUL …) are shown escaped, never sent raw
    return printable(("\n" + "=" * WIDTH + "\n\n").join(render_one(r) for r in reports))


# ---- the terminal version -----------------------------------------------------------------
LEVEL_STYLES = {"A": "bold white on green", "B": "bold black on bright_green",
                "C": "bold black on yellow", "D": "bold black on bright_yellow",
                "E": "bold white on bright_black"}
CLASS_STYLES = {"sensitive": "green", "intermediate": "yellow", "resistant": "red",
                "unknown": "bright_black"}
ROLE_STYLES = {"alk_kinase_domain": "bold magenta", "bypass": "bold cyan",
               "transformation": "bold yellow", "fusion": "blue"}


def print_rich(reports: list[Report], file=None) -> None:
    """The coloured terminal report on ``file`` (stdout by default); the CLI calls it when
    stdout is a terminal and the format is text."""
    from rich.console import Console

    console = Console(file=file, highlight=False, markup=False, emoji=False)
    _print_rich(reports, console)


def _print_rich(reports: list[Report], console) -> None:
    from rich.rule import Rule

    for i, r in enumerate(reports):
        if i:
            console.print(Rule(style="bright_black"))
        _rich_one(r, console)


def _text(content: str = "", style: str = ""):
    """Rich ``Text`` (never markup) with control characters escaped."""
    from rich.text import Text

    return Text(printable(content), style=style)


def _plain(console, lines: list[str], heading_style: str = "bold") -> None:
    if not lines:
        return
    console.print()
    console.print(_text(lines[0], style=heading_style))
    for line in lines[1:]:
        for part in line.split("\n"):
            console.print(_text(part), soft_wrap=True)


def _rich_one(r: Report, console) -> None:
    from rich import box
    from rich.table import Table

    header, notice = _header(r)
    console.print(_text(header, style="bold"))
    console.print(_text(notice, style="bold red"))
    console.print()
    for line in _context(r):
        console.print(_text(line))

    findings = Table(title=_text("Findings", style="bold"), title_justify="left",
                     box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("alteration", "role", "mechanism", "VAF", "CN"):
        findings.add_column(column, justify="right" if column in ("VAF", "CN") else "left")
    for f in r.findings:
        a = f.alteration
        findings.add_row(_text(_one_line(a.name), style=ROLE_STYLES.get(f.role, "")),
                         _text(f.role.replace("_", " ")), _text(f.mechanism_label or ""),
                         _text(f"{a.vaf:.3g}" if a.vaf is not None else ""),
                         _text(f"{a.copy_number:g}" if a.copy_number is not None else ""))
    for c in r.compounds:
        findings.add_row(_text("compound " + c.key, style="magenta"),
                         _text(f"phase {c.phase}", style="bold" if c.phase != "unknown" else "yellow"),
                         _text(_phase_detail(c).strip(" ()")), _text(""), _text(""))
    console.print()
    if r.findings or r.compounds:
        console.print(findings)
    else:
        console.print(_text("Findings", style="bold"))
        console.print(_text("    none (no reportable alteration in the input)"))

    candidates = Table(title=_text("Candidates (ranked)", style="bold"), title_justify="left",
                       box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    candidates.add_column("#", justify="right")
    candidates.add_column("therapy", ratio=1)
    candidates.add_column("level", justify="center")
    candidates.add_column("recommendation")
    candidates.add_column("coverage evidence")
    candidates.add_column("category")
    candidates.add_column("notes")
    for c in r.candidates:
        notes = _text()
        for tag, style in ((("INFERRED", "bold yellow") if c.inferred else (None, None)),
                           ((c.status, "cyan") if c.status != "approved" else (None, None)),
                           ((f"only if {c.reading}", "magenta") if c.reading else (None, None))):
            if tag:
                notes.append(("  " if notes else "") + tag, style=style)
        candidates.add_row(_text(str(c.rank)), _text(c.therapy, style="bold" if c.rank == 1 else ""),
                           _text(f" {c.evidence_level} ", style=LEVEL_STYLES.get(c.evidence_level, "")),
                           _text(c.recommendation_strength),
                           _text((c.coverage_evidence or "").replace("_", " ")),
                           _text(c.category.replace("_", " ")), notes)
    console.print()
    if r.candidates:
        console.print(candidates)
    else:
        console.print(_text("Candidates (ranked)", style="bold"))
        console.print(_text("    none"))

    # the rest, as in the plain report: why each candidate, what is argued against, ...
    width = max(40, min(console.width, WIDTH))
    numbers = Numbers(r)
    answer = _answer(r, numbers, width)
    _plain(console, answer, heading_style="bold green")
    why = _candidates(r, numbers, width)
    _plain(console, ["Why (candidates in detail):", *why[1:]] if r.candidates else [])
    _plain(console, _against(r, numbers, width))
    matrix = _matrix(r)
    if matrix:
        console.print()
        console.print(_text(matrix[0], style="bold"))
        for m, line in zip(r.matrix, matrix[1:]):
            text = _text(line)
            text.highlight_words([m.drug_class], style=CLASS_STYLES.get(m.drug_class, ""))
            console.print(text, soft_wrap=True)
    _plain(console, _advice(r, width))
    _plain(console, _warnings(r, width), heading_style="bold yellow")
    _plain(console, _references(r, numbers, width))
