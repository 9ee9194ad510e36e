"""Knowledge integrity beyond tests/test_knowledge.py: each broken table is one problem with
file, line and column; encodings and line endings that are fine load; a --knowledge overlay
is validated the same way before use (CLI: exit 5, one line)."""
from __future__ import annotations

import pytest

from alkseq.knowledge import validate_knowledge
from conftest import CITE, ROOT, run_cli, write_synthetic_kb

SENS_HEADER = ("mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\t"
               "locator\tdirectness\tnote\n")


def _problems(directory, overlay=None):
    kb, problems = validate_knowledge(str(directory), str(overlay) if overlay else None)
    return kb, problems


def _append(directory, table, text):
    path = directory / table
    path.write_text(path.read_text() + text)
    return path.read_text().count("\n")  # the appended line's number


def _hits(problems, column, message):
    return [p for p in problems if p.column == column and message in p.message]


@pytest.mark.parametrize("row,column,message", [
    # fold_vs_wt that contradicts ic50/wt (868/13.5 = 64.3, not 10)
    ("G1269A\talectinib\tresistant\t868\t13.5\t10\tBa/F3 other\tpreclinical\t{c}\t", "fold_vs_wt",
     "contradicts"),
    # impossible IC50 values: zero, > 1 M nM, not finite
    ("G1269A\talectinib\tresistant\t0\t\t\tBa/F3 other\tpreclinical\t{c}\t", "ic50_nm",
     "not a possible value"),
    ("G1269A\talectinib\tresistant\t2e6\t\t\tBa/F3 other\tpreclinical\t{c}\t", "ic50_nm",
     "not a possible value"),
    ("G1269A\talectinib\tresistant\tnan\t\t\tBa/F3 other\tpreclinical\t{c}\t", "ic50_nm",
     "not a possible value"),
    # the WT baseline: fold is 1, ic50 is the WT ic50, and an ALK TKI is not 'resistant'
    ("WT\talectinib\tunknown\t\t\t3\tBa/F3 other\tpreclinical\t{c}\t", "fold_vs_wt", "WT vs WT"),
    ("WT\talectinib\tunknown\t10\t20\t\tBa/F3 other\tpreclinical\t{c}\t", "wt_ic50_nm",
     "they are the same"),
    ("WT\tlorlatinib\tresistant\t\t\t\tBa/F3 other\tpreclinical\t{c}\t", "class", "WT baseline"),
    # unknown mutation (not a protein change), a residue that is not ALK's, a non-ALK gene
    ("G1202X\tlorlatinib\tsensitive\t\t\t\tBa/F3 other\tpreclinical\t{c}\t", "mutation",
     "ambiguous"),
    ("KRAS:G12C\tlorlatinib\tsensitive\t\t\t\tBa/F3 other\tpreclinical\t{c}\t", "mutation",
     "not an ALK change"),
    # uncited: an empty source, and a source missing from the bibliography
    ("G1269A\tbrigatinib\tsensitive\t\t\t\tBa/F3 other\tpreclinical\t\tFig 1\tprimary\t", "source",
     "every row must cite"),
])
def test_sensitivity_integrity(tmp_path, row, column, message):
    directory = write_synthetic_kb(tmp_path / "kb")
    line = _append(directory, "sensitivity.tsv", row.format(c=CITE) + "\n")
    kb, problems = _problems(directory)
    hits = _hits(problems, column, message)
    assert kb is None and hits, "\n".join(map(str, problems))
    assert hits[0].line == line and hits[0].path.endswith("sensitivity.tsv")


