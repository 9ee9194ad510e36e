"""HGVS protein-change parsing: every accepted spelling, and refusal of everything else."""
import pytest

from alkseq.errors import ParseError
from alkseq.genome.protein import normalise_on_sequence, parse_protein_change
from alkseq.model import ProteinChange


@pytest.mark.parametrize("text,gene,short,hgvs", [
    ("G1202R", None, "G1202R", "p.Gly1202Arg"),
    ("p.G1202R", None, "G1202R", "p.Gly1202Arg"),
    ("p.Gly1202Arg", None, "G1202R", "p.Gly1202Arg"),
    ("ALK:p.(Gly1202Arg)", "ALK", "G1202R", "p.Gly1202Arg"),
    ("ALK G1202R", "ALK", "G1202R", "p.Gly1202Arg"),
    ("p.(G1202R)", None, "G1202R", "p.Gly1202Arg"),
    ("p.gly1202arg", None, "G1202R", "p.Gly1202Arg"),
    ("NM_004304.5:p.Gly1202Arg", None, "G1202R", "p.Gly1202Arg"),
    ("G1202del", None, "G1202del", "p.Gly1202del"),
    ("T1151dup", None, "T1151dup", "p.Thr1151dup"),
    ("E746_A750del", None, "E746_A750del", "p.Glu746_Ala750del"),
    ("T1151_L1152insT", None, "T1151_L1152insT", "p.Thr1151_Leu1152insThr"),
    ("L747_P753delinsS", None, "L747_P753delinsS", "p.Leu747_Pro753delinsSer"),
    ("S1982fs*22", None, "S1982fs", "p.Ser1982fsTer22"),
    ("p.Ser1982AlafsTer22", None, "S1982fs", "p.Ser1982AlafsTer22"),
    ("Q61*", None, "Q61*", "p.Gln61Ter"),
    ("p.Arg273Ter", None, "R273*", "p.Arg273Ter"),
    ("G12=", None, "G12=", "p.Gly12="),
])
def test_accepted_spellings(text, gene, short, hgvs):
    found_gene, change = parse_protein_change(text)
    assert found_gene == gene
    assert change.short == short
    assert change.hgvs == hgvs


@pytest.mark.parametrize("text", [
    "", "G1202", "1202R", "foo", "G0R", "p.G1202RR", "Q61X", "I1171X", "G1202R)", "p.(",
    "E746_A740del", "T1151insT", "G1202delR", "p.Gly1202", "ALK::G1202R", "G" * 300,
])
def test_bad_strings_are_parse_errors(text):
    with pytest.raises(ParseError):
        parse_protein_change(text)


def test_truncating_kinds():
    assert parse_protein_change("Q61*")[1].is_truncating
    assert parse_protein_change("S1982fs")[1].is_truncating
    assert not parse_protein_change("G12C")[1].is_truncating


PROTEIN = "MSTTAGG" + "A" * 10  # residues 1..17; T at 3 and 4, G at 6 and 7


def test_legacy_insertion_becomes_duplication_on_the_3prime_residue():
    _, change = parse_protein_change("3Tins")
    assert change.kind == "insertion"
    normalised = normalise_on_sequence(change, PROTEIN, "TEST")
    assert normalised.kind == "duplication"
    assert normalised.short == "T4dup"  # HGVS: the 3'-most residue of the repeat


def test_wrong_reference_residue_is_an_error_not_a_silent_call():
    with pytest.raises(ParseError, match="residue 6 of TEST is Gly"):
        normalise_on_sequence(ProteinChange("missense", 6, "A", "R"), PROTEIN, "TEST")
    with pytest.raises(ParseError, match="outside"):
        normalise_on_sequence(ProteinChange("missense", 99, "A", "R"), PROTEIN, "TEST")


def test_real_alk_residues(synthetic_kb):
    """On the shipped ALK protein: 1151Tins is T1151dup, G1202 is a glycine."""
    protein = synthetic_kb.alk_protein
    assert protein[1201] == "G" and protein[1150] == "T"
    change = normalise_on_sequence(parse_protein_change("1151Tins")[1], protein)
    assert change.short == "T1151dup"
    with pytest.raises(ParseError):
        normalise_on_sequence(parse_protein_change("A1202R")[1], protein)
