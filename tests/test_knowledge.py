"""Loader and validator: the shipped tables are sound; each kind of broken table is caught
with its file, line and column."""
import shutil

import pytest

from alkseq.errors import KnowledgeError
from alkseq.knowledge import load_knowledge, validate_knowledge
from conftest import REFERENCE, write_synthetic_kb


def test_shipped_knowledge_validates():
    kb, problems = validate_knowledge()
    assert problems == [], "\n".join(map(str, problems[:20]))
    assert kb.version
    # the core ALK TKIs by generation are there, and code names resolve
    gens = {d.drug: d.generation for d in kb.alk_tkis()}
    assert gens["crizotinib"] == "1" and gens["lorlatinib"] == "3"
    assert {"ceritinib", "alectinib", "brigatinib", "ensartinib"} <= {d for d, g in gens.items() if g == "2"}
    for code, generic in [("PF-06463922", "lorlatinib"), ("AP26113", "brigatinib"),
                          ("CH5424802", "alectinib"), ("LDK378", "ceritinib"),
                          ("X-396", "ensartinib"), ("NVL-655", "neladalkib")]:
        assert kb.resolve_drug(code) == generic
    tpx = kb.drugs[kb.resolve_drug("TPX-0131")]
    assert tpx.is_alk_tki and tpx.generation == "next"
    # every sensitivity row and rule cites a known source
    for rows in kb.sensitivity.values():
        for row in rows:
            assert row.citation.source in kb.sources
            assert row.citation.locator
    for rule in kb.rules:
        assert rule.citations and all(c.source in kb.sources for c in rule.citations)


def test_seed_rules_are_represented():
    kb = load_knowledge()
    ids = {r.id.split(":")[0] for r in kb.rules}
    assert {"post_lorlatinib_chemo", "impower150_option", "no_pd1_monotherapy",
            "oligoprogression_local_therapy", "rebiopsy_at_progression"} <= ids


def test_synthetic_kb_loads(synthetic_kb):
    assert synthetic_kb.resolve_drug("Lorbrena") == "lorlatinib"
    assert synthetic_kb.resolve_drug("pf 06463922") == "lorlatinib"


def _broken(tmp_path, table, transform):
    directory = write_synthetic_kb(tmp_path / "kb")
    path = directory / table
    path.write_text(transform(path.read_text()))
    kb, problems = validate_knowledge(str(directory))
    assert kb is None and problems
    return problems


def _edit_row(text, match, column_index, value):
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(match):
            cells = line.split("\t")
            cells[column_index] = value
            lines[i] = "\t".join(cells)
            return "\n".join(lines) + "\n", i + 1
    raise AssertionError(match)


@pytest.mark.parametrize("table,match,col,value,column,message", [
    ("sensitivity.tsv", "G1202R\tlorlatinib", 8, "", "source", "every row must cite"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 9, "", "locator", "required"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 1, "unobtainium", "drug", "unknown drug"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 2, "sensitiv", "class", "is not one of"),
    ("sensitivity.tsv", "G1202R\talectinib", 3, "-5", "ic50_nm", "not a possible value"),
    ("sensitivity.tsv", "G1202R\talectinib", 3, "868 nM", "ic50_nm", "not a number"),
    ("sensitivity.tsv", "G1202R\talectinib", 5, "2", "fold_vs_wt", "contradicts"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 0, "G1202RX", "mutation", "not a protein change"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 0, "A1202R", "mutation", "residue 1202"),
    ("sensitivity.tsv", "L1196M+G1202R\tlorlatinib", 0, "G1202R+L1196M", "mutation", "canonical"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 8, "PMID:99999", "source", "not in sources"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 8, "pubmed 123", "source", "is not PMID"),
    ("sensitivity.tsv", "G1202R\tlorlatinib", 10, "hearsay", "directness", "is not one of"),
    ("drugs.tsv", "lorlatinib", 2, "", "generation", "generation"),
    ("drugs.tsv", "neladalkib", 5, "PF-06463922", "synonyms", "already names"),
    ("therapies.tsv", "impower150", 2, "atezolizumab;unobtainium", "drugs", "unknown drug"),
    ("mechanisms.tsv", "kras_g12c", 4, "^G12(C", "protein_match", "bad regular expression"),
    ("mechanism_therapies.tsv", "met_amplification\tcrizotinib", 0, "met_amp", "mechanism",
     "unknown mechanism"),
])
def test_broken_table_names_file_line_column(tmp_path, table, match, col, value, column, message):
    holder = {}

    def transform(text):
        new, line = _edit_row(text, match, col, value)
        holder["line"] = line
        return new

    problems = _broken(tmp_path, table, transform)
    hits = [p for p in problems if p.column == column and message in p.message]
    assert hits, "\n".join(map(str, problems))
    assert hits[0].path.endswith(table) or hits[0].path.endswith("sensitivity.tsv")
    if column not in ("source",) or "not in sources" not in message:
        assert hits[0].line == holder["line"]


