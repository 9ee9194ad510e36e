"""The HTML report as a string: sections, escaping, links, self-containment, determinism.

These run without a browser; tests/test_browser.py opens the same pages in Chromium.
"""
from __future__ import annotations

import html as htmlmod
import re
from pathlib import Path

import pytest

from alkseq.api import annotate
from alkseq.notice import RESEARCH_USE
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
    order = ["Sample", "First candidate", "Candidates, ranked", "ALK kinase domain",
             "Sensitivity to ALK TKIs", "Findings", "Bypass and transformation", "Argued against",
             "Advice", "References", "Methods and provenance"]
    positions = [page.index(f">{heading}") for heading in order]
    assert positions == sorted(positions)
    assert htmlmod.escape(RESEARCH_USE, quote=False) in page
    assert "2026" in page and "knowledge" in page           # knowledge version in the header
    assert "alectinib → lorlatinib" in page                   # prior therapies
    assert "examples/post_lorlatinib_compound/panel.tsv" in page or str(COMPOUND) in page


def test_top_card_says_what_the_answer_rests_on():
    """#17 item 2: phase reading, how phase was established, evidence, key warnings — on the
    card, before the ranked list."""
    page = html.render(_compound_reports())
    card = page[page.index('class="top-card"'):page.index(">Candidates, ranked")]
    assert "Phase reading" in card and "Phase established by" in card
    assert "L1196M + G1202R: phase unknown, not established" in card
    assert "have unknown phase: the answer depends on" in card       # the key warning
    assert 'class="ref"' in card                                       # numbered sources
    resens = html.render(_resens_reports())
    card = resens[resens.index('class="top-card"'):resens.index(">Candidates, ranked")]
    assert "Depends on phase" in card and "if on one allele (cis): candidate" in card
    assert "Crizotinib" in card


def test_top_card_names_read_counts_when_phased_from_reads():
    case = ROOT / "examples" / "phasing"
    reports = annotate(case / "tumor.vcf", ["alectinib"], progression="systemic",
                       options=__import__("alkseq.readers", fromlist=["ReadOptions"]).ReadOptions(
                           bam=str(case / "cis.bam")))
    page = html.render(reports)
    card = page[page.index('class="top-card"'):page.index(">Candidates, ranked")]
    assert "from sequencing reads" in card and "spanning reads: both" in card


def test_citations_as_people_cite_them_numbered_and_primary_first():
    reports = _resens_reports()
    report = reports[0]
    page = html.render(reports)
    refs = page[page.index('<ol class="references">'):]
    items = re.findall(r'<li id="sample-1-ref-(\d+)" value="\d+"><span class="ref-citation">([^<]*)</span>',
                       refs)
    assert [int(n) for n, _ in items] == list(range(1, len(items) + 1))
    cited = {c.source for c in report.candidates for c in c.citations}
    assert len(items) >= len(cited)
    assert "Shaw AT et al. N Engl J Med 2016" in page            # from reference/sources
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/26698910/"' in page
    # every [n] on the page points at a listed reference
    listed = {n for n, _ in items}
    assert set(re.findall(r'href="#sample-1-ref-(\d+)"', page)) <= listed
    # tertiary sources never lead a card
    from alkseq.interpret.matrix import DIRECTNESS_RANK
    for c in (*report.candidates, *report.not_recommended):
        ranks = [DIRECTNESS_RANK.get(x.directness, 9) for x in c.citations]
        assert ranks == sorted(ranks)
        if len(c.citations) > 1 and any(x.directness != "tertiary" for x in c.citations):
            assert c.citations[0].directness != "tertiary"


def test_answer_candidates_badges_and_citation_links():
    reports = _resens_reports()
    page = html.render(reports)
    report = reports[0]
    listed = page[page.index(">Candidates, ranked"):]
    therapies = re.findall(r'<span class="therapy">([^<]*)</span>', listed)
    assert therapies == [htmlmod.escape(c.therapy) for c in report.candidates]
    for c in report.candidates:
        assert f"level-{c.evidence_level}" in page
    assert 'class="badge reading"' in page and "only if cis" in page   # crizotinib needs cis
    assert 'class="badge inferred"' in page                            # ceritinib, inferred
    page_g = html.render(annotate(G1202R_VCF, ["crizotinib", "alectinib"]))
    assert re.search(r'href="https://doi\.org/10\.[^"]+"', page_g)


