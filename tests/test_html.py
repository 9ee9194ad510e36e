"""The HTML report as a string: sections, escaping, links, self-containment, determinism.

These run without a browser; tests/test_browser.py opens the same pages in Chromium.
"""
from __future__ import annotations

import html as htmlmod
import re
from pathlib import Path

import pytest

from alkseq.api import annotate
from alkseq.interpret.engine import RESEARCH_USE
from alkseq.report import html
from conftest import ROOT, run_cli

COMPOUND = ROOT / "examples" / "post_lorlatinib_compound" / "panel.tsv"
RESENS = ROOT / "examples" / "resensitisation_c1156y_l1198f" / "panel.tsv"
MET = ROOT / "examples" / "post_lorlatinib_met_amp" / "panel.csv"
G1202R_VCF = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"
XSS = "<script>alert(1)</script>"


def _compound_reports():
    return annotate(COMPOUND, ["alectinib", "lorlatinib"], progression="systemic")


def _resens_reports():
    return annotate(RESENS, ["crizotinib", "ceritinib", "lorlatinib"], progression="systemic")


def _panel(path: Path, rows: list[tuple[str, ...]]) -> Path:
    lines = ["sample\tgene\talteration\tvaf\tcopy_number"] + ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _ids(page: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', page)


def test_sections_in_order_and_research_notice():
    page = html.render(_compound_reports())
    order = ["Sample", "Candidates, ranked", "ALK kinase domain", "Sensitivity to ALK TKIs",
             "Findings", "Bypass and transformation", "Argued against", "Advice", "Warnings",
             "Methods and provenance"]
    positions = [page.index(f">{heading}") for heading in order]
    assert positions == sorted(positions)
    assert htmlmod.escape(RESEARCH_USE, quote=False) in page
    assert "2026" in page and "knowledge" in page           # knowledge version in the header
    assert "alectinib → lorlatinib" in page                   # prior therapies
    assert "examples/post_lorlatinib_compound/panel.tsv" in page or str(COMPOUND) in page


def test_answer_candidates_badges_and_citation_links():
    reports = _resens_reports()
    page = html.render(reports)
    report = reports[0]
    therapies = re.findall(r'<span class="therapy">([^<]*)</span>', page)
    assert therapies == [htmlmod.escape(c.therapy) for c in report.candidates]
    for c in report.candidates:
        assert f"level-{c.evidence_level}" in page
    assert 'class="badge reading"' in page and "only if cis" in page   # crizotinib needs cis
    assert 'class="badge inferred"' in page                            # ceritinib, inferred
    # PubMed citation → a PubMed link; DOI → doi.org
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/26698910/"' in page
    page_g = html.render(annotate(G1202R_VCF, ["crizotinib", "alectinib"]))
    assert re.search(r'href="https://doi\.org/10\.[^"]+"', page_g)


def test_two_figures_as_inline_svg_with_hover_text():
    page = html.render(_compound_reports())
    assert page.count("<svg") == 2
    lollipop = page[page.index('class="lollipop"'):page.index('class="heatmap"')]
    heatmap = page[page.index('class="heatmap"'):page.index("</figure>", page.index('class="heatmap"'))]
    # patient's mutations and their compound phase on the lollipop
    assert "G1202R" in lollipop and "L1196M" in lollipop
    assert "<title>compound L1196M+G1202R: phase unknown</title>" in lollipop
    assert "VAF 0.31" in lollipop
    # heatmap hover: unit × drug, class, IC50, sources
    titles = re.findall(r"<title>([^<]*)</title>", heatmap)
    g1202r_alectinib = next(t for t in titles if t.startswith("G1202R × alectinib"))
    assert "resistant" in g1202r_alectinib and "IC50 868 nM" in g1202r_alectinib
    assert "sources:" in g1202r_alectinib
    assert any(t.startswith("L1196M+G1202R × lorlatinib: resistant") for t in titles)
    assert any(t.startswith("all ALK mutations found × ") for t in titles)


def test_hotspots_come_from_the_knowledge_base(synthetic_kb):
    spots = html.hotspots(synthetic_kb)
    expected = {"G1202R", "L1196M", "C1156Y", "L1198F", "I1171N", "G1269A"}
    assert {n for names in spots.values() for n in names} == expected
    page = html.render(_compound_reports(), kb=synthetic_kb)
    lollipop = page[page.index('class="lollipop"'):page.index('class="heatmap"')]
    assert "residue 1171: I1171N" in lollipop
    assert "T1151dup" not in lollipop        # in the shipped matrix, not the synthetic one
    real = html.render(_compound_reports())
    assert "T1151dup" in real[real.index('class="lollipop"'):real.index('class="heatmap"')]


def test_no_alk_mutation_means_no_heatmap_but_the_domain_plot_stays():
    page = html.render(annotate(MET, ["alectinib", "lorlatinib"]))
    assert page.count("<svg") == 1
    assert "nothing to compare across ALK TKIs" in page
    bypass = page[page.index(">Bypass and transformation"):page.index(">Argued against")]
    assert "MET amplification" in bypass and "CN 14" in bypass


def test_sample_name_and_input_strings_are_escaped(tmp_path):
    evil_gene = "<img src=x onerror=alert(2)>"
    panel = _panel(tmp_path / "evil.tsv", [
        (XSS, "ALK", "G1202R", "0.3", ""),
        (XSS, evil_gene, "amplification", "", "9"),
        ('B&"x\'', "ALK", "L1196M", "0.2", "")])
    reports = annotate(panel, ["alectinib"])
    page = html.render(reports)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;IMG SRC=X ONERROR=ALERT(2)&gt;" in page      # gene symbols are upper-cased
    assert "B&amp;&#34;x&#39;" in page
    # the title too, and the switcher between the two samples
    assert "<title>alkseq report — 2 samples</title>" in page
    assert page.count('<section class="sample"') == 2
    assert 'href="#sample-1"' in page and 'href="#sample-2"' in page


def test_every_id_is_unique_with_several_samples(tmp_path):
    panel = _panel(tmp_path / "two.tsv", [
        ("A", "ALK", "G1202R", "0.3", ""), ("A", "ALK", "L1196M", "0.1", ""),
        ("B", "ALK", "I1171N", "0.4", ""), ("B", "MET", "amplification", "", "12")])
    page = html.render(annotate(panel, ["alectinib"]))
    ids = _ids(page)
    assert len(ids) == len(set(ids)) > 50
    # every in-page reference points at an id of the page
    refs = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page)
    assert all((a or b) in set(ids) for a, b in refs)


