"""Offline genomic → protein translation on ALK NM_004304.5 (shipped window, both builds)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import shared_path
from alkseq.genome.transcript import (BUILDS, ShippedSequence, alk_protein, gene_spans, hotspots,
                                      load_transcript, normalise_build)
from alkseq.genome.translate import (left_align, merge_substitutions, revcomp, translate_dna,
                                     translate_variant, trim_alleles)
from alkseq.errors import UsageError

TRUTH = Path(__file__).resolve().parents[2] / "shared" / "genome" / "alk_resistance_truth_grch37_grch38.tsv"

# A few rows written for this project (GRCh38 = GRCh37 - 222,866 across ALK), so the suite
# runs without ../shared: (protein, hgvs_c, grch37_pos, grch38_pos, ref, alt)
SMALL_TRUTH = [
    ("G1202R", "NM_004304.5:c.3604G>A", 29443613, 29220747, "C", "T"),
    ("L1196M", "NM_004304.5:c.3586C>A", 29443631, 29220765, "G", "T"),
    ("C1156Y", "NM_004304.5:c.3467G>A", 29445258, 29222392, "C", "T"),
    ("I1171N", "NM_004304.5:c.3512T>A", 29445213, 29222347, "A", "T"),
    ("G1202del", "NM_004304.5:c.3605_3607del", 29443609, 29220743, "TCTC", "T"),
]


def _translate(build, pos, ref, alt):
    return translate_variant(load_transcript("ALK", build), ShippedSequence(build), alk_protein(), pos, ref, alt)


def truth_rows():
    if not TRUTH.is_file():
        return []
    lines = [line for line in TRUTH.read_text().splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("row", SMALL_TRUTH, ids=[r[0] for r in SMALL_TRUTH])
def test_small_truth(build, row):
    protein, hgvs_c, pos37, pos38, ref, alt = row
    result = _translate(build, pos37 if build == "GRCh37" else pos38, ref, alt)
    assert result.protein_change.short == protein
    assert result.hgvs_c == hgvs_c


@pytest.mark.parametrize("build", BUILDS)
def test_shared_truth_every_variant(build):
    shared_path("genome", "alk_resistance_truth_grch37_grch38.tsv")
    rows = truth_rows()
    assert rows
    for row in rows:
        pos = int(row["grch37_pos" if build == "GRCh37" else "grch38_pos"])
        result = _translate(build, pos, row["ref"], row["alt"])
        assert result.protein_change is not None, row
        assert "p." + result.protein_change.short == row["protein"], row
        assert result.hgvs_c == row["hgvs_c"].split()[0], row
    assert len(rows) >= 30


@pytest.mark.parametrize("build", BUILDS)
def test_every_shipped_codon_translates_to_the_protein(build):
    """The shipped sequence and the protein agree across codons 1059-1388 (synonymous self-check)."""
    tx, seq, protein = load_transcript("ALK", build), ShippedSequence(build), alk_protein()
    assert len(protein) == 1620
    cds = "".join(revcomp(seq.fetch("2", tx.genomic_of(c), tx.genomic_of(c))) for c in range(3175, 4165))
    assert translate_dna(cds) == protein[1058:1388]


def _codon_positions(build, codon):
    tx = load_transcript("ALK", build)
    first = (codon - 1) * 3 + 1
    return [tx.genomic_of(c) for c in (first, first + 1, first + 2)]


def test_mnv_in_one_codon_is_one_change():
    g1, g2, _ = _codon_positions("GRCh38", 1202)  # GGA, minus strand: g1 > g2
    seq = ShippedSequence("GRCh38")
    ref = seq.fetch("2", g2, g1)
    assert ref == "CC"
    result = _translate("GRCh38", g2, ref, "TT")  # GGA -> AAA
    assert result.protein_change.short == "G1202K"
    block = merge_substitutions("2", [(g1, "C", "T"), (g2, "C", "T")], seq)
    assert _translate("GRCh38", *block).protein_change.short == "G1202K"


def test_two_codon_mnv_is_delins():
    a = _codon_positions("GRCh38", 1202)[2]
    b = _codon_positions("GRCh38", 1203)[0]
    seq = ShippedSequence("GRCh38")
    ref = seq.fetch("2", b, a)
    alt = "".join({"A": "C", "C": "A", "G": "T", "T": "G"}[x] for x in ref)
    change = _translate("GRCh38", b, ref, alt).protein_change
    assert change.kind in ("delins", "missense")


def test_t1151dup_from_an_insertion_anywhere_in_the_repeat():
    build = "GRCh38"
    seq = ShippedSequence(build)
    g1, _, g3 = _codon_positions(build, 1151)
    anchor = seq.fetch("2", g3 - 1, g3 - 1)
    result = _translate(build, g3 - 1, anchor, anchor + seq.fetch("2", g3, g1))
    assert result.protein_change.short == "T1151dup"
    assert result.protein_change.hgvs == "p.Thr1151dup"
    assert result.hgvs_c == "NM_004304.5:c.3451_3453dup"


def test_g1202del_any_representation_gives_the_3prime_residue():
    seq = ShippedSequence("GRCh38")
    g1, g2, g3 = _codon_positions("GRCh38", 1202)
    # delete c.3604_3606 (GGA) written at its left genomic position with an anchor base
    anchor = seq.fetch("2", g3 - 1, g3 - 1)
    deleted = seq.fetch("2", g3, g1)
    result = _translate("GRCh38", g3 - 1, anchor + deleted, anchor)
    assert result.protein_change.short == "G1202del"
    assert result.protein_change.hgvs == "p.Gly1202del"


def test_frameshift_names_first_changed_residue_and_stop():
    seq = ShippedSequence("GRCh38")
    _, g2, _ = _codon_positions("GRCh38", 1202)
    bases = seq.fetch("2", g2 - 1, g2)
    result = _translate("GRCh38", g2 - 1, bases, bases[0])
    change = result.protein_change
    assert change.kind == "frameshift" and change.start == 1202 and change.ref == "G"
    assert change.fs_stop is not None and change.hgvs.startswith("p.Gly1202") and "fsTer" in change.hgvs


def test_nonsense_and_synonymous():
    g1 = _codon_positions("GRCh38", 1202)[0]  # c.3604 G (plus strand C)
    assert _translate("GRCh38", g1, "C", "A").protein_change.short == "G1202*"
    g3 = _codon_positions("GRCh38", 1202)[2]  # GGA -> GGG
    assert _translate("GRCh38", g3, "T", "C").protein_change.kind == "synonymous"


def test_outside_window_has_no_change_but_says_why():
    tx = load_transcript("ALK", "GRCh38")
    pos = tx.genomic_of(1200)  # exon 4, not shipped
    result = _translate("GRCh38", pos, "A", "G")
    assert result.coding and result.protein_change is None and "fasta" in result.reason.lower()


def test_intronic_is_not_coding():
    assert _translate("GRCh38", 29383000, "A", "G").region == "intron"


def test_exon_locations_and_builds():
    tx38 = load_transcript("ALK", "GRCh38")
    assert tx38.locate(29225011) == ("intron", 19)
    assert tx38.locate(29223528) == ("exon", 20)
    eml4 = load_transcript("EML4", "GRCh38")
    assert eml4.locate(42299403) == ("intron", 13)
    tx37 = load_transcript("ALK", "GRCh37")
    assert tx37.locate(29446394) == ("exon", 20)
    assert normalise_build("hg19") == "GRCh37" and normalise_build("b37") == "GRCh37"
    assert normalise_build("hg38") == "GRCh38"
    with pytest.raises(UsageError):
        normalise_build("hg17")
    assert {s.gene for s in gene_spans("GRCh38")} >= {"ALK", "EML4", "MET", "KRAS", "BRAF", "NF2", "EGFR"}


def test_hotspot_table_uses_mane_numbering_for_met():
    table = hotspots("GRCh38")
    assert table[("7", 116783360, "A", "G")].protein == "p.Y1230C"
    assert table[("12", 25245350, "C", "A")].protein == "p.G12V"
    assert table[("7", 140753336, "A", "T")].protein == "p.V600E"


def test_trim_and_left_align():
    assert trim_alleles(100, "CAG", "CG") == (101, "A", "")
    seq = ShippedSequence("GRCh38")
    # shifting a deletion inside a homopolymer leftwards lands on its first base
    start = 29220706
    window = seq.fetch("2", start, start + 120)
    run = next(i for i in range(len(window) - 3) if window[i] == window[i + 1] == window[i + 2])
    pos = start + run + 2
    left = left_align("2", pos, window[run + 1: run + 3], window[run + 1], seq)
    assert left[0] <= start + run + 2 and left[1] == window[run]


def test_alt_equal_to_ref_inside_the_alk_window_is_not_a_crash(tmp_path):
    """Regression: a `C>C` record in the shipped window made left_align index an empty allele."""
    from alkseq.genome.transcript import ShippedSequence
    from alkseq.genome.translate import left_align

    assert left_align("chr2", 29220747, "C", "C", ShippedSequence("GRCh38")) == (29220747, "", "")


@pytest.mark.parametrize("gene", ["ALK", "EML4"])
@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_c_of_by_bisect_is_the_walk_over_the_exons(gene, build):
    """``Transcript.c_of`` bisects the coding exons; every base of the gene and 1 kb either side gets the
    c. position (or None) the plain walk over the exons in transcript order gives."""
    from alkseq.genome.transcript import load_transcript

    tx = load_transcript(gene, build)

    def walked(pos):
        for exon in tx.exons:
            if exon.cds_start is not None and exon.cds_end is not None and exon.cds_start <= pos <= exon.cds_end:
                return exon.c_start + (pos - exon.cds_start if tx.strand == "+" else exon.cds_end - pos)
        return None

    low, high = min(e.start for e in tx.exons) - 1000, max(e.end for e in tx.exons) + 1000
    assert [tx.c_of(p) for p in range(low, high)] == [walked(p) for p in range(low, high)]
    assert tx.cds_length == max(e.c_end for e in tx.exons) and tx.cds_length % 3 == 0


@pytest.mark.parametrize("gene", ["ALK", "EML4"])
@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_locate_and_cds_overlap_by_bisect_are_the_walk(gene, build):
    """``Transcript.locate`` and ``overlaps_cds`` bisect the exons and introns; every base within 3 of an
    exon or CDS edge, and every 97th base of the gene and 1 kb either side (and 1- to 40-base spans
    ending there, for the overlap), get the answer the plain walk over the exons in transcript order gives."""
    from alkseq.genome.transcript import load_transcript

    tx = load_transcript(gene, build)
    ordered = tx.exons

    def walked(pos):
        for exon in ordered:
            if exon.start <= pos <= exon.end:
                return "exon", exon.number
        for first, second in zip(ordered, ordered[1:]):
            low, high = sorted((first.end, second.start)) if tx.strand == "+" else sorted((second.end, first.start))
            if low < pos < high:
                return "intron", first.number
        five_prime = ordered[0].start if tx.strand == "+" else ordered[0].end
        before = pos < five_prime if tx.strand == "+" else pos > five_prime
        return ("upstream", 0) if before else ("downstream", ordered[-1].number)

    def overlapped(start, end):
        return any(e.cds_start is not None and e.cds_end is not None and e.cds_start <= end and start <= e.cds_end
                   for e in ordered)

    low, high = min(e.start for e in ordered) - 1000, max(e.end for e in ordered) + 1000
    edges = {e.start for e in ordered} | {e.end for e in ordered} | \
        {edge for e in ordered if e.cds_start is not None for edge in (e.cds_start, e.cds_end)}
    positions = sorted(set(range(low, high, 97)) | {edge + d for edge in edges for d in range(-3, 4)})
    assert [tx.locate(p) for p in positions] == [walked(p) for p in positions]
    spans = [(p - length, p) for p in positions for length in (0, 1, 5, 39)]
    assert [tx.overlaps_cds(s, e) for s, e in spans] == [overlapped(s, e) for s, e in spans]
