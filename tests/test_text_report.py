"""Text output: plain in pipes and files (byte-identical to the examples), rich on a terminal."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
import yaml

from alkseq.api import annotate
from alkseq.report import text
from conftest import ROOT, run_cli

CASES = yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RESENS = ROOT / "examples" / "resensitisation_c1156y_l1198f" / "panel.tsv"


def _resens():
    return annotate(RESENS, ["crizotinib", "ceritinib", "lorlatinib"], progression="systemic")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_piped_text_is_the_example_report_byte_for_byte(case):
    result = run_cli("annotate", case["input"], *case["args"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    expected = (ROOT / "examples" / "expected" / case["name"] / "report.txt").read_text()
    assert result.stdout == expected
    assert "\x1b[" not in result.stdout


def test_render_is_plain_unless_asked():
    reports = _resens()
    plain = text.render(reports)
    assert text.render(reports, color=False) == plain
    assert "\x1b" not in plain
    assert plain.startswith("alkseq ") and "Candidates (ranked):" in plain


def test_colour_rendering_has_tables_and_the_whole_report():
    reports = _resens()
    report = reports[0]
    coloured = text.render(reports, color=True, width=110)
    assert ANSI.search(coloured)
    shown = ANSI.sub("", coloured)
    # summary tables first: findings, then candidates with rank, therapy, level, category
    assert shown.index("Findings") < shown.index("Candidates (ranked)") < shown.index("Why")
    for c in report.candidates:
        row = next(line for line in shown.splitlines()
                   if re.match(rf"\s*{c.rank}\s+{re.escape(c.therapy[:20])}", line))
        assert c.evidence_level in row and c.category.replace("_", " ") in row
    assert "only if cis" in shown                       # the reading a candidate needs
    for f in report.findings:
        assert f.alteration.name in shown
    # then the rest of the report, as in the plain text
    for heading in ("Answer:", "Argued against:", "Sensitivity of the ALK mutations found",
                    "Advice:", "References:"):
        assert heading in shown
    assert text.RESEARCH_USE.split(":")[0] in shown
    # lines fit the width asked for
    assert max(len(line) for line in shown.splitlines()) <= 110


def test_input_strings_are_never_rich_markup(tmp_path):
    panel = tmp_path / "markup.tsv"
    name = "[bold red]PT[/] [link=https://example.org]x[/link]"
    panel.write_text(f"sample\tgene\talteration\tvaf\n{name}\tALK\tG1202R\t0.3\n")
    coloured = ANSI.sub("", text.render(annotate(panel, ["alectinib"]), color=True))
    assert name in coloured
    assert "\x1b]8;" not in coloured                     # no hyperlink escape was made


def test_print_rich_to_a_file_is_uncoloured_and_complete():
    buffer = io.StringIO()
    text.print_rich(_resens(), file=buffer)
    out = buffer.getvalue()
    assert "\x1b[" not in out                            # not a terminal: no colour codes
    assert "Candidates (ranked)" in out and "Crizotinib" in out


def test_print_rich_on_a_real_terminal():
    """A pseudo-terminal, as a user's shell gives: colour codes appear."""
    pty = pytest.importorskip("pty")
    code = ("from alkseq.api import annotate; from alkseq.report.text import print_rich; "
            f"print_rich(annotate({str(RESENS)!r}, ['crizotinib', 'ceritinib', 'lorlatinib']))")
    out = _run_in_pty(pty, [sys.executable, "-c", code])
    assert ANSI.search(out) and "Crizotinib" in ANSI.sub("", out)


def test_cli_on_a_terminal_prints_the_rich_report():
    """On a terminal ``alkseq annotate`` prints the rich report (cli.py calls print_rich for a TTY)."""
    pty = pytest.importorskip("pty")
    out = _run_in_pty(pty, [sys.executable, "-m", "alkseq", "annotate", str(RESENS),
                            "--prior", "crizotinib", "--prior", "ceritinib",
                            "--prior", "lorlatinib"])
    assert ANSI.search(out), out
    shown = ANSI.sub("", out)
    assert "Candidates (ranked)" in shown and "Why (candidates in detail)" in shown


def _run_in_pty(pty, argv) -> str:
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "110", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdout=child, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd=ROOT, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:          # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_control_characters_from_inputs_are_escaped():
    """Readers refuse most control characters; the writer still never sends one raw."""
    from dataclasses import replace

    reports = [replace(_resens()[0], sample="S\x1b[31mRED\x07\r")]
    for rendered in (text.render(reports), ANSI.sub("", text.render(reports, color=True))):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", rendered)
        assert "S\\x1b[31mRED\\x07\\x0d" in rendered