def test_self_contained_nothing_to_fetch():
    page = html.render(_compound_reports())
    lowered = page.lower()
    for banned in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import",
                   "@font-face", "url(http", "src="):
        assert banned not in lowered, banned
    # the only external URLs are citation links people may click
    for match in re.finditer(r'(href|src|xlink:href)="([^"]+)"', page):
        attr, url = match.groups()
        assert url.startswith("#") or (attr == "href" and url.startswith("https://")), match[0]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_unsafe_citation_urls_are_not_links():
    assert html.safe_url("URL:javascript:alert(1)") is None
    assert html.safe_url("URL:data:text/html,hi") is None
    assert html.safe_url("PMID:123") == "https://pubmed.ncbi.nlm.nih.gov/123/"
    assert html.safe_url("DOI:10.1/x") == "https://doi.org/10.1/x"


def test_deterministic_bytes_across_processes(tmp_path):
    args = [COMPOUND, "--prior", "alectinib", "--prior", "lorlatinib", "--format", "html"]
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for out in (first, second):
        result = run_cli("annotate", *args, "-o", out, cwd=ROOT)
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert not re.search(r"20\d\d-\d\d-\d\d[T ]\d\d:\d\d", text)   # no timestamp anywhere


def test_examples_have_their_html_and_it_is_current():
    """examples/regenerate.py writes report.html next to report.txt for every case."""
    import yaml

    cases = yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())
    missing = [c["name"] for c in cases
               if not (ROOT / "examples" / "expected" / c["name"] / "report.html").is_file()]
    assert not missing, f"run python examples/regenerate.py (missing: {missing})"
    case = next(c for c in cases if c["name"] == "post_alectinib_g1202r")
    result = run_cli("annotate", case["input"], *case["args"], "--format", "html", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    expected = (ROOT / "examples" / "expected" / case["name"] / "report.html").read_text()
    # figures are compared by their hover text: matplotlib versions may draw paths differently
    assert _without_svg(result.stdout) == _without_svg(expected), \
        "report.html changed: run python examples/regenerate.py"
    assert _svg_titles(result.stdout) == _svg_titles(expected)


def _without_svg(page: str) -> str:
    return re.sub(r"<svg.*?</svg>", "<svg/>", page, flags=re.S)


def _svg_titles(page: str) -> list[str]:
    return [t for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S)
            for t in re.findall(r"<title>([^<]*)</title>", svg)]


