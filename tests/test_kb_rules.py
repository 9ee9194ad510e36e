"""Validator rules behind the 2026-12 audit: each defect the audit found, re-introduced as an
overlay on the shipped tables, fails `alkseq kb validate` at the overlay's file and line;
cross-source disagreements are warnings the tables must acknowledge, and calls show them."""
import json

import pytest

from alkseq.knowledge import knowledge_warnings, load_knowledge, validate_knowledge
from alkseq.knowledge.conflicts import acknowledges_conflict, cell_conflict
from conftest import run_cli, write_synthetic_kb

HEADER = ("mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\t"
          "locator\tdirectness\tnote\n")


def _overlay(tmp_path, *rows, comments=()):
    directory = tmp_path / "overlay"
    directory.mkdir(parents=True)
    (directory / "sensitivity.tsv").write_text(
        "".join(f"{c}\n" for c in comments) + HEADER + "".join(r + "\n" for r in rows))
    return directory


def _problems(overlay):
    kb, problems = validate_knowledge(None, str(overlay))
    assert kb is None and problems
    return problems


SABARI_SENSITIVE = ("E1210K\tbrigatinib\tsensitive\t\t\t\tin vitro (test)\treview\t"
                    "PMID:28435288\tAbstract\treview\tIC50 <50 nM")
SABARI_RESISTANT = ("E1210K\tbrigatinib\tresistant\t\t\t\tpatient (test)\treview\t"
                    "PMID:28435288\tAbstract\treview\t'potential mechanisms of clinical resistance'")


def test_one_source_two_classes_for_one_cell_is_an_error(tmp_path):
    # Sabari 2017 giving E1210K x brigatinib both classes, with no row saying why
    problems = _problems(_overlay(tmp_path, SABARI_SENSITIVE, SABARI_RESISTANT))
    hits = [p for p in problems if p.column == "class" and "same source (PMID:28435288)" in p.message]
    assert {p.line for p in hits} == {2, 3}
    assert all(p.path.endswith("overlay/sensitivity.tsv") for p in hits)
    assert "conflict:" in hits[0].message  # says how to acknowledge it


def test_one_source_two_classes_pass_when_each_row_says_why(tmp_path):
    rows = [r.replace("\treview\tIC50", "\treview\tconflict: the abstract also says resistant; IC50")
            .replace("\treview\t'potential", "\treview\t[pass3] conflict: the abstract also "
                     "reports in-vitro activity; 'potential") for r in (SABARI_SENSITIVE, SABARI_RESISTANT)]
    kb, problems = validate_knowledge(None, str(_overlay(tmp_path, *rows)))
    assert problems == [], "\n".join(map(str, problems))
    # one row without the note is still an error
    problems = _problems(_overlay(tmp_path / "b", rows[0], SABARI_RESISTANT))
    assert [p.line for p in problems if "same source" in p.message] == [3]


def test_same_source_unknown_beside_a_class_is_fine_across_assays(tmp_path):
    rows = [SABARI_SENSITIVE.replace("E1210K", "G1202R").replace("sensitive", "unknown"),
            SABARI_RESISTANT.replace("E1210K", "G1202R").replace("\t'potential", "\tdup")]
    # G1202R x brigatinib resistant from PMID:28435288 is shipped too: no contradiction
    kb, problems = validate_knowledge(None, str(_overlay(tmp_path, *rows)))
    assert not [p for p in problems if "same source" in p.message], "\n".join(map(str, problems))


