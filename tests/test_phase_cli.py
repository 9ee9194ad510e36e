"""Phase reaches the answer: through the CLI, a cis or trans call changes the recommendation.

Real processes, real VCFs and BAMs (written here with pysam from the shipped ALK reference
sequence, or the committed examples/phasing files made by examples/make_phase_examples.py).
L1196M = chr2:29220765 G>T and G1202R = chr2:29220747 C>T (GRCh38, exon 23, 18 bp apart);
G1269A = chr2:29209816 C>G (exon 25, ~11 kb away): positions from
shared/genome/alk_resistance_truth_grch37_grch38.tsv.
"""
from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import pysam
import pytest
import yaml

from conftest import ROOT, run_cli

from alkseq.api import _phase
from alkseq.genome.protein import parse_protein_change
from alkseq.genome.transcript import ShippedSequence
from alkseq.model import Alteration, GenomicVariant
from alkseq.readers import ReadOptions, read_input

PHASING = ROOT / "examples" / "phasing"
VCF = PHASING / "tumor.vcf"
CASES = {c["name"]: c for c in yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())}
L1196M, G1202R, G1269A = (29220765, "G", "T"), (29220747, "C", "T"), (29209816, "C", "G")
EVIDENCE_KEYS = {"source", "both", "first_only", "second_only", "neither", "spanning", "detail"}
UNKNOWN_PHASE_WARNING = "have unknown phase"

VCF_HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr2,length=242193529>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR
"""


def write_vcf(path: Path, rows) -> Path:
    """rows: ((pos, ref, alt), genotype, phase_set or '.', allele fraction)."""
    lines = [f"chr2\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:PS:AF\t{gt}:{ps}:{af}"
             for (pos, ref, alt), gt, ps, af in sorted(rows)]
    path.write_text(VCF_HEADER + "\n".join(lines) + "\n")
    return path


def write_bam(path: Path, reads, *, contig="chr2", length=242193529) -> Path:
    """reads: (name, 0-based start, sequence); single-end, MAPQ 60, Q37, sorted and indexed."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": contig, "LN": length}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for name, start0, sequence in sorted(reads, key=lambda r: (r[1], r[0])):
            read = pysam.AlignedSegment(out.header)
            read.query_name, read.flag, read.reference_name = name, 0, contig
            read.reference_start, read.mapping_quality = start0, 60
            read.cigartuples = [(0, len(sequence))]
            read.query_sequence = sequence
            read.query_qualities = pysam.qualitystring_to_array("F" * len(sequence))
            out.write(read)
    pysam.index(str(path))
    return path


def reference_reads(prefix: str, start1: int, length: int, alts=(), count: int = 20):
    """``count`` reads of the real GRCh38 plus strand from ``start1``, carrying ``alts``."""
    bases = list(ShippedSequence("GRCh38").fetch("chr2", start1, start1 + length - 1))
    for pos, ref, alt in alts:
        assert bases[pos - start1] == ref
        bases[pos - start1] = alt
    return [(f"{prefix}{i}", start1 - 1, "".join(bases)) for i in range(count)]


