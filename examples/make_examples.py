"""Write the example inputs in examples/ (run once; the files are committed).

Every genomic record uses real GRCh38 coordinates and reference bases of the shipped
ALK model (reference/genome/), so alkseq's own REF check passes; read names, sample
names and depths are invented. Run: python examples/make_examples.py
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

VCF_HEADER = """##fileformat=VCFv4.2
##source=Mutect2 (example written by alkseq examples/make_examples.py)
##reference=GRCh38
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr7,length=159345973>
##contig=<ID=chr17,length=83257441>
##tumor_sample=PT001_T
##normal_sample=PT001_N
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=MATEID,Number=.,Type=String,Description="ID of mate breakend">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	PT001_N	PT001_T
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print("wrote", path.relative_to(HERE.parent))


def main() -> None:
    # 1. post-alectinib ALK G1202R (chr2:29220747 C>T, GRCh38) with the EML4-ALK v1 breakpoint
    #    (EML4 intron 13 / ALK intron 19, as in shared/vcf/fusion_sv) and a filtered artefact.
    records = [
        "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\tGT:AD:AF:DP\t0/0:412,0:0:412\t0/1:402,148:0.269:550",
        "chr2\t29223826\tbnd_1\tG\tG]chr2:42299120]\t.\tPASS\tSVTYPE=BND;MATEID=bnd_2\tGT\t0/0\t0/1",
        "chr2\t42299120\tbnd_2\tT\tT]chr2:29223826]\t.\tPASS\tSVTYPE=BND;MATEID=bnd_1\tGT\t0/0\t0/1",
        "chr7\t116672300\t.\tA\tG\t.\tweak_evidence\t.\tGT:AD:AF:DP\t0/0:300,0:0:300\t0/1:290,4:0.014:294",
    ]
    write(HERE / "post_alectinib_g1202r" / "tumor.vcf", VCF_HEADER + "\n".join(records) + "\n")

    write(HERE / "post_lorlatinib_compound" / "panel.tsv",
          "sample\tgene\talteration\tvaf\tdepth\n"
          "PT002\tALK\tEML4-ALK v3\t\t\n"
          "PT002\tALK\tp.Gly1202Arg\t0.31\t812\n"
          "PT002\tALK\tp.Leu1196Met\t0.29\t790\n"
          "PT002\tTP53\tR273H\t0.45\t760\n")
    write(HERE / "post_lorlatinib_met_amp" / "panel.csv",
          "Sample ID,Gene,Alteration,Copy number,VAF (%)\n"
          "PT003,ALK,EML4-ALK fusion (variant 1),,\n"
          "PT003,MET,amplification,14,\n"
          "PT003,TP53,p.Arg248Gln,,38.5\n")
    write(HERE / "no_mechanism_post_lorlatinib" / "panel.tsv",
          "gene\talteration\tvaf\tcopy_number\n")
    write(HERE / "resensitisation_c1156y_l1198f" / "panel.tsv",
          "gene\talteration\tvaf\n"
          "ALK\tC1156Y\t0.22\n"
          "ALK\tL1198F\t0.21\n")


if __name__ == "__main__":
    main()