@pytest.mark.parametrize("key,note,bad", [
    ("I1171N+L1196M", "mesothelioma; phase of I1171N and L1196M not stated", True),
    ("I1171N+L1196M", "EML4-ALK mesothelioma (not NSCLC); phase not stated", True),
    ("I1171N+L1196M+G1202R", "G1202R in cis with L1196M; I1171N phase not stated", True),
    ("I1171N+D1203N", "I1171N+D1203N at lorlatinib resistance; cis/trans not stated", True),
    ("L1196M+G1202R", "G1202R 'in cis with L1196M'; I1171N co-occurring, phase not stated", False),
])
def test_a_cis_key_whose_note_says_phase_unknown_is_an_error(tmp_path, key, note, bad):
    row = (f"{key}\tlorlatinib\tresistant\t\t\t\tpatient\tcase_report\tPMID:32600123\t"
           f"CIViC EID 11114\tcurated_summary\t{note}")
    kb, problems = validate_knowledge(None, str(_overlay(tmp_path, row)))
    hits = [p for p in problems if p.column == "mutation" and "in cis" in p.message]
    assert bool(hits) == bad, "\n".join(map(str, problems))
    if bad:
        assert hits[0].line == 2 and hits[0].path.endswith("overlay/sensitivity.tsv")


@pytest.mark.parametrize("comment,message", [
    ("# Curated from /work/shared/kb-sources (dossier; CIViC snapshot)", "machine path"),
    ("# read from ../shared/kb-sources/civic_alk_evidence.json", "machine path"),
    ("# copied from C:\\Users\\curator\\table.tsv", "machine path"),
    ("# Summary: rows=238; mutations=32 (+WT); drugs=10; mutation x drug cells=131", "count"),
    ("# Rows by directness: curated_summary=99; primary=1", "count"),
])
def test_comments_naming_machine_paths_or_counts_are_errors(tmp_path, comment, message):
    row = SABARI_SENSITIVE.replace("E1210K", "G1202R").replace("sensitive", "unknown")
    problems = _problems(_overlay(tmp_path, row, comments=[comment]))
    hits = [p for p in problems if message in p.message]
    assert hits and hits[0].line == 1, "\n".join(map(str, problems))


def test_comments_about_sources_and_decisions_pass(tmp_path):
    row = SABARI_SENSITIVE.replace("E1210K", "G1202R").replace("sensitive", "unknown")
    kb, problems = validate_knowledge(None, str(_overlay(tmp_path, row, comments=[
        "# Sources: CIViC evidence items (CC0) and Lin 2017 Table 2; a 4-10 fold shift = resistant"])))
    assert problems == [], "\n".join(map(str, problems))


def test_the_shipped_tables_carry_no_audit_defect():
    kb, problems = validate_knowledge()
    assert problems == [], "\n".join(map(str, problems[:20]))
    # a release acknowledges every disagreement between its sources (kb validate --strict)
    warnings = knowledge_warnings(kb)
    assert warnings == [], "\n".join(map(str, warnings))
    # the cis keys the audit found unsupported are gone
    assert not any(m in ("I1171N+L1196M", "I1171N+L1196M+G1202R") for m, _ in kb.sensitivity)


# ---- cross-source conflicts: a warning, an error with --strict ----------------------------

G1269A_SENSITIVE = ("G1269A\talectinib\tsensitive\t\t\t\tBa/F3 (test)\tpreclinical\tPMID:1\tTest\t"
                    "curated_summary\t")


def test_unacknowledged_cross_source_conflict_is_a_warning(tmp_path):
    # the synthetic matrix has G1269A x alectinib 'intermediate' (PMID:1); a second source disagrees
    directory = write_synthetic_kb(tmp_path / "kb")
    (directory / "sources" / "synthetic.tsv").write_text(
        "source\tcitation\ttitle\tyear\turl\tnote\n"
        "PMID:1\tsynthetic test source\tnot a real claim\t2026\t\t\n"
        "PMID:2\tsecond synthetic source\tnot a real claim\t2020\t\t\n")
    with open(directory / "sensitivity.tsv", "a") as handle:
        handle.write(G1269A_SENSITIVE.replace("PMID:1", "PMID:2") + "\n")
    kb, problems = validate_knowledge(str(directory))
    assert problems == [], "\n".join(map(str, problems))
    warnings = knowledge_warnings(kb)
    assert len(warnings) == 1 and "G1269A x alectinib" in warnings[0].message
    assert warnings[0].path.endswith("sensitivity.tsv") and warnings[0].line
    result = run_cli("kb", "validate", "--path", directory)
    assert result.returncode == 0 and "warning:" in result.stderr and "1 warning" in result.stdout
    result = run_cli("kb", "validate", "--path", directory, "--strict")
    assert result.returncode == 5 and "G1269A x alectinib" in result.stderr
    # acknowledged in one row's note: no warning
    text = (directory / "sensitivity.tsv").read_text().rstrip("\n") + \
        "conflict: PMID:1 reads the same cells as intermediate\n"
    (directory / "sensitivity.tsv").write_text(text)
    kb, problems = validate_knowledge(str(directory))
    assert problems == [] and knowledge_warnings(kb) == []


