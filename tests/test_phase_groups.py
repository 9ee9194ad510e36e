"""Cis groups are the maximal cliques of the cis graph (issue 15 item 1: the subset
enumeration doubled per mutation and never finished at ~40 kinase-domain mutations)."""
from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings, strategies as st

from alkseq.genome.phase import _cis_groups, kinase_domain_mutations, maximal_cliques, phase_pairs
from alkseq.genome.protein import parse_protein_change
from alkseq.genome.transcript import ShippedSequence, alk_protein, load_transcript
from alkseq.genome.translate import translate_dna
from alkseq.model import Alteration, PhaseEvidence

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def old_groups(names: list[str], edges: set) -> list[tuple[str, ...]]:
    """The enumeration alkseq used before: every subset of size ≥3, largest first."""
    groups: list[tuple[str, ...]] = []
    for size in range(len(names), 2, -1):
        for subset in combinations(names, size):
            if any(set(subset) <= set(group) for group in groups):
                continue
            if all(pair in edges for pair in combinations(subset, 2)):
                groups.append(subset)
    return groups


def mutation(change: str, vaf=None) -> Alteration:
    _, protein_change = parse_protein_change(change)
    return Alteration(gene="ALK", kind="mutation", protein_change=protein_change, vaf=vaf)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0)))))))
def test_groups_equal_the_old_enumeration_on_random_graphs(graph):
    n, raw_edges = graph
    names = [f"G{1120 + i}R" for i in range(n)]
    edges = {(names[min(a, b)], names[max(a, b)]) for a, b in raw_edges if a != b and n}
    evidence = PhaseEvidence(source="vaf_hint", detail="test")
    groups = _cis_groups([mutation(name) for name in names], {pair: evidence for pair in edges})
    assert [g.names for g in groups] == old_groups(names, edges)
    assert all(g.phase == "cis" for g in groups)


def test_maximal_cliques_small_cases():
    assert maximal_cliques(0, ()) == []
    assert sorted(maximal_cliques(3, ())) == [(0,), (1,), (2,)]
    assert sorted(maximal_cliques(4, {(0, 1), (1, 2), (0, 2), (2, 3)})) == [(0, 1, 2), (2, 3)]
    # a complete graph on 40 vertices is one clique; an empty one is 40 singletons
    everything = set(combinations(range(40), 2))
    assert maximal_cliques(40, everything) == [tuple(range(40))]
    assert len(maximal_cliques(40, ())) == 40


def kinase_snvs(count: int) -> list[tuple[int, str, str, str]]:
    """``count`` GRCh38 SNVs (pos, REF, ALT, protein change) at distinct kinase-domain codons.

    Built from alkseq's shipped transcript and sequence: the first coding base of each codon
    is replaced by its complement, kept only when the amino acid changes.
    """
    tx = load_transcript("ALK", "GRCh38")
    sequence = ShippedSequence("GRCh38")
    protein = alk_protein()
    out = []
    for residue in range(1120, 1389):
        positions = [tx.genomic_of(3 * residue - 2 + k) for k in range(3)]
        plus = [sequence.fetch("chr2", p, p) for p in positions]
        codon = "".join(COMPLEMENT[b] for b in plus)      # minus strand: coding = complement
        assert translate_dna(codon) == protein[residue - 1]
        new = translate_dna(plus[0] + codon[1:])           # first coding base → its complement
        if new in (protein[residue - 1], "*"):
            continue
        out.append((positions[0], plus[0], COMPLEMENT[plus[0]], f"{protein[residue - 1]}{residue}{new}"))
        if len(out) == count:
            break
    assert len(out) == count
    return out


def panel_table(path, vaf: float, count: int = 40):
    rows = ["gene\talteration\tvaf"] + [f"ALK\t{change}\t{vaf}"
                                        for *_, change in kinase_snvs(count)]
    path.write_text("\n".join(rows) + "\n")
    return path


def vcf_file(path, vaf: float, count: int = 40):
    header = ("##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr2,length=242193529>\n"
              '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
              '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">\n'
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n")
    rows = [f"chr2\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:AF\t0/1:{vaf}"
            for pos, ref, alt, _ in sorted(kinase_snvs(count))]
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def test_forty_mutation_panel_phases(tmp_path):
    from alkseq.readers import read_input

    for vaf, clique in ((0.6, True), (0.1, False)):   # VAFs summing >1: every pair a cis hint
        (sample,) = read_input(panel_table(tmp_path / f"panel{vaf}.tsv", vaf))
        mutations = kinase_domain_mutations(sample.alterations)
        assert len(mutations) == 40
        compounds = phase_pairs(sample.alterations)
        pairs = [c for c in compounds if len(c.mutations) == 2]
        groups = [c for c in compounds if len(c.mutations) > 2]
        assert len(pairs) == 40 * 39 // 2
        if clique:
            assert [len(g.mutations) for g in groups] == [40]
            assert groups[0].evidence.source == "vaf_hint"
        else:
            assert groups == [] and all(c.phase == "unknown" for c in pairs)


def test_forty_allele_vcf_phases(tmp_path):
    from alkseq.readers import read_input

    (sample,) = read_input(vcf_file(tmp_path / "forty.vcf", 0.6))
    assert len(kinase_domain_mutations(sample.alterations)) == 40
    compounds = phase_pairs(sample.alterations)
    assert [len(c.mutations) for c in compounds if len(c.mutations) > 2] == [40]


def test_forty_mutation_panel_through_the_cli(tmp_path):
    import json
    import subprocess
    import sys

    panel = panel_table(tmp_path / "panel.tsv", 0.6)
    done = subprocess.run([sys.executable, "-m", "alkseq", "annotate", str(panel), "--format",
                           "json", "--prior", "lorlatinib"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    report = data[0] if isinstance(data, list) else data.get("samples", [data])[0]
    sizes = sorted(len(c["mutations"]) for c in report["compounds"])
    assert sizes == [2] * 780 + [40]
