"""Derive alkseq's shipped genome tables from the project's working files in ../shared/genome.

Run from the repository root:  python reference/genome/derive_tables.py ../shared/genome
It rewrites transcripts.tsv, alk_sequence.tsv, ALK_protein_Q9UM73.fa, gene_spans.tsv and
hotspots.tsv next to this script, and stops with an error when the inputs disagree with
one another (CDS vs codon table vs flank sequence vs protein).  See README.md.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMP = str.maketrans("ACGTacgtN", "TGCAtgcaN")
CODE = {}
_B = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
for i, a in enumerate(_B):
    for j, b in enumerate(_B):
        for k, c in enumerate(_B):
            CODE[a + b + c] = _AA[16 * i + 4 * j + k]


def rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def fasta(path: Path) -> list[tuple[str, str]]:
    out, name, seq = [], None, []
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            if name is not None:
                out.append((name, "".join(seq)))
            name, seq = line[1:], []
        elif line.strip():
            seq.append(line.strip())
    if name is not None:
        out.append((name, "".join(seq)))
    return out


def main(shared: Path) -> None:
    exons = rows(shared / "ALK_EML4_exons_GRCh38_GRCh37.tsv")
    out = ["# ALK NM_004304.5 (MANE Select, ENST00000389048) and EML4 NM_019063.5 exon models, 1-based inclusive.",
           "# Derived from shared/genome/ALK_EML4_exons_GRCh38_GRCh37.tsv; GRCh37 CDS bounds = GRCh38 CDS bounds + the exon's own build offset.",
           "gene\ttranscript\tstrand\texon\tgrch38_start\tgrch38_end\tgrch37_start\tgrch37_end\tcds_grch38_start\tcds_grch38_end\tcds_grch37_start\tcds_grch37_end\tc_start\tc_end"]
    for r in exons:
        off = int(r["grch37_start"]) - int(r["grch38_start"])
        assert int(r["grch37_end"]) - int(r["grch38_end"]) == off, r
        out.append("\t".join([r["gene"], r["transcript"], r["strand"], r["exon_number"], r["grch38_start"], r["grch38_end"],
                              r["grch37_start"], r["grch37_end"], r["cds_grch38_start"], r["cds_grch38_end"],
                              str(int(r["cds_grch38_start"]) + off), str(int(r["cds_grch38_end"]) + off),
                              r["c_start"], r["c_end"]]))
    (HERE / "transcripts.tsv").write_text("\n".join(out) + "\n")

    # plus-strand sequence segments (exons 20-28 with intronic flanks), checked against the codon table
    segments = []
    for name, seq in fasta(shared / "ALK_exons20-28_with_flanks_plus_strand.fa"):
        parts = name.split()
        g38 = parts[2].split(":")[1].split("-")
        g37 = parts[4].split(":")[1].split("-")
        start38, end38, start37, end37 = int(g38[0]), int(g38[1]), int(g37[0]), int(g37[1])
        assert end38 - start38 + 1 == len(seq) == end37 - start37 + 1, name
        segments.append((parts[0], start38, end38, start37, end37, seq.upper()))

    def base(build: str, pos: int) -> str:
        for _, s38, e38, s37, e37, seq in segments:
            s, e = (s38, e38) if build == "38" else (s37, e37)
            if s <= pos <= e:
                return seq[pos - s]
        raise KeyError(pos)

    protein = fasta(shared / "ALK_Q9UM73_protein_transcribed.fa")[0][1]
    assert len(protein) == 1620, len(protein)
    cds_name, cds = fasta(shared / "ALK_NM_004304.5_CDS_c3173-c4164_exons20-28.fa")[0]
    codons = rows(shared / "ALK_kinase_region_codon_table_GRCh38_GRCh37.tsv")
    for c in codons:
        number = int(c["codon"])
        for build in ("38", "37"):
            plus = "".join(base(build, int(c[f"grch{build}_g{i}"])) for i in (1, 2, 3))
            assert plus == c["plus_strand_bases_g1g2g3"], (number, build, plus)
            assert plus.translate(COMP) == c["codon_seq"], (number, build)
        assert CODE[c["codon_seq"]] == c["aa"] == protein[number - 1], number
        offset = (int(c["c_pos1"]) - 3173)
        assert cds[offset:offset + 3] == c["codon_seq"], number
    seg_out = ["# ALK plus-strand reference sequence, exons 20-28 with 10/15 nt intronic flanks; identical in both builds here.",
               "# Derived from shared/genome/ALK_exons20-28_with_flanks_plus_strand.fa; checked base-by-base against the codon table and CDS c.3173-4164.",
               "segment\tgrch38_start\tgrch38_end\tgrch37_start\tgrch37_end\tplus_strand_sequence"]
    seg_out += ["\t".join(map(str, s)) for s in segments]
    (HERE / "alk_sequence.tsv").write_text("\n".join(seg_out) + "\n")
    wrapped = "\n".join(protein[i:i + 60] for i in range(0, len(protein), 60))
    (HERE / "ALK_protein_Q9UM73.fa").write_text(
        ">ALK NM_004304.5 / UniProt Q9UM73 (1620 aa); from shared/genome/ALK_Q9UM73_protein_transcribed.fa; "
        "residues 1059-1388 verified against the CDS c.3173-4164\n" + wrapped + "\n")

    spans = rows(shared / "gene_spans_GENCODE_GRCh38_GRCh37.tsv")
    span_out = ["# Gene spans (GENCODE, 1-based inclusive) and MANE Select transcripts; from shared/genome/gene_spans_GENCODE_GRCh38_GRCh37.tsv.",
                "gene\tchrom\tstrand\tgrch38_start\tgrch38_end\tgrch37_start\tgrch37_end\tmane_select_enst\tmane_select_refseq"]
    for r in spans:
        span_out.append("\t".join(r[k] for k in ("gene", "chrom", "strand", "grch38_start", "grch38_end",
                                                 "grch37_start", "grch37_end", "mane_select_enst", "mane_select_refseq")))
    (HERE / "gene_spans.tsv").write_text("\n".join(span_out) + "\n")

    hot = ["# Bypass-gene hotspot alleles: (build, chrom, pos, ref, alt) -> protein change; VCF-style alleles, + strand.",
           "# From shared/genome/bypass_hotspots_truth_grch37_grch38.tsv and docm_selected_genes_grch37_grch38.tsv (DoCM, CC BY 4.0; GRCh38 by UCSC liftover).",
           "# MET rows on ENST00000318493 (DoCM numbering, +18 aa) are renumbered to NM_000245 (MANE) by -18; ALK rows are left out (alkseq translates ALK itself).",
           "gene\tprotein\ttranscript\tbuild\tchrom\tpos\tref\talt\tsource"]
    seen: set[tuple] = set()
    mane = {r["gene"]: r["mane_select_enst"] for r in spans}

    import re
    readable = re.compile(r"^p\.(?:[A-Z*]\d+[A-Z*]|[A-Z]\d+(?:_[A-Z]\d+)?(?:del|dup|delins[A-Z*]+|ins[A-Z*]+))$")

    def add(gene, protein_change, transcript, build, chrom, pos, ref, alt, source):
        key = (build, chrom, pos, ref, alt)
        if key in seen:
            return
        if not readable.match(protein_change):
            print(f"skipped (protein not in HGVS short form): {gene} {protein_change}")
            return
        seen.add(key)
        hot.append("\t".join([gene, protein_change, transcript, build, chrom, pos, ref, alt, source]))

    def met_renumber(gene, transcript, protein_change):
        if gene == "MET" and transcript == "ENST00000318493":
            import re
            m = re.fullmatch(r"p\.([A-Z])(\d+)([A-Z*])", protein_change)
            assert m, protein_change
            return f"p.{m.group(1)}{int(m.group(2)) - 18}{m.group(3)}", "ENST00000397752 (renumbered from ENST00000318493, -18)"
        return protein_change, transcript

    for r in rows(shared / "bypass_hotspots_truth_grch37_grch38.tsv"):
        if r["alt"] in ("-", "") or not set(r["ref"]) <= set("ACGT"):
            continue
        transcript = r["hgvs_c"].split(":")[0]
        protein_change, transcript = met_renumber(r["gene"], transcript, r["protein"].split()[0])
        for build, col in (("GRCh37", "grch37"), ("GRCh38", "grch38")):
            chrom, rng = r[col].split(":")
            add(r["gene"], protein_change, transcript, build, chrom, rng.split("-")[0], r["ref"], r["alt"],
                "bypass_hotspots_truth (" + r["source"] + ")")
    docm = rows(shared / "docm_selected_genes_grch37_grch38.tsv")
    by_gene: dict[str, dict[str, int]] = {}
    for r in docm:
        by_gene.setdefault(r["gene"], {}).setdefault(r["hgvs_c"].split(":")[0], 0)
        by_gene[r["gene"]][r["hgvs_c"].split(":")[0]] += 1
    for r in docm:
        gene = r["gene"]
        transcript = r["hgvs_c"].split(":")[0]
        if gene == "ALK" or r["mutation_type"] not in ("missense", "stop_lost", "synonymous"):
            continue  # indels: DoCM gives HGVS g. spans, not VCF-anchored alleles
        preferred = mane[gene] if mane.get(gene) in by_gene[gene] else max(by_gene[gene], key=by_gene[gene].get)
        if transcript != preferred and not (gene == "MET" and transcript == "ENST00000318493"):
            continue
        protein_change, transcript = met_renumber(gene, transcript, r["protein"])
        if not set(r["ref"] + r["alt"]) <= set("ACGT"):
            continue
        for build, chrom, pos in (("GRCh37", r["grch37_chrom"], r["grch37_start"]),
                                  ("GRCh38", r["grch38_chrom"], r["grch38_start"])):
            if chrom and pos:
                add(gene, protein_change, transcript, build, chrom, pos, r["ref"], r["alt"], "DoCM (docm_selected_genes)")
    (HERE / "hotspots.tsv").write_text("\n".join(hot) + "\n")
    print(f"transcripts {len(exons)} exons; sequence {len(segments)} segments; hotspots {len(hot) - 4} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/genome"))