def test_duplicate_key_and_contradicting_classes(tmp_path):
    problems = _broken(tmp_path, "drugs.tsv",
                       lambda t: t + [l for l in t.splitlines() if l.startswith("lorlatinib")][0] + "\n")
    assert any("duplicate key lorlatinib" in p.message for p in problems)

    problems = _broken(tmp_path / "b", "sensitivity.tsv",
                       lambda t: t + "G1202R\tlorlatinib\tresistant\t\t\t\tBa/F3\tpreclinical\t"
                                     "PMID:1\tTest\tcurated_summary\t\n")
    assert any(p.column == "class" and "contradicts line" in p.message for p in problems)


def test_missing_column_and_ragged_row(tmp_path):
    problems = _broken(tmp_path, "mechanisms.tsv", lambda t: t.replace("\trole\t", "\trol\t", 1))
    assert any(p.column == "role" and p.message == "missing column" for p in problems)
    problems = _broken(tmp_path / "b", "therapies.tsv", lambda t: t + "short\trow\n")
    assert any("cells, header has" in p.message for p in problems)


@pytest.mark.parametrize("edit,message", [
    (lambda t: t.replace("when: {progression: [oligo],", "when: {progresion: [oligo],"),
     "unknown condition"),
    (lambda t: t.replace("when: {progression: [oligo],", "when: {progression: [sometimes],"),
     "is not a value of progression"),
    (lambda t: t.replace("recommend: local_therapy", "recommend: moonbeam"), "unknown drug"),
    (lambda t: t.replace("evidence: clinical\n", "evidence: anecdote\n", 1), "evidence must be"),
    (lambda t: t.replace("rules:", "rulez:"), "top-level 'rules:'"),
    (lambda t: t + "  - {id: x, when: {always: true\n", "not valid YAML"),
])
def test_broken_rules(tmp_path, edit, message):
    problems = _broken(tmp_path, "rules.yaml", edit)
    assert any(message in p.message for p in problems), "\n".join(map(str, problems))


def test_load_knowledge_raises_one_error_with_count(tmp_path):
    directory = write_synthetic_kb(tmp_path / "kb")
    (directory / "drugs.tsv").write_text((directory / "drugs.tsv").read_text()
                                         .replace("PMID:1\tTest", "\tTest"))
    with pytest.raises(KnowledgeError, match=r"drugs.tsv:\d+ \[source\].*more problems"):
        load_knowledge(str(directory))


def test_overlay_is_validated_and_applied(tmp_path, synthetic_kb_dir):
    overlay = tmp_path / "overlay"
    (overlay / "sources").mkdir(parents=True)
    (overlay / "sources" / "local.tsv").write_text(
        "source\tcitation\ttitle\tyear\turl\tnote\nPMID:2\tlocal lab data\t\t2026\t\t\n")
    (overlay / "sensitivity.tsv").write_text(
        "mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\t"
        "locator\tdirectness\tnote\n"
        "G1202R\tensartinib\tresistant\t\t\t\tBa/F3\tpreclinical\tPMID:2\tFig 1\tprimary\t\n")
    load_knowledge.cache_clear()
    kb = load_knowledge(str(synthetic_kb_dir), str(overlay))
    assert kb.sensitivity_rows("G1202R", "ensartinib")[0].drug_class == "resistant"
    (overlay / "sensitivity.tsv").write_text(
        (overlay / "sensitivity.tsv").read_text().replace("ensartinib", "unobtainium"))
    load_knowledge.cache_clear()
    with pytest.raises(KnowledgeError, match="unknown drug 'unobtainium'"):
        load_knowledge(str(synthetic_kb_dir), str(overlay))


def test_knowledge_dir_missing(tmp_path):
    kb, problems = validate_knowledge(str(tmp_path / "nope"))
    assert kb is None and "not found" in problems[0].message


def test_a_row_citing_several_sources_pairs_each_with_its_own_locator():
    """therapy_classes.tsv's MEK-inhibitor row cites three sources with three ';'-separated locators
    (one holding a ';' inside brackets): each source carries its own, in order."""
    from alkseq.knowledge import load_knowledge

    mek = load_knowledge().therapy_classes["mek_inhibitor"]
    by_source = {c.source: c.locator for c in mek.citations}
    assert by_source["URL:https://pmc.ncbi.nlm.nih.gov/articles/PMC8448518/table/T1"].startswith("Table 1")
    assert by_source["DOI:10.1126/science.1254721"].startswith("Abstract ('the combination")
    assert "DUSP6" in by_source["PMID:26301689"] and "Table 1" not in by_source["PMID:26301689"]
