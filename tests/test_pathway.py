"""The whole ALK treatment pathway on the shipped knowledge base: a grid of cases, and cases
built from the guideline and seed statements (each test names its source).

Assertions are on facts (drugs, roles, options, evidence fields), never on wording.
"""
import itertools

import pytest

from alkseq.api import make_context
from alkseq.genome.protein import parse_protein_change
from alkseq.interpret import interpret
from alkseq.knowledge import load_knowledge
from alkseq.model import Alteration, Compound, PhaseEvidence


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


FUSION = Alteration(gene="ALK", kind="fusion", partner="EML4", label="EML4-ALK")


def alk(short):
    return Alteration(gene="ALK", kind="mutation", protein_change=parse_protein_change(short)[1])


def mut(gene, short):
    return Alteration(gene=gene, kind="mutation", protein_change=parse_protein_change(short)[1])


def amp(gene, cn=12.0):
    return Alteration(gene=gene, kind="amplification", copy_number=cn)


def cis(*shorts):
    return Compound(tuple(parse_protein_change(s)[1] for s in shorts), "cis",
                    PhaseEvidence("user", detail="test"))


NF2_LOSS = Alteration(gene="NF2", kind="loss", label="loss")
EMT = Alteration(gene="", kind="phenotype", label="EMT")

HISTORIES = {
    "none": [],
    "chemotherapy only": ["carboplatin+pemetrexed"],
    "crizotinib": ["crizotinib"],
    "alectinib": ["alectinib"],
    "brigatinib": ["brigatinib"],
    "ceritinib": ["ceritinib"],
    "ensartinib": ["ensartinib"],
    "crizotinib, alectinib": ["crizotinib", "alectinib"],
    "crizotinib, brigatinib": ["crizotinib", "brigatinib"],
    "crizotinib, ceritinib": ["crizotinib", "ceritinib"],
    "alectinib, crizotinib": ["alectinib", "crizotinib"],
    "alectinib, lorlatinib": ["alectinib", "lorlatinib"],
    "crizotinib, alectinib, lorlatinib": ["crizotinib", "alectinib", "lorlatinib"],
    "after next-generation": ["alectinib", "lorlatinib", "neladalkib"],
}
# (alterations, compounds)
FINDINGS = {
    "nothing": ([FUSION], ()),
    "G1202R": ([FUSION, alk("G1202R")], ()),
    "L1196M": ([FUSION, alk("L1196M")], ()),
    "I1171N": ([FUSION, alk("I1171N")], ()),
    "C1156Y": ([FUSION, alk("C1156Y")], ()),
    "G1269A": ([FUSION, alk("G1269A")], ()),
    "uncurated kinase mutation": ([FUSION, alk("A1300V")], ()),
    "L1196M+G1202R cis": ([FUSION, alk("L1196M"), alk("G1202R")], (cis("L1196M", "G1202R"),)),
    "G1202R, L1196M phase unknown": ([FUSION, alk("G1202R"), alk("L1196M")], ()),
    "C1156Y+L1198F cis": ([FUSION, alk("C1156Y"), alk("L1198F")], (cis("C1156Y", "L1198F"),)),
    "I1171N+F1174I cis": ([FUSION, alk("I1171N"), alk("F1174I")], (cis("I1171N", "F1174I"),)),
    "ALK amplification": ([FUSION, amp("ALK")], ()),
    "MET amplification": ([FUSION, amp("MET")], ()),
    "KRAS G12C": ([FUSION, mut("KRAS", "G12C")], ()),
    "KRAS G12D": ([FUSION, mut("KRAS", "G12D")], ()),
    "NF2 loss": ([FUSION, NF2_LOSS], ()),
    "PIK3CA E545K": ([FUSION, mut("PIK3CA", "E545K")], ()),
    "KIT amplification": ([FUSION, amp("KIT")], ()),
    "EMT": ([FUSION, EMT], ()),
    "BRAF V600E": ([FUSION, mut("BRAF", "V600E")], ()),
    "MET amplification + G1202R": ([FUSION, amp("MET"), alk("G1202R")], ()),
    "NF2 loss + G1202R": ([FUSION, NF2_LOSS, alk("G1202R")], ()),
}
PROGRESSION = [None, "oligo", "systemic", "cns"]
HISTOLOGY = [None, "adenocarcinoma", "squamous", "small-cell"]
SPECIMEN = ["tissue", "plasma"]


