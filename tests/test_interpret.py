"""The interpretation rules, each on a case, against a small synthetic matrix and the real rules."""
import pytest

from alkseq.api import make_context
from alkseq.errors import ParseError
from alkseq.genome.protein import parse_protein_change
from alkseq.interpret import interpret, lookup_report
from alkseq.model import Alteration, Compound, PhaseEvidence


def alk(short, vaf=None):
    return Alteration(gene="ALK", kind="mutation", protein_change=parse_protein_change(short)[1],
                      vaf=vaf)


def run(kb, alterations, prior=(), compounds=(), **context):
    return interpret(alterations, make_context(kb, prior, **context), kb, compounds=compounds)


def drugs_of(report):
    return [c.drugs for c in report.candidates]


def argued(report):
    return {d for n in report.not_recommended for d in n.drugs}


def test_every_candidate_has_rationale_sources_and_rank(synthetic_kb):
    report = run(synthetic_kb, [alk("G1202R")], ["alectinib"])
    assert [c.rank for c in report.candidates] == list(range(1, len(report.candidates) + 1))
    for c in report.candidates:
        assert c.rationale and c.citations and c.evidence_level in "ABCDE"


def test_g1202r_after_alectinib_lorlatinib_first(synthetic_kb):
    report = run(synthetic_kb, [alk("G1202R")], ["alectinib"])
    assert report.candidates[0].drugs == ("lorlatinib",)
    assert {"alectinib", "brigatinib", "crizotinib"} <= argued(report)
    alectinib = next(n for n in report.not_recommended if n.drugs == ("alectinib",))
    assert "868" in alectinib.reason  # the IC50 that argues against it


def test_a_drug_must_cover_every_mutation(synthetic_kb):
    # trans (separate clones): G1202R needs lorlatinib; I1171N is covered by ceritinib but
    # ceritinib has no evidence for G1202R -> only lorlatinib covers both
    comp = Compound((parse_protein_change("I1171N")[1], parse_protein_change("G1202R")[1]), "trans",
                    PhaseEvidence("user"))
    report = run(synthetic_kb, [alk("I1171N"), alk("G1202R")], ["alectinib"], compounds=[comp])
    assert ("lorlatinib",) in drugs_of(report)
    assert ("ceritinib",) not in drugs_of(report)
    ceritinib = next(m for m in report.matrix if m.drug == "ceritinib")
    assert ceritinib.drug_class == "unknown"


def test_compound_evidence_beats_its_parts(synthetic_kb):
    report = lookup_report(synthetic_kb, "G1202R+L1196M", make_context(synthetic_kb, ["alectinib"]))
    lorlatinib = next(m for m in report.matrix if m.drug == "lorlatinib")
    assert lorlatinib.drug_class == "resistant" and not lorlatinib.inferred
    assert ("lorlatinib",) not in drugs_of(report)
    assert report.candidates[0].drugs == ("carboplatin", "cisplatin", "pemetrexed")
    trial = next(c for c in report.candidates if c.drugs == ("neladalkib",))
    assert trial.category == "trial" and trial.status == "investigational"


def test_compound_without_evidence_is_worst_of_parts_and_inferred(synthetic_kb):
    report = lookup_report(synthetic_kb, "C1156Y+G1269A", make_context(synthetic_kb, ["crizotinib"]))
    calls = {m.drug: m for m in report.matrix}
    assert calls["crizotinib"].drug_class == "resistant" and calls["crizotinib"].inferred
    assert calls["lorlatinib"].drug_class == "sensitive" and calls["lorlatinib"].inferred
    lorlatinib = next(c for c in report.candidates if c.drugs == ("lorlatinib",))
    assert lorlatinib.inferred and lorlatinib.evidence_level == "E"
    assert "inferred" in lorlatinib.rationale
    # an inferred intermediate (alectinib: G1269A intermediate, C1156Y unknown) is not a candidate
    assert calls["alectinib"].drug_class == "unknown"


def test_progressed_drugs_rank_down_unless_resensitised(synthetic_kb):
    report = lookup_report(synthetic_kb, "C1156Y+L1198F",
                           make_context(synthetic_kb, ["crizotinib", "lorlatinib"]))
    crizotinib = next(c for c in report.candidates if c.drugs == ("crizotinib",))
    assert "re-sensitise" in crizotinib.rationale
    assert "lorlatinib" in argued(report)
    # L1196M is covered by alectinib, but the tumour progressed on alectinib now
    report = run(synthetic_kb, [alk("L1196M")], ["alectinib"])
    assert ("alectinib",) not in drugs_of(report) and "alectinib" in argued(report)
    assert report.candidates[0].drugs in (("lorlatinib",), ("brigatinib",))