def test_exact_duplicate_sensitivity_row(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    first = next(l for l in (directory / "sensitivity.tsv").read_text().splitlines()
                 if l.startswith("G1202R\talectinib"))
    line = _append(directory, "sensitivity.tsv", first + "\n")
    _, problems = _problems(directory)
    assert any(p.line == line and "duplicate of line" in p.message for p in problems)


def test_mechanism_therapy_pointing_nowhere(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    line = _append(directory, "mechanism_therapies.tsv",
                   f"met_amplification\tplatinum_moonbeam\tchemotherapy\tclinical\tWhy.\t{CITE}\t\n")
    _, problems = _problems(directory)
    hits = _hits(problems, "therapy", "neither a therapy id")
    assert hits and hits[0].line == line and "platinum_moonbeam" in hits[0].message


@pytest.mark.parametrize("edit,message", [
    (lambda t: t.replace("recommend: local_therapy", "recommend: [local_therapy, moonbeam]"),
     "neither a therapy id"),
    (lambda t: t.replace("evidence: clinical\n", "evidence: [clinical]\n", 1), "evidence must be"),
    (lambda t: t + "  - {id: y, when: {always: true}, then: {advise: x, priority: high}, "
                   "evidence: review, source: PMID:1, locator: a, directness: review}\n",
     "priority 'high' is not a name in priorities.tsv"),
    (lambda t: t + "  - &a {id: z1, when: {always: true}, then: {advise: x}, evidence: review, "
                   "source: PMID:1, locator: a, directness: review}\n  - *a\n",
     "aliases"),
    (lambda t: t + "  - {id: d1, when: {always: true}, then: {advise: x}, evidence: review, "
                   "source: [PMID:1, PMID:2], locator: a, directness: [review]}\n",
     "a list of directness values needs one per source"),
    (lambda t: t + "  - {id: d2, when: {always: true}, then: {advise: x}, evidence: review, "
                   "source: [PMID:1, PMID:2], locator: a, directness: [review, hearsay]}\n",
     "directness must be one of"),
])
def test_rules_integrity(tmp_path, edit, message):
    directory = write_synthetic_kb(tmp_path / "kb")
    path = directory / "rules.yaml"
    path.write_text(edit(path.read_text()))
    kb, problems = _problems(directory)
    assert kb is None and any(message in p.message for p in problems), \
        "\n".join(map(str, problems))


def test_duplicate_rule_id_in_one_overlay_file(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    rule = ("  - {id: local_x, when: {always: true}, then: {advise: 'Check.'}, evidence: review, "
            "source: PMID:1, locator: a, directness: review}\n")
    (overlay / "rules.yaml").write_text("rules:\n" + rule + rule)
    _, problems = _problems(directory, overlay)
    assert any("duplicate rule id 'local_x'" in p.message for p in problems)


def test_sources_file_with_malformed_and_repeated_ids(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    line = _append(directory, "sources/synthetic.tsv", "PMID 12345\tbad id\t\t2020\t\t\n")
    _append(directory, "sources/synthetic.tsv", "PMID:1\tsynthetic again\t\t2026\t\t\n")
    _, problems = _problems(directory)
    assert any(p.line == line and p.column == "source" and "is not PMID" in p.message
               for p in problems), "\n".join(map(str, problems))
    assert any("listed twice in this file" in p.message for p in problems)


def test_non_utf8_table_names_its_line(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    path = directory / "drugs.tsv"
    path.write_bytes(path.read_bytes() + "osimertinib\tegfr_tki\t\tapproved\tEGFR\t\tPMID:1\tT\t"
                     "curated_summary\tn\u00e9e\n".encode("latin-1"))
    _, problems = _problems(directory)
    hit = next(p for p in problems if "not UTF-8" in p.message)
    assert hit.path.endswith("drugs.tsv") and hit.line == path.read_bytes().count(b"\n")


@pytest.mark.parametrize("transform", [
    lambda b: b.replace(b"\n", b"\r\n"),                 # Windows line endings
    lambda b: b"\xef\xbb\xbf" + b,                       # a byte-order mark
    lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"),
], ids=["crlf", "bom", "bom+crlf"])
def test_crlf_and_bom_tables_load(tmp_path, transform):
    directory = write_synthetic_kb(tmp_path / "kb")
    for path in [*directory.glob("*.tsv"), *directory.glob("sources/*.tsv"),
                 directory / "rules.yaml", directory / "manifest.yaml"]:
        path.write_bytes(transform(path.read_bytes()))
    kb, problems = _problems(directory)
    assert problems == [], "\n".join(map(str, problems[:5]))
    assert kb.resolve_drug("Lorbrena") == "lorlatinib"


def test_line_separator_inside_a_note_is_not_a_row_break(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    path = directory / "drugs.tsv"
    path.write_text(path.read_text().replace("PD-L1\t\t" + CITE + "\t",
                                             "PD-L1\t\t" + CITE + "\tsee\u2028label", 1))
    kb, problems = _problems(directory)
    assert problems == [], "\n".join(map(str, problems[:5]))


def test_unreadable_table_is_a_problem_not_a_crash(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    (directory / "therapies.tsv").unlink()
    (directory / "therapies.tsv").mkdir()  # a directory where a table should be
    kb, problems = _problems(directory)
    assert kb is None and any(p.path.endswith("therapies.tsv") for p in problems)


# --------------------------------------------------------------------------- CLI

PANEL = "gene\talteration\nALK\tG1202R\n"


def _panel(tmp_path):
    path = tmp_path / "panel.tsv"
    path.write_text(PANEL)
    return path


def _one_line_exit(result, code):
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alkseq: error:"), result.stderr
    return lines[0]


def test_cli_knowledge_overlay_missing_is_exit_5(tmp_path):
    line = _one_line_exit(run_cli("annotate", _panel(tmp_path), "--knowledge",
                                  tmp_path / "bad_dir"), 5)
    assert "bad_dir" in line and "not found" in line


def test_cli_knowledge_overlay_broken_is_exit_5(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sensitivity.tsv").write_text(
        SENS_HEADER + "G1202R\tunobtainium\tresistant\t\t\t\tBa/F3\tpreclinical\tPMID:1\tFig 1\t"
                      "primary\t\n")
    line = _one_line_exit(run_cli("annotate", _panel(tmp_path), "--knowledge", overlay), 5)
    assert "sensitivity.tsv:2 [drug]: unknown drug 'unobtainium'" in line
    line = _one_line_exit(run_cli("lookup", "G1202R", "--knowledge", overlay), 5)
    assert "unobtainium" in line
    result = run_cli("kb", "validate", "--knowledge", overlay)
    assert result.returncode == 5 and "unobtainium" in result.stderr


def test_cli_knowledge_overlay_non_utf8_is_exit_5(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "drugs.tsv").write_bytes(b"drug\tdrug_class\n\xff\xfe\n")
    line = _one_line_exit(run_cli("annotate", _panel(tmp_path), "--knowledge", overlay), 5)
    assert "not UTF-8" in line


def test_cli_kb_validate_path_with_bom_and_crlf(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    for path in directory.glob("*.tsv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = run_cli("kb", "validate", "--path", directory)
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr


def test_shipped_reference_still_validates():
    result = run_cli("kb", "validate", cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_rule_directness_per_source_labels_each_citation(tmp_path):
    """A rule on a primary abstract plus a tertiary page shows each citation as what it is."""
    directory = write_synthetic_kb(tmp_path / "kb")
    path = directory / "rules.yaml"
    path.write_text(path.read_text() + "  - {id: d3, when: {always: true}, then: {advise: x}, "
                    "evidence: review, source: [PMID:1, URL:https://example.org/x], locator: a, "
                    "directness: [primary_abstract, tertiary]}\n")
    with open(directory / "sources" / "synthetic.tsv", "a") as sources:
        sources.write("URL:https://example.org/x\tsynthetic page\tnot a real claim\t2026\t\t\n")
    kb, problems = _problems(directory)
    assert kb is not None, "\n".join(map(str, problems))
    rule = next(r for r in kb.rules if r.id == "d3")
    assert [(c.source, c.directness) for c in rule.citations] == \
        [("PMID:1", "primary_abstract"), ("URL:https://example.org/x", "tertiary")]