def run(kb, findings, prior=(), **context):
    alterations, compounds = FINDINGS[findings] if isinstance(findings, str) else findings
    return interpret(alterations, make_context(kb, prior, **context), kb, compounds=compounds)


def key(drugs, therapy):
    return tuple(sorted(drugs)) if drugs else (therapy,)


def ranked(report):
    return [c.drugs for c in report.candidates]


def argued(report):
    return {key(n.drugs, n.therapy) for n in report.not_recommended}


def _grid():
    cases = []
    for n, (h, f, p) in enumerate(itertools.product(HISTORIES, FINDINGS, PROGRESSION)):
        cases.append((h, f, p, HISTOLOGY[n % len(HISTOLOGY)], SPECIMEN[(n // 4) % 2]))
    return cases


def test_grid_never_empty_never_contradictory(kb):
    """history × finding × progression, histology and specimen cycled through (1,232 cases)."""
    problems = []
    for history, finding, progression, histology, specimen in _grid():
        where = f"{history} | {finding} | {progression} | {histology} | {specimen}"
        r = run(kb, finding, HISTORIES[history], progression=progression, histology=histology,
                specimen=specimen)
        if not r.candidates:
            problems.append(f"{where}: no candidate")
            continue
        if not any(c.option == "standard" for c in r.candidates):
            problems.append(f"{where}: no standard option ranked")
        against = argued(r)
        prior_tkis = {d for d in r.context.prior_therapies if kb.is_alk_tki(d)}
        calls = {m.drug: m for m in r.matrix}
        current = next((d for d in reversed(r.context.prior_therapies) if kb.is_alk_tki(d)), None)
        for c in r.candidates:
            if not c.citations or not c.rationale:
                problems.append(f"{where}: {c.therapy} has no source")
            if c.category == "local_therapy":
                continue  # continuing the current TKI beside local therapy is the point of it
            if key(c.drugs, c.therapy) in against:
                problems.append(f"{where}: {c.therapy} ranked and argued against")
            roles = dict(c.roles)
            for drug in set(c.drugs) & prior_tkis:
                if roles.get(drug) == "mechanism_directed" and drug != current:
                    continue  # e.g. crizotinib for a MET amplification acquired later
                if len(c.drugs) > 1 and "mechanism_directed" in roles.values():
                    continue  # the mechanism-directed partner addresses why it failed
                # direct (not inferred) evidence that the units of its reading are sensitive
                call = calls.get(drug)
                if drug == current or call is None or call.drug_class == "resistant" and \
                        not c.reading or c.coverage_evidence in ("", "none", "inferred"):
                    problems.append(f"{where}: {c.therapy} re-offers {drug} without "
                                    "re-sensitisation evidence")
            if c.recommendation_strength not in ("guideline", "trial", "cohort", "case",
                                                 "preclinical", "expert"):
                problems.append(f"{where}: {c.therapy} strength {c.recommendation_strength}")
        for n in r.not_recommended:
            if not n.citations:
                problems.append(f"{where}: argument against {n.therapy} has no source")
        top = r.candidates[0]
        if top.category != "local_therapy" and len(top.drugs) == 1 and \
                kb.is_alk_tki(top.drugs[0]) and \
                any(n.therapy.startswith("Switching to another ALK TKI alone")
                    for n in r.not_recommended):
            problems.append(f"{where}: an ALK TKI alone ranks first while argued against")
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:40])


# -- first line ------------------------------------------------------------------------------
def test_first_line_asco_2022(kb):
    """ASCO 2022 living guideline (PMID:35816666): untreated → alectinib, brigatinib or
    lorlatinib; ceritinib or crizotinib only if those are unavailable."""
    r = run(kb, "nothing")
    top = {c.drugs[0] for c in r.candidates if c.option == "standard"}
    assert top == {"alectinib", "brigatinib", "lorlatinib"}
    assert {c.drugs for c in r.candidates[:3]} == {("alectinib",), ("brigatinib",), ("lorlatinib",)}
    for c in r.candidates[:3]:
        assert c.recommendation_strength == "guideline" and c.evidence_level == "A"
        assert any(s.source == "PMID:35816666" for s in c.citations)
    fallback = [c for c in r.candidates if c.drugs in (("ceritinib",), ("crizotinib",))]
    assert len(fallback) == 2 and all(c.option == "alternative" and c.rank > 3 for c in fallback)
    assert r.history.setting == "tki_naive" and r.history.next_line == 1


def test_first_line_with_cns_disease(kb):
    """Seed talk (ALEX CNS ORR 78.6% vs 40%; CROWN CNS CR 71%): CNS disease at first line keeps
    alectinib/brigatinib/lorlatinib first and says why."""
    r = run(kb, "nothing", progression="cns")
    assert {c.drugs for c in r.candidates[:3]} == {("alectinib",), ("brigatinib",), ("lorlatinib",)}
    assert any("78.6%" in a for a in r.advice)


def test_after_first_line_chemotherapy_one_line(kb):
    """PROFILE 1007 (via PROFILE 1014's introduction) + ASCO 2022: TKI-naive after chemotherapy
    still gets an ALK TKI; a doublet is one line."""
    r = run(kb, "nothing", ["carboplatin+pemetrexed"])
    assert r.context.lines == (("carboplatin", "pemetrexed"),)
    assert r.history.setting == "tki_naive" and r.history.chemotherapy_given
    assert r.history.next_line == 2
    assert {c.drugs for c in r.candidates[:3]} == {("alectinib",), ("brigatinib",), ("lorlatinib",)}
    assert all(c.recommendation_strength == "trial" for c in r.candidates[:3])
    assert not any("two successive lines" in w for w in r.warnings)


def test_doublet_written_as_two_priors_is_flagged(kb):
    r = run(kb, "nothing", ["carboplatin", "pemetrexed"])
    assert r.context.lines == (("carboplatin",), ("pemetrexed",))
    assert any("carboplatin+pemetrexed" in w for w in r.warnings)


def test_samplesheet_style_lines(kb):
    context = make_context(kb, ["alectinib;carboplatin+pemetrexed;lorlatinib"])
    assert context.lines == (("alectinib",), ("carboplatin", "pemetrexed"), ("lorlatinib",))
    assert context.prior_therapies == ("alectinib", "carboplatin", "pemetrexed", "lorlatinib")


# -- after crizotinib ------------------------------------------------------------------------
def test_after_crizotinib_second_generation(kb):
    """ASCO/OH Rec 4.2 (strong): after 1L crizotinib offer alectinib, brigatinib or ceritinib."""
    r = run(kb, "nothing", ["crizotinib"])
    assert r.history.setting == "after_1g"
    standard = {c.drugs for c in r.candidates if c.option == "standard"}
    assert {("alectinib",), ("brigatinib",), ("ceritinib",)} <= standard
    assert ("crizotinib",) not in ranked(r)


def test_alk_amplification_after_crizotinib(kb):
    """Doebele 2012 (ALK amplification in crizotinib resistance) + Gainor 2016 (2G TKIs work
    after crizotinib without ALK mutations): a second-generation TKI, never an empty list."""
    r = run(kb, "ALK amplification", ["crizotinib"])
    assert r.mechanism_class == "alk_dependent"
    assert {("alectinib",), ("brigatinib",), ("ceritinib",)} <= set(ranked(r)[:3])


def test_g1202r_after_crizotinib_lorlatinib(kb):
    """Seed talk: G1202R resists all approved ALK TKIs except lorlatinib."""
    r = run(kb, "G1202R", ["crizotinib"])
    assert r.candidates[0].drugs == ("lorlatinib",)
    assert {("alectinib",), ("ceritinib",)} <= argued(r)


# -- after a second-generation TKI, at any position ------------------------------------------
def test_alectinib_then_crizotinib_is_after_second_generation(kb):
    """EMA lorlatinib indication / ASCO Rec 4.1: a 2G TKI anywhere in the history."""
    r = run(kb, "nothing", ["alectinib", "crizotinib"])
    assert r.history.setting == "after_2g"
    assert [t[0] for t in r.history.alk_tkis] == ["alectinib", "crizotinib"]
    assert ("lorlatinib",) in ranked(r)[:2]


def test_after_alectinib_no_mutation_lorlatinib_or_chemotherapy(kb):
    """Wu 2024 (seed 003) and Lin 2022 (PMID:35498380): without a mutation chemotherapy and
    lorlatinib are comparable; both standard."""
    r = run(kb, "nothing", ["alectinib"], progression="systemic")
    standard = [c for c in r.candidates if c.option == "standard"]
    assert ("lorlatinib",) in [c.drugs for c in standard]
    assert any(c.category == "chemotherapy" for c in standard)
    assert any("IMpower150" in c.therapy for c in r.candidates)


# -- the combination case --------------------------------------------------------------------
def test_met_amplification_with_g1202r_combination_ranks_first(kb):
    """Dagogo-Jack 2020 (therapies targeting both ALK and MET) + seed talk (crizotinib +
    lorlatinib): the ALK-directed part covers G1202R, crizotinib is there for MET."""
    r = run(kb, "MET amplification + G1202R", ["alectinib"], progression="systemic")
    combo = next(c for c in r.candidates if set(c.drugs) == {"lorlatinib", "crizotinib"})
    assert dict(combo.roles) == {"lorlatinib": "alk_directed", "crizotinib": "mechanism_directed"}
    assert combo.rank == 1
    alone = next(c for c in r.candidates if c.drugs == ("lorlatinib",))
    assert combo.rank < alone.rank
    assert ("crizotinib",) not in ranked(r)  # crizotinib alone does not cover G1202R
    assert ("crizotinib", "lorlatinib") not in argued(r)
    assert not any(n.therapy.startswith("Switching to another ALK TKI alone")
                   for n in r.not_recommended)


def test_met_amplification_after_lorlatinib_matched_then_standard(kb):
    r = run(kb, "MET amplification", ["alectinib", "lorlatinib"], progression="systemic")
    assert "crizotinib" in r.candidates[0].drugs
    chemo = next(c for c in r.candidates if c.category == "chemotherapy")
    assert chemo.option == "standard"


# -- bypass without a matched drug after lorlatinib -------------------------------------------
@pytest.mark.parametrize("finding,cls", [("NF2 loss", "mtor_inhibitor"),
                                         ("PIK3CA E545K", "mechanism_directed_trial")])
def test_bypass_without_drug_after_lorlatinib(kb, finding, cls):
    """Recondo 2020 (seed 002: NF2 loss → mTOR inhibitors, none named) and the off-target
    review table (PMC8448518 T1: PIK3CA '-'): standard chemotherapy ranks first; the
    mechanism-directed approach is a class-level trial option."""
    r = run(kb, finding, ["alectinib", "lorlatinib"], progression="systemic")
    assert r.candidates[0].category == "chemotherapy" and r.candidates[0].option == "standard"
    assert any("IMpower150" in c.therapy for c in r.candidates)
    option = next(c for c in r.candidates if c.therapy_class == cls)
    assert option.option == "trial" and option.agents_named == () and option.drugs == ()
    assert any(n.therapy.startswith("Switching to another ALK TKI alone")
               for n in r.not_recommended)


def test_emt_from_a_panel_word(kb, tmp_path):
    """Recondo 2020: EMT → dual SRC and ALK inhibition (no agent named)."""
    from alkseq.api import annotate

    panel = tmp_path / "emt.tsv"
    panel.write_text("sample\tgene\talteration\tvaf\nP1\tALK\tEML4-ALK fusion\t\nP1\t\tEMT\t\n")
    (r,) = annotate(panel, ["alectinib", "lorlatinib"], progression="systemic")
    assert any(f.mechanism == "emt" for f in r.findings)
    src = next(c for c in r.candidates if c.therapy_class == "src_inhibitor")
    assert src.option == "trial" and src.agents_named == ()
    assert r.candidates[0].category == "chemotherapy"


# -- ALK compounds after lorlatinib ----------------------------------------------------------
def test_compound_after_lorlatinib_chemotherapy_and_next_generation_trial(kb):
    """Seed talk (L1196M+G1202R resists all approved TKIs; 'TPX-0131? NVL-655?') and Ou 2021
    (double-mutant-active TKIs): chemotherapy first, next-generation agents as trials."""
    r = run(kb, "L1196M+G1202R cis", ["alectinib", "lorlatinib"], progression="systemic")
    assert r.candidates[0].category == "chemotherapy" and r.candidates[0].option == "standard"
    nextgen = next(c for c in r.candidates if c.therapy_class == "next_gen_alk_tki")
    assert set(nextgen.agents_named) == {"neladalkib", "tpx-0131"} and nextgen.option == "trial"
    assert nextgen.coverage_evidence in ("none", "preclinical", "review", "clinical")
    assert ("lorlatinib",) not in ranked(r)


def test_i1171n_compound_gilteritinib_trial(kb):
    """Mizuta 2021 (seed talk): I1171N compounds resist approved TKIs; gilteritinib
    (preclinical) as a trial option."""
    r = run(kb, "I1171N+F1174I cis", ["alectinib", "lorlatinib"], progression="systemic")
    gilt = next(c for c in r.candidates if "gilteritinib" in c.drugs)
    assert gilt.option == "trial"
    assert r.candidates[0].category == "chemotherapy"


def test_after_next_generation_agent(kb):
    r = run(kb, "nothing", ["alectinib", "lorlatinib", "neladalkib"], progression="systemic")
    assert r.history.setting == "after_next"
    chemo = r.candidates[0]
    assert chemo.category == "chemotherapy" and chemo.recommendation_strength == "expert"
    assert not any("neladalkib" in c.drugs for c in r.candidates)


def test_inferred_coverage_stays_beside_the_standard(synthetic_kb):
    """Issue 12 item 5: alectinib covers L1196M+G1269A only by inference from its parts."""
    r = interpret([alk("L1196M"), alk("G1269A")],
                  make_context(synthetic_kb, ["crizotinib", "lorlatinib"], progression="systemic"),
                  synthetic_kb, compounds=(cis("L1196M", "G1269A"),))
    inferred = next(c for c in r.candidates if c.drugs == ("alectinib",))
    assert inferred.inferred and inferred.coverage_evidence == "inferred"
    chemo = next(c for c in r.candidates if c.category == "chemotherapy")
    assert chemo.option == "standard" and chemo.rank < inferred.rank


def test_two_evidence_fields_are_separate(kb):
    """Lorlatinib after alectinib for G1202R: the line's recommendation is a guideline; the
    evidence that it covers G1202R is its own field."""
    r = run(kb, "G1202R", ["alectinib"])
    lorl = r.candidates[0]
    assert lorl.drugs == ("lorlatinib",)
    assert lorl.recommendation_strength == "guideline"
    assert lorl.coverage_evidence not in ("", "guideline", None)


# -- more vignettes from the sources -----------------------------------------------------------
def test_i1171t_after_alectinib_ceritinib(kb):
    """Katayama 2014 (CIViC EID 1284): I1171T after alectinib responded to ceritinib."""
    r = run(kb, ([FUSION, alk("I1171T")], ()), ["alectinib"], progression="systemic")
    assert ("ceritinib",) in ranked(r)[:3]
    assert ("alectinib",) in argued(r)


def test_c1156y_l1198f_after_lorlatinib_crizotinib_resensitised(kb):
    """Shaw 2016 NEJM (seed talk): C1156Y+L1198F after lorlatinib re-sensitises to crizotinib."""
    r = run(kb, "C1156Y+L1198F cis", ["crizotinib", "ceritinib", "lorlatinib"],
            progression="systemic")
    crizotinib = next(c for c in r.candidates if c.drugs == ("crizotinib",))
    assert crizotinib.rank <= 2 and crizotinib.coverage_evidence not in ("none", "inferred")
    assert ("lorlatinib",) in argued(r)


@pytest.mark.parametrize("histology,regimen", [("small-cell", "etoposide"),
                                                ("squamous", "paclitaxel")])
def test_transformation_after_lorlatinib(kb, histology, regimen):
    """Wu 2024 / WJSO 2025: transformation calls for the histology's chemotherapy, not another
    ALK TKI alone (and not platinum-pemetrexed)."""
    r = run(kb, "nothing", ["alectinib", "lorlatinib"], histology=histology, progression="systemic")
    assert regimen in r.candidates[0].drugs and r.candidates[0].option == "standard"
    assert not any("pemetrexed" in c.drugs for c in r.candidates)
    assert any(n.therapy.startswith("Switching to another ALK TKI alone") for n in r.not_recommended)


def test_oligoprogression_local_therapy_then_the_line(kb):
    """Wu 2024: local therapy extended the prior TKI by ~6.4 months; the systemic line stays."""
    r = run(kb, "nothing", ["alectinib"], progression="oligo")
    assert r.candidates[0].category == "local_therapy" and r.candidates[0].drugs == ("alectinib",)
    assert ("lorlatinib",) in ranked(r)


def test_plasma_negative_after_lorlatinib(kb):
    """Seed 000: a negative plasma test → tissue re-biopsy; platinum-pemetrexed still ranked."""
    r = run(kb, "nothing", ["alectinib", "lorlatinib"], specimen="plasma", progression="systemic")
    assert any("tissue re-biopsy" in a for a in r.advice)
    assert r.candidates[0].category == "chemotherapy"


def test_cns_only_progression_on_crizotinib(kb):
    """Wu 2024 Discussion: CNS-only progression on crizotinib → a 2G TKI with CNS penetration."""
    r = run(kb, "nothing", ["crizotinib"], progression="cns")
    assert {("alectinib",), ("brigatinib",)} <= set(ranked(r)[:3])
    assert any("CNS" in a for a in r.advice)


def test_kras_g12c_after_lorlatinib_standard_first(kb):
    """Off-target table (PMC8448518 T1): sotorasib for KRAS G12C rests on a review table only,
    so it follows the line's standard."""
    r = run(kb, "KRAS G12C", ["alectinib", "lorlatinib"], progression="systemic")
    assert r.candidates[0].category == "chemotherapy"
    soto = next(c for c in r.candidates if c.drugs == ("sotorasib",))
    assert soto.option == "mechanism_directed" and soto.recommendation_strength == "expert"


def test_g1269a_alectinib_conflict_is_shown(kb):
    """Issue 12 item 7: G1269A × alectinib, a cell-line call against a review table: the
    argument or candidate names both sides."""
    r = run(kb, "G1269A", ["crizotinib"], progression="systemic")
    texts = [n.reason for n in r.not_recommended if "alectinib" in n.drugs] + \
        [c.rationale for c in r.candidates if "alectinib" in c.drugs]
    assert texts and any("conflicting" in t for t in texts)