def test_unknown_phase_shows_both_readings(synthetic_kb):
    report = run(synthetic_kb, [alk("L1196M"), alk("G1202R")], ["alectinib"])
    assert report.compounds[0].phase == "unknown"
    assert any("depends on whether they are in cis" in w for w in report.warnings)
    lorlatinib = next(c for c in report.candidates if c.drugs == ("lorlatinib",))
    assert lorlatinib.reading == "trans"  # covers the clones, not the cis compound
    # neladalkib has compound evidence but none for L1196M alone: it covers the cis reading only
    neladalkib = next(c for c in report.candidates if c.drugs == ("neladalkib",))
    assert neladalkib.reading == "cis"


def test_bypass_adds_matched_therapy_and_argues_against_tki_alone(synthetic_kb):
    met = Alteration(gene="MET", kind="amplification", copy_number=14, label="amplification")
    report = run(synthetic_kb, [met], ["alectinib", "lorlatinib"], progression="systemic")
    assert report.mechanism_class == "bypass"
    first = report.candidates[0]
    assert set(first.drugs) & {"crizotinib", "capmatinib"}
    assert any(c.category == "combination" for c in report.candidates)
    assert any("ALK TKI alone" in n.therapy for n in report.not_recommended)


def test_transformation_switches_to_histology_chemotherapy(synthetic_kb):
    report = run(synthetic_kb, [], ["alectinib"], histology="small-cell")
    assert report.mechanism_class == "transformation"
    assert report.candidates[0].drugs == ("carboplatin", "cisplatin", "etoposide")


def test_nothing_after_lorlatinib_platinum_pemetrexed_leads(synthetic_kb):
    report = run(synthetic_kb, [], ["alectinib", "lorlatinib"], progression="systemic")
    assert report.mechanism_class == "none_found"
    assert report.candidates[0].drugs == ("carboplatin", "cisplatin", "pemetrexed")
    assert report.candidates[0].evidence_level == "A"
    assert any(c.category == "chemo_immunotherapy" for c in report.candidates)
    assert {"pembrolizumab", "nivolumab"} <= argued(report)
    assert "lorlatinib" in argued(report)  # no continuation in systemic progression
    assert any("Re-biopsy" in a for a in report.advice)


def test_oligoprogression_local_therapy_first(synthetic_kb):
    report = run(synthetic_kb, [], ["alectinib", "lorlatinib"], progression="oligo")
    first = report.candidates[0]
    assert first.category == "local_therapy" and first.drugs == ("lorlatinib",)


def test_guideline_sequencing_without_mutation(synthetic_kb):
    after_2g = run(synthetic_kb, [], ["alectinib"])
    assert after_2g.candidates[0].drugs == ("lorlatinib",)
    assert any(c.drugs == ("carboplatin", "cisplatin", "pemetrexed") for c in after_2g.candidates)
    after_1g = run(synthetic_kb, [], ["crizotinib"])
    assert {("alectinib",), ("brigatinib",), ("ceritinib",)} <= set(drugs_of(after_1g))


def test_plasma_negative_advises_tissue(synthetic_kb):
    report = run(synthetic_kb, [], ["lorlatinib"], specimen="plasma")
    assert any("tissue re-biopsy" in a for a in report.advice)


def test_alk_outside_kinase_domain_is_not_a_resistance_mutation(synthetic_kb):
    report = run(synthetic_kb, [alk("R1275Q")], ["alectinib"])
    assert report.findings[0].role == "alk_kinase_domain"  # 1275 is inside 1116-1392
    report = run(synthetic_kb, [alk("D1529E")], ["alectinib"])
    assert report.findings[0].role == "alk_other"
    assert any("outside the kinase domain" in w for w in report.warnings)


def test_nf2_truncation_counts_as_loss(synthetic_kb):
    nf2 = Alteration(gene="NF2", kind="mutation", protein_change=parse_protein_change("R57*")[1])
    report = run(synthetic_kb, [nf2], ["lorlatinib"])
    assert report.findings[0].mechanism == "nf2_loss"
    assert report.mechanism_class == "bypass"


def test_lookup_rejects_other_genes_and_bad_residues(synthetic_kb):
    with pytest.raises(ParseError, match="names KRAS"):
        lookup_report(synthetic_kb, "KRAS:G12C")
    with pytest.raises(ParseError, match="residue 1202"):
        lookup_report(synthetic_kb, "A1202R")
    with pytest.raises(ParseError, match="outside the ALK kinase domain"):
        lookup_report(synthetic_kb, "D1529E")