def test_acknowledgement_marker():
    assert acknowledges_conflict("conflict: Lin 2017 says targeted")
    assert acknowledges_conflict("[pass2] conflict: x")
    assert acknowledges_conflict("IC50 84 nM; conflict: review says targeted")
    assert not acknowledges_conflict("no conflict noted")
    assert not acknowledges_conflict("conflict:")


# ---- conflicts are data: the call names both sides ---------------------------------------

def test_conflicting_cell_call_names_both_sides(synthetic_kb_dir):
    from alkseq.interpret.matrix import cell_call, patient_call

    with open(synthetic_kb_dir / "sources" / "synthetic.tsv", "a") as handle:
        handle.write("PMID:2\tsecond synthetic source\tnot a real claim\t2020\t\t\n")
    with open(synthetic_kb_dir / "sensitivity.tsv", "a") as handle:
        handle.write("G1269A\talectinib\tsensitive\t\t\t\treview table\treview\tPMID:2\tTable 2\t"
                     "review\t\n")
    kb = load_knowledge(str(synthetic_kb_dir))
    call = cell_call(kb, "G1269A", "alectinib")
    assert call.conflicting and call.drug_class == "intermediate"  # the best evidence kind
    sides = {s.drug_class: s for s in call.conflict}
    assert set(sides) == {"intermediate", "sensitive"}
    assert sides["sensitive"].directness == "review" and sides["sensitive"].sources == ("PMID:2",)
    assert sides["intermediate"].evidence == "preclinical"
    assert "conflicting" in call.detail
    # an agreeing cell has no conflict; a compound inferred from a conflicting part carries it
    assert cell_call(kb, "G1202R", "alectinib").conflict == ()
    inferred = cell_call(kb, "C1156Y+G1269A", "alectinib")
    assert inferred.inferred and {s.mutation for s in inferred.conflict} == {"G1269A"}
    assert patient_call(kb, ["G1269A", "G1202R"], "alectinib").conflicting
    assert cell_conflict(kb.sensitivity_rows("G1202R", "alectinib")) == ()


def test_lookup_g1269a_shows_the_alectinib_conflict_in_text_and_json():
    result = run_cli("lookup", "G1269A")
    assert result.returncode == 0, result.stderr
    matrix = result.stdout.split("Sensitivity of the ALK mutations found")[1]
    line = next(l for l in matrix.splitlines() if l.strip().startswith("alectinib "))
    assert "CONFLICTING" in line and "resistant (preclinical" in line and "sensitive (review" in line
    result = run_cli("lookup", "G1269A", "--format", "json")
    assert result.returncode == 0, result.stderr
    alectinib = next(m for m in json.loads(result.stdout)["samples"][0]["matrix"] if m["drug"] == "alectinib")
    sides = {s["class"]: s for s in alectinib["conflict"]}
    assert set(sides) == {"resistant", "sensitive"}
    assert sides["resistant"]["evidence"] == "preclinical"
    assert sides["sensitive"]["directness"] == "review"
    assert "PMID:25727400" in sides["resistant"]["sources"]
    # a cell whose sources agree carries an empty list
    brigatinib = next(m for m in json.loads(result.stdout)["samples"][0]["matrix"] if m["drug"] == "brigatinib")
    assert brigatinib["conflict"] == []