def test_answer_first_with_what_it_rests_on_and_every_source_numbered():
    """#17: the first candidate with its phase reading, phase basis, evidence and the warnings
    that change it, before the findings; sources cited in full, never '+N more'."""
    report = _resens()[0]
    plain = text.render([report])
    answer = plain[plain.index("Answer:"):plain.index("Findings:")]
    assert "Phase reading:" in answer and "Phase established by:" in answer
    assert "C1156Y + L1198F: phase unknown, not established" in answer
    assert "Depends on phase, if on one allele (cis): candidate" in answer
    assert "have unknown phase: the answer depends on" in answer
    assert "more (see --format json)" not in plain
    refs = plain[plain.index("References:"):]
    numbers = [int(n) for n in re.findall(r"^    \[(\d+)\] ", refs, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {c.source for group in (*(c.citations for c in report.candidates),
                                    *(n.citations for n in report.not_recommended))
             for c in group}
    assert len(numbers) == len(cited)
    assert "Shaw AT et al. N Engl J Med 2016" in refs and "PMID 26698910" in refs
    assert "[tertiary]" in plain                         # a tertiary source says so


def test_a_source_cited_twice_is_listed_once_with_its_locators_together():
    """After lorlatinib the chemotherapy answer rests on rows that share sources (Lin JJ 2024's
    abstract read twice): each source gets one number in text and HTML, every locator kept."""
    from alkseq.report import html

    report = annotate(ROOT / "examples" / "post_lorlatinib_compound" / "panel.tsv",
                      ["alectinib", "lorlatinib"])[0]
    top = report.candidates[0]
    assert len({c.source for c in top.citations}) < len(top.citations)   # the case has repeats
    sources = text.Numbers(report).sources(top.citations)
    numbers = re.findall(r"\[(\d+)\]", sources)
    assert len(numbers) == len(set(numbers)) == len({c.source for c in top.citations})
    for c in top.citations:
        assert not c.locator or c.locator in sources
    page = html.render([report])
    rests = page[page.index("Rests on"):page.index("</dd>", page.index("Rests on"))]
    cited = re.findall(r'href="#ref-[^"]*?(\d+)"', rests) or re.findall(r"\[(\d+)\]", rests)
    assert cited and len(cited) == len(set(cited)), rests[:400]


def _paragraphs() -> list[str]:
    """Every wrapped paragraph of the example reports, rejoined into one line each."""
    found = []
    for report in sorted((ROOT / "examples" / "expected").glob("*/report.txt")):
        current: list[str] = []
        for line in report.read_text().splitlines() + [""]:
            if line.startswith("    ") and current:
                current.append(line.strip())
                continue
            if current:
                found.append(" ".join(current))
            current = [line.strip()] if line.strip() else []
    return found


def test_the_wrapper_gives_textwraps_lines(monkeypatch):
    """``text._Wrapper`` gives the lines of ``textwrap.fill`` on every example paragraph, on edge
    cases (dashes, URLs, long words) and on generated text (widths from 6: textwrap itself can
    loop for ever on a line narrower than its indent)."""
    import textwrap

    from hypothesis import given, settings, strategies as st

    cases = _paragraphs() + [
        "", " ", "-", "--", "a--b", "a -- b", "non-small-cell", "EML4-ALK v3a/b", "self-", "-x",
        "G1202R+L1196M (cis) --- well-known", "x" * 250 + "-" + "y" * 30, "https://example.org/a-b-c-d/" * 6,
        "  lead and trail  ", "tab\there\nnew line", "1-2-3 a-1 1-a ab-cd-ef-gh-ij", "é-ü ß-ø",
    ]
    assert len(cases) > 100
    for paragraph in cases:
        for width, first in ((100, None), (40, "  1. "), (12, None)):
            ours = text._wrap(paragraph, first=first, width=width)
            theirs = textwrap.fill(paragraph, width, initial_indent=first or "    ", subsequent_indent="    ")
            assert ours == theirs, (paragraph, width)

    words = st.text(alphabet="ab1-–.!'?,\u2003\xa0", min_size=1, max_size=14)
    spaces = st.text(alphabet=" \t\n", min_size=1, max_size=3)
    paragraphs = st.lists(st.tuples(words, spaces), max_size=30).map(
        lambda pairs: "".join(w + s for w, s in pairs))

    @settings(max_examples=500, deadline=None)
    @given(st.one_of(paragraphs, st.text(alphabet="ab1-–. \t\n!'?,\u2003", max_size=80)),
           st.integers(min_value=6, max_value=30), st.sampled_from(["", "  ", "  1. ", "    "]))
    def same(paragraph, width, first):
        assert text._wrap(paragraph, width=width, first=first or None) == textwrap.fill(
            paragraph, width, initial_indent=first or "    ", subsequent_indent="    ")

    same()