def test_figures_as_inline_svg_with_hover_text():
    page = html.render(_compound_reports())
    assert page.count("<svg") == 2
    lollipop = page[page.index('class="lollipop"'):page.index('class="heatmap"')]
    heatmap = page[page.index('class="heatmap"'):page.index("</figure>", page.index('class="heatmap"'))]
    assert "G1202R" in lollipop and "L1196M" in lollipop
    assert "<title>compound L1196M+G1202R: phase unknown</title>" in lollipop
    assert "VAF 0.31" in lollipop
    titles = re.findall(r"<title>([^<]*)</title>", heatmap)
    g1202r_alectinib = next(t for t in titles if t.startswith("G1202R (VAF 0.31) × alectinib"))
    assert "resistant" in g1202r_alectinib and "IC50 868 nM" in g1202r_alectinib
    assert "sources: [" in g1202r_alectinib
    # both readings of the unknown-phase pair, in words
    assert any(t.startswith("L1196M + G1202R together, if on one allele (cis) × lorlatinib: "
                            "resistant") for t in titles)
    assert any(t.startswith("whole tumour if on one allele (cis) × lorlatinib: resistant")
               for t in titles)
    assert any(t.startswith("whole tumour if on separate alleles or clones (trans) × lorlatinib: "
                            "sensitive") for t in titles)
    assert "patient call (all units)" not in page


def test_drug_order_is_the_reports_everywhere():
    report = _compound_reports()[0]
    page = html.render([report])
    heatmap = page[page.index('class="heatmap"'):]
    order = [m.drug for m in report.matrix]
    columns = re.findall(r'font-weight="600">([a-z0-9-]+)</text>', heatmap[:heatmap.index("</svg>")])
    assert columns == order
    from alkseq.report import text
    lines = text.render([report]).split("Sensitivity of the ALK mutations found, per ALK TKI:\n")[1]
    assert [line.split()[0] for line in lines.split("\n\n")[0].splitlines()] == order


def test_hotspots_come_from_the_reports_knowledge_base(synthetic_kb):
    from alkseq.interpret import interpret

    spots = html.hotspots(sorted(synthetic_kb.matrix_mutations))
    expected = {"G1202R", "L1196M", "C1156Y", "L1198F", "I1171N", "G1269A"}
    assert {n for names in spots.values() for n in names} == expected
    real = _compound_reports()[0]
    synthetic = interpret([f.alteration for f in real.findings], real.context, synthetic_kb,
                          compounds=real.compounds, sample=real.sample)
    page = html.render([synthetic])                 # no kb= : the report carries its own
    lollipop = page[page.index('class="lollipop"'):page.index('class="heatmap"')]
    assert "residue 1171: I1171N" in lollipop
    assert "T1151dup" not in lollipop        # in the shipped matrix, not the synthetic one
    shipped = html.render([real])
    assert "T1151dup" in shipped[shipped.index('class="lollipop"'):shipped.index('class="heatmap"')]


def test_writers_import_neither_interpreter_nor_knowledge():
    """#13: writers render the report's data; they never call the engine or load knowledge."""
    import ast

    for path in sorted((ROOT / "alkseq" / "report").glob("*.py")):
        module = path.stem
        tree = ast.parse(path.read_text())
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        bad = [n for n in names if n.startswith(("alkseq.interpret", "alkseq.knowledge"))]
        assert not bad, (module, bad)


def test_bypass_only_no_lollipop_no_heatmap_but_a_copy_number_view():
    page = html.render(annotate(MET, ["alectinib", "lorlatinib"]))
    assert page.count("<svg") == 1 and 'class="lollipop"' not in page
    view = page[page.index('class="copy-number"'):page.index("</figure>", page.index('class="copy-number"'))]
    assert "<title>MET: copy number 14 (amplification)</title>" in view
    assert "<title>amplification threshold: copy number 6</title>" in view
    bypass = page[page.index(">Bypass and transformation"):page.index(">Argued against")]
    assert "MET amplification" in bypass and "CN 14" in bypass
    assert "MET amplification (MET amplification)" not in bypass


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