# ---- cohort ------------------------------------------------------------------------------
def _cohort_inputs(tmp_path):
    panel = _panel(tmp_path / "cohort.tsv", [
        ("P1", "ALK", "G1202R", "0.3", ""),
        ("P2", "ALK", "G1202R", "0.3", ""), ("P2", "ALK", "L1196M", "0.2", ""),
        ("P3", "MET", "amplification", "", "14"),
        ("P4", "KRAS", "G12C", "0.2", ""),
        ("P5", "TP53", "R273H", "0.4", "")])
    after_alectinib = annotate(panel, ["crizotinib", "alectinib"])
    reports = [r for r in after_alectinib if r.sample in ("P1", "P2")]
    reports += [r for r in annotate(panel, ["alectinib", "lorlatinib"])
                if r.sample in ("P3", "P4", "P5")]
    rows = [{"sample": r.sample, "status": "ok", "error": "",
             "mechanism_class": r.mechanism_class} for r in reports]
    rows.insert(2, {"sample": XSS, "status": "error",
                    "error": "input error: <b>bad</b> file", "mechanism_class": ""})
    return rows, reports


def test_mechanisms_of_each_sample(tmp_path):
    rows, reports = _cohort_inputs(tmp_path)
    by = {r.sample: set(html.mechanisms_of(r)) for r in reports}
    assert by["P1"] == {"ALK KD mutation", "G1202R"}
    assert by["P2"] == {"ALK KD mutation", "G1202R", "compound"}
    assert by["P3"] == {"MET amplification"}
    assert by["P4"] == {"other bypass"}
    assert by["P5"] == {"none found"}


def test_cohort_page(tmp_path):
    rows, reports = _cohort_inputs(tmp_path)
    page = html.render_cohort(rows, reports)
    assert page.count("<svg") == 2                              # oncoprint + frequencies
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: failed — input error: &lt;b&gt;bad&lt;/b&gt; file" in page
    assert "6 samples" in page and "1 failed" in page
    # frequencies by last prior ALK TKI: alectinib group n=2, lorlatinib group n=3
    table = page[page.index("<th>Last prior ALK TKI</th>"):]
    table = table[:table.index("</table>")]
    rows_html = re.findall(r"<tr><td>([a-z ]+)</td><td class=\"num\">(\d+)</td>(.*?)</tr>", table)
    groups = {name: (int(n), re.findall(r">(\d+) \((\d+)%\)<", cells)) for name, n, cells in rows_html}
    assert groups["alectinib"][0] == 2 and groups["lorlatinib"][0] == 3
    # order of MECHANISMS: ALK KD, compound, G1202R, MET amp, other bypass, transformation, none
    assert [int(c) for c, _ in groups["alectinib"][1]] == [2, 1, 2, 0, 0, 0, 0]
    assert [int(c) for c, _ in groups["lorlatinib"][1]] == [0, 0, 0, 1, 1, 0, 1]
    assert "<title>P3: MET amplification — MET amplification (CN 14)</title>" in page
    ids = _ids(page)
    assert len(ids) == len(set(ids))
    assert html.render_cohort(rows, reports) == page             # deterministic


def test_cohort_links_and_empty_cohort(tmp_path):
    rows, reports = _cohort_inputs(tmp_path)
    page = html.render_cohort(rows, reports, sample_links={"P1": "pages/P1.html"})
    assert '<a href="pages/P1.html">P1</a>' in page
    empty = html.render_cohort([], [])
    assert "No sample" in empty and "<svg" not in empty
    all_failed = html.render_cohort([{"sample": "X", "status": "error", "error": "boom"}], [])
    assert "X: failed — boom" in all_failed and "No sample ran" in all_failed


# ---- one page per sample ---------------------------------------------------------------------
@pytest.mark.parametrize("name, stem", [
    ("PT001", "PT001"), ("../../etc/passwd", "etc_passwd"), ("a/b\\c", "a_b_c"),
    ("..", "sample"), ("", "sample"), ("CON", "sample_CON"), ("tumør 1", "tumr_1"),
    (XSS, "script_alert_1_script")])
def test_safe_filename(name, stem):
    assert html.safe_filename(name) == stem


def test_write_sample_pages_stays_inside_the_directory(tmp_path):
    panel = _panel(tmp_path / "names.tsv", [
        ("../escape", "ALK", "G1202R", "0.3", ""), ("PT1", "ALK", "G1202R", "0.3", ""),
        ("pt1", "ALK", "L1196M", "0.3", ""), ("/abs/path", "ALK", "I1171N", "0.2", "")])
    reports = annotate(panel, ["alectinib"])
    out = tmp_path / "pages" / "nested"
    paths = html.write_sample_pages(reports, out)
    assert [p.name for p in paths] == ["escape.html", "PT1.html", "pt1-2.html", "abs_path.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert not (tmp_path / "escape.html").exists()
    for path, report in zip(paths, reports):
        assert path.resolve().parent == out.resolve()
        text = path.read_text()
        assert text.startswith("<!DOCTYPE html>") and htmlmod.escape(report.sample) in text