def annotate_json(*args) -> dict:
    result = run_cli("annotate", *args, "--format", "json", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["samples"][0]


def case_json(name: str) -> dict:
    case = CASES[name]
    return annotate_json(case["input"], *case["args"])


def drugs_of(entries) -> set[str]:
    return {d for entry in entries for d in entry["drugs"]}


def counts(compound) -> tuple:
    evidence = compound["phase_evidence"]
    return tuple(evidence[k] for k in ("both", "first_only", "second_only", "neither", "spanning"))


# --------------------------------------------------------------------------- the shipped example

def test_example_cis_bam_and_trans_bam_give_different_answers():
    """Same VCF, same prior (alectinib): cis → no approved TKI covers, lorlatinib argued against;
    trans → lorlatinib covers each clone and leads."""
    assert CASES["phasing_cis_post_alectinib"]["input"] == CASES["phasing_trans_post_alectinib"]["input"]
    cis, trans = case_json("phasing_cis_post_alectinib"), case_json("phasing_trans_post_alectinib")

    (cis_compound,) = cis["compounds"]
    assert cis_compound["mutations"] == ["L1196M", "G1202R"] and cis_compound["phase"] == "cis"
    assert set(cis_compound["phase_evidence"]) == EVIDENCE_KEYS
    assert cis_compound["phase_evidence"]["source"] == "reads"
    assert counts(cis_compound) == (72, 1, 0, 167, 240)       # one chimeric fragment absorbed
    assert cis["candidates"][0]["therapy"].startswith("Platinum")
    assert "lorlatinib" not in drugs_of(cis["candidates"])
    lorlatinib = next(n for n in cis["not_recommended"] if n["drugs"] == ["lorlatinib"])
    assert "L1196M+G1202R" in lorlatinib["reason"]
    assert any("No approved ALK TKI" in w for w in cis["warnings"])
    assert not any(UNKNOWN_PHASE_WARNING in w for w in cis["warnings"])

    (trans_compound,) = trans["compounds"]
    assert trans_compound["phase"] == "trans" and trans_compound["phase_evidence"]["source"] == "reads"
    assert counts(trans_compound) == (1, 71, 74, 94, 240)
    top = trans["candidates"][0]
    assert top["drugs"] == ["lorlatinib"] and top["reading"] is None
    assert "lorlatinib" not in drugs_of(trans["not_recommended"])
    assert not any(UNKNOWN_PHASE_WARNING in w for w in trans["warnings"])

    # the drugs the patient progressed on stay argued against either way
    assert "alectinib" in drugs_of(cis["not_recommended"]) & drugs_of(trans["not_recommended"])


def test_example_text_reports_show_phase_and_counts():
    case = CASES["phasing_cis_post_alectinib"]
    text = run_cli("annotate", case["input"], *case["args"], cwd=ROOT).stdout
    assert "compound L1196M+G1202R: phase cis (reads:" in text
    assert "both ALT 72" in text and "240 fragments span both" in text


@pytest.mark.parametrize("name", ["cis", "trans"])
def test_example_bams_are_small_sorted_and_indexed(name):
    bam = PHASING / f"{name}.bam"
    assert bam.stat().st_size < 1_000_000 and (PHASING / f"{name}.bam.bai").exists()
    with pysam.AlignmentFile(str(bam)) as alignments:
        assert alignments.header.to_dict()["HD"]["SO"] == "coordinate"
        assert alignments.get_reference_length("chr2") == 242193529
        starts = [read.reference_start for read in alignments.fetch("chr2", 29220700, 29220800)]
    assert starts == sorted(starts) and len(starts) == 480        # 240 fragments, two mates each


# --------------------------------------------------------------------------- phased VCF, no BAM

@pytest.mark.parametrize("genotypes, phase", [(("0|1", "0|1"), "cis"), (("0|1", "1|0"), "trans")])
def test_phased_vcf_gives_the_phase_without_a_bam(tmp_path, genotypes, phase):
    vcf = write_vcf(tmp_path / "phased.vcf", [(L1196M, genotypes[0], 29220747, 0.3),
                                              (G1202R, genotypes[1], 29220747, 0.3)])
    report = annotate_json(vcf, "--prior", "alectinib")
    (compound,) = report["compounds"]
    assert compound["phase"] == phase
    assert compound["phase_evidence"]["source"] == "vcf"
    assert "29220747" in compound["phase_evidence"]["detail"]
    assert not any(UNKNOWN_PHASE_WARNING in w for w in report["warnings"])
    if phase == "cis":
        assert "lorlatinib" in drugs_of(report["not_recommended"])
        assert "lorlatinib" not in drugs_of(report["candidates"])
    else:
        assert report["candidates"][0]["drugs"] == ["lorlatinib"]


def test_vcf_phase_tags_come_before_reads(tmp_path):
    """Order of evidence (genome/phase.py): the caller's phase tags, then reads."""
    vcf = write_vcf(tmp_path / "phased.vcf", [(L1196M, "0|1", 29220747, 0.3),
                                              (G1202R, "0|1", 29220747, 0.3)])
    (compound,) = annotate_json(vcf, "--bam", PHASING / "trans.bam", "--prior", "alectinib")["compounds"]
    assert compound["phase"] == "cis" and compound["phase_evidence"]["source"] == "vcf"


# --------------------------------------------------------------------------- unphased VCF

def test_unknown_phase_gives_both_readings_and_the_bam_settles_it():
    report = annotate_json(VCF, "--prior", "alectinib")
    (compound,) = report["compounds"]
    assert compound["phase"] == "unknown" and compound["phase_evidence"]["source"] == "none"
    assert compound["phase_evidence"]["both"] is None
    assert any(UNKNOWN_PHASE_WARNING in w and "--bam" in w for w in report["warnings"])
    by_drugs = {tuple(c["drugs"]): c for c in report["candidates"]}
    assert by_drugs[("lorlatinib",)]["reading"] == "trans"     # only if they are in trans
    assert report["candidates"][0]["therapy"].startswith("Platinum")
    text = run_cli("annotate", VCF, "--prior", "alectinib", cwd=ROOT).stdout
    assert "only if trans" in text

    with_reads = annotate_json(VCF, "--bam", PHASING / "cis.bam", "--prior", "alectinib")
    assert with_reads["compounds"][0]["phase"] == "cis"
    assert not any(UNKNOWN_PHASE_WARNING in w for w in with_reads["warnings"])


def test_mutations_too_far_apart_for_a_fragment_stay_unknown_with_the_reason(tmp_path):
    vcf = write_vcf(tmp_path / "far.vcf", [(G1202R, "0/1", ".", 0.3), (G1269A, "0/1", ".", 0.3)])
    reads = (reference_reads("ex23_alt", 29220700, 120, [G1202R], 15)
             + reference_reads("ex23_ref", 29220700, 120, (), 25)
             + reference_reads("ex25_alt", 29209780, 100, [G1269A], 15)
             + reference_reads("ex25_ref", 29209780, 100, (), 25))
    bam = write_bam(tmp_path / "far.bam", reads)
    report = annotate_json(vcf, "--bam", bam, "--prior", "alectinib")
    (compound,) = report["compounds"]
    assert compound["mutations"] == ["G1202R", "G1269A"] and compound["phase"] == "unknown"
    evidence = compound["phase_evidence"]
    assert evidence["source"] == "reads" and evidence["spanning"] == 0
    assert "no fragment spans both positions (10931 bp apart" in evidence["detail"]
    assert "40 fragments cover G1202R, 40 cover G1269A" in evidence["detail"]
    assert "too far apart" in evidence["detail"]
    assert any(UNKNOWN_PHASE_WARNING in w for w in report["warnings"])


def test_vaf_hint_is_labelled_as_a_hint(tmp_path):
    vcf = write_vcf(tmp_path / "hint.vcf", [(L1196M, "0/1", ".", 0.55), (G1202R, "0/1", ".", 0.62)])
    (compound,) = annotate_json(vcf, "--prior", "alectinib")["compounds"]
    assert compound["phase"] == "cis"
    evidence = compound["phase_evidence"]
    assert evidence["source"] == "vaf_hint" and evidence["spanning"] is None
    assert evidence["detail"].startswith("hint only, not read evidence")
    text = run_cli("annotate", vcf, "--prior", "alectinib", cwd=ROOT).stdout
    assert "phase cis (vaf_hint: hint only, not read evidence: VAFs 0.55 + 0.62 = 1.17 > 1" in text
    # reads, when given, replace the hint
    (compound,) = annotate_json(vcf, "--bam", PHASING / "trans.bam", "--prior", "alectinib")["compounds"]
    assert compound["phase"] == "trans" and compound["phase_evidence"]["source"] == "reads"


# --------------------------------------------------------------------------- a bad --bam

def _corrupt_middle_block(source: Path, target: Path) -> None:
    """Flip bytes inside the first block of reads (BGZF blocks: header, reads, …, EOF)."""
    data = bytearray(source.read_bytes())
    offset, blocks = 0, []
    while offset < len(data):
        size = struct.unpack("<H", data[offset + 16:offset + 18])[0] + 1
        blocks.append(offset)
        offset += size
    for index in range(blocks[1] + 40, blocks[1] + 60):
        data[index] ^= 0xFF
    target.write_bytes(bytes(data))


def _wrong_header_copy(source: Path, target: Path, *, contig: str, length: int) -> None:
    header = pysam.AlignmentFile(str(source)).header.to_dict()
    header["SQ"] = [{"SN": contig, "LN": length}]
    with pysam.AlignmentFile(str(source)) as src, pysam.AlignmentFile(str(target), "wb", header=header) as out:
        for read in src:
            fields = read.to_dict()
            fields["ref_name"], fields["next_ref_name"] = contig, "="
            out.write(pysam.AlignedSegment.from_dict(fields, out.header))
    pysam.index(str(target))


def _bad_bam(kind: str, tmp_path: Path) -> Path:
    good = PHASING / "cis.bam"
    bam = tmp_path / f"{kind}.bam"
    if kind == "no_index":
        bam.write_bytes(good.read_bytes())
    elif kind == "not_a_bam":
        bam.write_text("this is not a BAM\n")
    elif kind == "truncated":
        bam.write_bytes(good.read_bytes()[:3000])
        (tmp_path / f"{kind}.bam.bai").write_bytes((PHASING / "cis.bam.bai").read_bytes())
    elif kind == "corrupt":
        _corrupt_middle_block(good, bam)
        (tmp_path / f"{kind}.bam.bai").write_bytes((PHASING / "cis.bam.bai").read_bytes())
    elif kind == "grch37":
        _wrong_header_copy(good, bam, contig="chr2", length=243199373)
    elif kind == "no_chr2":
        _wrong_header_copy(good, bam, contig="chr7", length=159345973)
    return bam


@pytest.mark.parametrize("kind, exit_code, message", [
    ("no_index", 3, "no index"),
    ("not_a_bam", 3, "cannot open as BAM/CRAM"),
    ("truncated", 3, "truncated"),
    ("corrupt", 3, "cannot read alignments"),
    ("grch37", 4, "alignments are GRCh37 (chr2 length 243199373) but the variants are GRCh38"),
    ("no_chr2", 3, "contig chr2"),
])
def test_a_bad_bam_is_an_error_naming_it_and_nothing_is_written(tmp_path, kind, exit_code, message):
    bam = _bad_bam(kind, tmp_path)
    output = tmp_path / "report.json"
    result = run_cli("annotate", VCF, "--bam", bam, "--prior", "alectinib", "--format", "json",
                     "-o", output, cwd=ROOT)
    assert result.returncode == exit_code, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("alkseq:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert f"{kind}.bam" in errors[0] and message in errors[0]
    assert not output.exists()


def test_a_missing_bam_is_a_one_line_input_error(tmp_path):
    """Like every input path (issue 15 item 8): exit 3, one line, not click's usage message."""
    result = run_cli("annotate", VCF, "--bam", tmp_path / "absent.bam", cwd=ROOT)
    assert result.returncode == 3 and "absent.bam: no such file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bam_is_checked_even_with_one_mutation(tmp_path):
    """An explicitly given --bam that cannot be used is an error whatever the input holds."""
    vcf = write_vcf(tmp_path / "one.vcf", [(G1202R, "0/1", ".", 0.3)])
    result = run_cli("annotate", vcf, "--bam", _bad_bam("no_index", tmp_path), cwd=ROOT)
    assert result.returncode == 3 and "no_index.bam" in result.stderr


def test_a_problem_with_one_pair_becomes_a_warning_and_the_others_keep_their_reads(tmp_path):
    """Three mutations; one has an allele that reads cannot show (symbolic ALT): its two pairs
    are phased without reads and say why; L1196M+G1202R keeps its read evidence."""
    (sample,) = read_input(VCF)
    _, f1174l = parse_protein_change("F1174L")
    symbolic = Alteration(gene="ALK", kind="mutation", protein_change=f1174l, vaf=0.3,
                          genomic=GenomicVariant("GRCh38", "chr2", 29220829, "G", "<SUB>"))
    sample = replace(sample, alterations=sample.alterations + (symbolic,))
    warnings: list[str] = []
    compounds = _phase(sample, ReadOptions(bam=str(PHASING / "cis.bam")), warnings)
    by_key = {c.key: c for c in compounds}
    assert set(by_key) == {"F1174L+L1196M", "F1174L+G1202R", "L1196M+G1202R"}
    assert by_key["L1196M+G1202R"].phase == "cis"
    assert by_key["L1196M+G1202R"].evidence.source == "reads"
    for key in ("F1174L+L1196M", "F1174L+G1202R"):
        assert by_key[key].phase == "unknown"
        assert by_key[key].evidence.detail.startswith(f"reads not used to phase {key}:")
        assert "cis.bam" in by_key[key].evidence.detail and "sequence alleles" in by_key[key].evidence.detail
    assert len(warnings) == 2 and all("reads not used" in w for w in warnings)
    # the caller without a list still gets the notes on the compounds
    assert {c.key for c in _phase(sample, ReadOptions(bam=str(PHASING / "cis.bam")))} == set(by_key)