def test_compiled_templates_are_kept_privately_and_give_the_same_page(tmp_path):
    """Jinja's bytecode of the templates is kept in the user's cache: the page is byte-identical
    compiled afresh, from the cache and with the cache off; a folder others may write is not used."""
    import os
    import stat
    import subprocess
    import sys

    def page(cache) -> bytes:
        done = subprocess.run([sys.executable, "-m", "alkseq", "annotate", COMPOUND, "--prior",
                               "alectinib", "--format", "html"], capture_output=True, timeout=120,
                              cwd=ROOT, env={**os.environ, "ALKSEQ_CACHE_DIR": str(cache)})
        assert done.returncode == 0, done.stderr
        return done.stdout

    cache = tmp_path / "cache"
    fresh = page("off")
    assert page(cache) == fresh                      # compiled, then kept
    kept = sorted((cache / "templates").glob("__jinja2_*.cache"))
    assert len(kept) >= 3                            # report, base, sample, macros
    assert stat.S_IMODE((cache / "templates").stat().st_mode) & 0o077 == 0
    assert page(cache) == fresh                      # from the kept bytecode
    for path in kept:
        path.write_bytes(b"damaged")
    assert page(cache) == fresh                      # a damaged entry is compiled again
    shared = tmp_path / "shared"
    (shared / "templates").mkdir(parents=True)
    os.chmod(shared / "templates", 0o777)
    assert page(shared) == fresh and not list((shared / "templates").iterdir())


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
    assert page.count("<svg") == 1                              # the aggregated oncoprint
    assert "<script>alert" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</span>: <span class=\"failed\">failed</span>" \
        " — input error: &lt;b&gt;bad&lt;/b&gt; file" in page
    assert "<strong>6</strong> samples" in page and "1 failed" in page
    # failures before the counts, and first in the table
    assert page.index("Failed samples") < page.index("Resistance mechanisms by last prior")
    body = page[page.index('<tbody id="cohort-body"'):]
    assert body.index("&lt;script&gt;") < body.index(">P1<")
    table = page[page.index("<th>Last prior ALK TKI</th>"):]
    table = table[:table.index("</table>")]
    rows_html = re.findall(r"<tr><td>([a-z ]+)</td><td class=\"num\">(\d+)</td>(.*?)</tr>", table)
    groups = {name: (int(n), re.findall(r">(\d+) \((\d+)%\)<", cells)) for name, n, cells in rows_html}
    assert groups["alectinib"][0] == 2 and groups["lorlatinib"][0] == 3
    # cohort.CATEGORIES order: KD, G1202R, compound, MET amp, other bypass, transformation,
    # mixed, none found
    assert [int(c) for c, _ in groups["alectinib"][1]] == [2, 2, 1, 0, 0, 0, 0, 0]
    assert [int(c) for c, _ in groups["lorlatinib"][1]] == [0, 0, 0, 1, 1, 0, 0, 1]
    assert "<title>last prior lorlatinib: MET amplification in 1 of 3 samples</title>" in page
    ids = _ids(page)
    assert len(ids) == len(set(ids))
    assert html.render_cohort(rows, reports) == page     # deterministic
    # the only script is allowed by its hash in the CSP
    import base64
    import hashlib
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page


def test_cohort_links_and_empty_cohort(tmp_path):
    rows, reports = _cohort_inputs(tmp_path)
    page = html.render_cohort(rows, reports, sample_links={"P1": "pages/P1.html"})
    assert '<a href="pages/P1.html">P1</a>' in page
    empty = html.render_cohort([], [])
    assert "No sample" in empty and "<svg" not in empty
    all_failed = html.render_cohort([{"sample": "X", "status": "error", "error": "boom"}], [])
    assert "failed</span> — boom" in all_failed and "No sample ran" in all_failed


def _mixed_cohort(directory: Path, n: int) -> Path:
    """A generated cohort: every category, three prior lines, some failures."""
    kinds = [[("ALK", "G1202R", "0.3", "")], [("ALK", "G1202R", "0.3", ""), ("ALK", "L1196M", "0.2", "")],
             [("MET", "amplification", "", "14")], [("KRAS", "G12C", "0.2", "")],
             [("TP53", "R273H", "0.4", "")], [("ALK", "I1171N", "0.25", ""), ("MET", "amplification", "", "9")],
             [("ALK", "C1156Y", "0.2", ""), ("ALK", "L1198F", "0.2", "")]]
    priors = ["crizotinib;alectinib", "alectinib;lorlatinib", "alectinib", "", "crizotinib"]
    directory.mkdir(parents=True, exist_ok=True)
    sheet = ["sample,path,prior,histology"]
    for i in range(n):
        name = f"S{i:04d}"
        if i % 23 == 7:
            sheet.append(f"{name},missing_{i}.tsv,alectinib,")
            continue
        rows = kinds[i % len(kinds)]
        _panel(directory / f"{name}.tsv", [(name, *r) for r in rows])
        histology = "small-cell" if i % 11 == 3 else ""
        sheet.append(f"{name},{name}.tsv,{priors[i % len(priors)]},{histology}")
    path = directory / "sheet.csv"
    path.write_text("\n".join(sheet) + "\n")
    return path


def test_cohort_page_and_summary_agree_on_every_category(tmp_path):
    """#13: the categories are defined once (cohort.CATEGORIES); on a generated mixed cohort
    the HTML page's counts and `--summary` agree cell by cell."""
    sheet = _mixed_cohort(tmp_path / "cohort", 60)
    out = tmp_path / "out"
    result = run_cli("batch", sheet, "-o", out.with_suffix(".csv"), "--summary",
                     out.with_suffix(".tsv"), "--html", out.with_suffix(".html"), "--quiet")
    assert result.returncode == 10, result.stderr             # some samples fail on purpose
    lines = out.with_suffix(".tsv").read_text().splitlines()
    header = lines[0].split("\t")
    summary = {row.split("\t")[0]: dict(zip(header, row.split("\t"))) for row in lines[1:]}
    page = out.with_suffix(".html").read_text()
    from alkseq.report.cohort import CATEGORIES
    table = page[page.index("<th>Last prior ALK TKI</th>"):]
    table = table[:table.index("</table>")]
    rows_html = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td>(.*?)</tr>", table)
    assert {name for name, _, _ in rows_html} == set(summary) - {"all samples"}
    seen = set()
    for name, n, cells in rows_html:
        counts = [int(c) for c in re.findall(r">(\d+) \(\d+%\)<", cells)]
        assert int(summary[name]["n"]) == int(n)
        assert counts == [int(summary[name][f"{c.stem}_n"]) for c in CATEGORIES], name
        seen |= {c.stem for c, k in zip(CATEGORIES, counts) if k}
    assert seen == {c.stem for c in CATEGORIES}


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


def test_batch_pages_are_rendered_in_the_workers_and_match_serial(tmp_path):
    """#18: --html-dir pages come from the workers (SampleResult.html is the page written);
    two workers write the same bytes as one."""
    from alkseq.batching import batch

    sheet = _mixed_cohort(tmp_path / "cohort", 12)
    serial = batch(sheet, workers=1, html_dir=str(tmp_path / "serial"), progress=False)
    parallel = batch(sheet, workers=2, html_dir=str(tmp_path / "parallel"), progress=False,
                     chunk_size=2)
    written = [r for r in parallel.results if r.report is not None]
    assert written and all(r.html and Path(r.html).is_file() for r in written)
    for r in written:
        page = Path(r.html)
        assert page.parent == (tmp_path / "parallel").resolve()
        assert page.read_bytes() == (tmp_path / "serial" / page.name).read_bytes()
    assert not any(r.html for r in serial.results if r.report is None)


def test_sample_name_option_names_the_report(tmp_path):
    panel = tmp_path / "nameless.tsv"
    panel.write_text("gene\talteration\tvaf\nALK\tG1202R\t0.3\n")
    result = run_cli("annotate", panel, "--prior", "alectinib", "--sample-name", "PT-42",
                     "--format", "html")
    assert result.returncode == 0, result.stderr
    assert "<title>alkseq report — PT-42</title>" in result.stdout
    two = _panel(tmp_path / "two.tsv", [("A", "ALK", "G1202R", "0.3", ""),
                                        ("B", "ALK", "L1196M", "0.3", "")])
    refused = run_cli("annotate", two, "--sample-name", "X")
    assert refused.returncode == 2 and "--sample-name names one sample" in refused.stderr


def test_fragments_built_here_pass_as_they_are_and_anything_joined_to_them_is_checked_again():
    """``_Printable``: a fragment written from values already made printable and escaped is not scanned
    again; joining it to anything gives plain Markup, whose controls and specials are handled as ever."""
    from markupsafe import Markup

    clean = html._markup('<div class="sources">Sources: [1]</div>')
    assert html._printable_value(clean) is clean
    for joined in (clean + "\x1b<b>", "\x1b<b>" + clean, clean.join(["\x1b", "<b>"]), clean.format(),
                   Markup("%s") % clean):
        assert type(joined) is Markup
    page_bit = html._printable_value(clean + "\x1b")
    assert "\x1b" not in page_bit and "\\x1b" in page_bit
    assert "&lt;b&gt;" in str(clean + "<b>")
    # the plain-string fast path of _value writes what markupsafe's escape writes
    for text in ["G1202R", "IC50 < 10 nM", "a & b", 'say "x"', "it's", "tab\there", "\x1b[31m", "", "é"]:
        assert html._value(text) == str(html.escape(html._printable_value(text)))
    assert html._value(7) == "7" and html._value(True) == "True"


def test_figure_text_is_escaped_as_the_xml_library_escapes_it():
    """``plots.esc`` writes what ``xml.sax.saxutils.escape`` (with the double quote) writes, control
    characters made visible first, without importing it (its import pulls in urllib, http and email)."""
    import subprocess
    import sys
    from xml.sax.saxutils import escape

    from alkseq.report.plots import esc
    from alkseq.sanitise import printable

    for text in ['G1202R+L1196M "cis" & <trans>', "&amp;", "<<>>", 'a"b', "x\u2028y\x1b", "plain", "", 1202]:
        shown = str(text) if str(text).isprintable() else printable(str(text))
        assert esc(text) == escape(shown, {'"': "&quot;"})
    code = "import sys, alkseq.report.plots; print('urllib.request' in sys.modules, 'xml.sax' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["False", "False"]
