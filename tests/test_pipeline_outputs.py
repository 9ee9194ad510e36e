"""Outputs pipelines consume, each read by the real tool: VCF/BCF (-O v|z|b|u, BCF by htslib) by
bcftools, several -o in one run, MAF out by alkseq's MAF reader and a cBioPortal-format header
check, MultiQC custom content by a real `multiqc` run.

The VCF is examples/post_alectinib_g1202r/tumor.vcf (real GRCh38 ALK G1202R chr2:29220747
C>T); the MAF is examples/maf/two_samples.maf (real GRCh38 positions from
../shared/genome/*truth*.tsv; see examples/README.md).
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

VCF = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"
MAF = ROOT / "examples" / "maf" / "two_samples.maf"
SHEET = ROOT / "examples" / "samplesheet.csv"
BCFTOOLS = shutil.which("bcftools")
MULTIQC = shutil.which("multiqc")


def bcftools(*args, stdin: bytes | None = None):
    assert BCFTOOLS, "bcftools is a system tool the tests use (.ci/run installs it)"
    result = subprocess.run([BCFTOOLS, *map(str, args)], capture_output=True, input=stdin,
                            timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def annotate_bytes(*args) -> bytes:
    result = subprocess.run([sys.executable, "-m", "alkseq", "annotate", *map(str, args)],
                            capture_output=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def records(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


QUERY = "%CHROM\t%POS\t%REF\t%ALT\t%ALKSEQ_PC\t%ALKSEQ_ROLE\t%ALKSEQ_MECH\n"


# --------------------------------------------------------------------------- VCF / BCF

@pytest.mark.parametrize("name,magic", [("out.bcf", b"BCF"), ("out.vcf.gz", b"##fileformat")])
def test_output_type_from_the_name_read_by_bcftools(tmp_path, name, magic):
    out = tmp_path / name
    result = run_cli("annotate", VCF, "--prior", "alectinib", "-o", out)
    assert result.returncode == 0, result.stderr
    import gzip
    assert gzip.open(out).read(len(magic)) == magic                 # BGZF either way
    header = bcftools("view", "-h", out)
    assert "##INFO=<ID=ALKSEQ_PC,Number=A,Type=String" in header and "##alkseq_summary=<" in header
    query = bcftools("query", "-f", QUERY, out)
    assert "chr2\t29220747\tC\tT\tG1202R\talk_kinase_domain\talk_dependent" in query
    assert len(records(bcftools("view", "-H", out))) == len(records(VCF.read_text()))


@pytest.mark.parametrize("letter", ["v", "z", "b", "u"])
def test_dash_O_to_a_pipe_is_what_bcftools_reads(letter):
    data = annotate_bytes(VCF, "--prior", "alectinib", "-O", letter)
    if letter == "v":
        assert data.startswith(b"##fileformat=VCF")
    else:
        assert data[:2] == b"\x1f\x8b"                               # BGZF, also for u
    query = bcftools("query", "-f", QUERY, "-", stdin=data)
    assert "29220747\tC\tT\tG1202R" in query
    plain = annotate_bytes(VCF, "--prior", "alectinib", "--format", "vcf")
    assert bcftools("view", "-H", "-", stdin=data) == bcftools("view", "-H", "-", stdin=plain)


def test_dash_O_b_overrides_the_name(tmp_path):
    out = tmp_path / "named.vcf"
    assert run_cli("annotate", VCF, "-O", "b", "-o", out).returncode == 0
    assert out.read_bytes()[:2] == b"\x1f\x8b" and "G1202R" in bcftools("query", "-f", QUERY, out)


def test_bcf_in_bcf_out_and_a_header_without_contig_lines(tmp_path):
    bcf_in = tmp_path / "in.bcf"
    bcftools("view", "-Ob", "-o", bcf_in, VCF)
    out = tmp_path / "out.bcf"
    assert run_cli("annotate", bcf_in, "-o", out).returncode == 0
    assert "G1202R" in bcftools("query", "-f", QUERY, out)
    # htslib needs contigs declared to write BCF: alkseq declares the missing ones
    bare = tmp_path / "bare.vcf"
    bare.write_text("".join(line + "\n" for line in VCF.read_text().splitlines()
                            if not line.startswith("##contig")))
    out2 = tmp_path / "bare.bcf"
    result = run_cli("annotate", bare, "-o", out2)
    assert result.returncode == 0, result.stderr
    assert "##contig=<ID=chr2" in bcftools("view", "-h", out2)
    assert "G1202R" in bcftools("query", "-f", QUERY, out2)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no scratch left


@pytest.mark.parametrize("args,message", [
    (["-O", "q"], "unknown output type 'q'"),
    (["-O", "b", "--format", "json"], "-O b is a VCF/BCF type but --format is json"),
    (["-O", "json", "--format", "tsv"], "disagree"),
    (["-o", "a.json", "-o", "b.html", "-O", "json"], "each file's format comes from its name"),
])
def test_output_type_usage_errors_are_one_line(tmp_path, args, message):
    result = run_cli("annotate", VCF, *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


def test_bcf_of_a_panel_input_is_refused(tmp_path):
    panel = ROOT / "examples" / "post_lorlatinib_met_amp" / "panel.csv"
    result = run_cli("annotate", panel, "-o", tmp_path / "x.bcf")
    assert result.returncode == 2 and "--format vcf writes a VCF input back" in result.stderr
    assert not (tmp_path / "x.bcf").exists()


def test_several_outputs_in_one_run_each_by_its_name(tmp_path):
    outs = [tmp_path / n for n in ("r.json", "r.html", "r.vcf.gz", "r.tsv", "r.txt", "r.bcf")]
    result = run_cli("annotate", VCF, "--prior", "alectinib", "--sample-name", "PT001",
                     *[x for out in outs for x in ("-o", out)])
    assert result.returncode == 0, result.stderr
    document = json.loads(outs[0].read_text())
    assert document["samples"][0]["sample"] == "PT001"
    assert outs[1].read_text().lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "r.vcf.gz.tbi").is_file()
    assert "Sample=\"PT001\"" in bcftools("view", "-h", outs[2])
    assert outs[3].read_text().startswith("sample\t") and "PT001" in outs[4].read_text()
    assert "G1202R" in bcftools("query", "-f", QUERY, outs[5])


def test_sample_name_needs_one_sample():
    result = run_cli("annotate", MAF, "--sample-name", "X", "--format", "json")
    assert result.returncode == 2 and "--sample-name names one sample" in result.stderr
    one = run_cli("annotate", MAF, "--sample", "PT102", "--sample-name", "X", "--format", "json")
    assert one.returncode == 0 and json.loads(one.stdout)["samples"][0]["sample"] == "X"


# --------------------------------------------------------------------------- MAF out

def _maf_rows(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    comments = [line for line in text.splitlines() if line.startswith("#")]
    table = list(csv.reader(io.StringIO("\n".join(line for line in text.splitlines()
                                                  if not line.startswith("#"))), delimiter="\t"))
    return comments, table, table[0]


def test_maf_out_keeps_every_row_and_appends_alkseq_columns(tmp_path):
    out = tmp_path / "annotated.maf"
    result = run_cli("annotate", MAF, "--prior", "alectinib", "-o", out)   # .maf → --format maf
    assert result.returncode == 0, result.stderr
    comments_in, rows_in, header_in = _maf_rows(MAF.read_text())
    comments, rows, header = _maf_rows(out.read_text())
    # cBioPortal mutation-file rules: the #version line first, the standard columns kept in
    # place, unique non-empty column names, every row as wide as the header, rows in order
    assert comments == comments_in and comments[0].startswith("#version")
    assert header[:len(header_in)] == header_in
    assert {"Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification",
            "HGVSp_Short"} <= set(header)
    assert len(set(header)) == len(header) and all(h.strip() for h in header)
    assert all(len(r) == len(header) for r in rows)
    assert [r[:len(header_in)] for r in rows[1:]] == rows_in[1:]          # input cells untouched
    added = header[len(header_in):]
    assert all(name.startswith("ALKSEQ_") for name in added)
    assert {"ALKSEQ_ROLE", "ALKSEQ_MECHANISM_CLASS", "ALKSEQ_LORLATINIB", "ALKSEQ_BEST_CANDIDATE",
            "ALKSEQ_HIGHEST_LEVEL", "ALKSEQ_TX_CITATIONS", "ALKSEQ_CITATIONS"} <= set(added)
    by_change = {r[header.index("HGVSp_Short")]: dict(zip(header, r)) for r in rows[1:]}
    g1202r = by_change["p.G1202R"]
    assert g1202r["ALKSEQ_ANNOTATED"] == "True" and g1202r["ALKSEQ_ROLE"] == "alk_kinase_domain"
    assert g1202r["ALKSEQ_LORLATINIB"] == "sensitive" and g1202r["ALKSEQ_ALECTINIB"] == "resistant"
    assert g1202r["ALKSEQ_CITATIONS"].startswith(("PMID:", "DOI:", "URL:", "NCT", "REF:"))
    v600e = by_change["p.V600E"]
    assert v600e["ALKSEQ_ROLE"] == "bypass" and v600e["ALKSEQ_LORLATINIB"] == ""
    assert v600e["ALKSEQ_SAMPLE_MECHANISM_CLASS"] == g1202r["ALKSEQ_SAMPLE_MECHANISM_CLASS"]
    assert g1202r["ALKSEQ_HIGHEST_LEVEL"] in "ABCDE"

    # the MAF reader reads it back to the same findings
    def findings(path):
        data = json.loads(run_cli("annotate", path, "--prior", "alectinib", "--format", "json").stdout)
        return [(s["sample"], [(a["name"], a["role"], a["origin"]["line"]) for a in s["alterations"]],
                 s["candidates"][0]["therapy"]) for s in data["samples"]]

    assert findings(out) == findings(MAF)
    # and annotating the annotated MAF again replaces alkseq's columns, never doubles them
    again = tmp_path / "again.maf"
    assert run_cli("annotate", out, "--prior", "alectinib", "-O", "maf", "-o", again).returncode == 0
    assert again.read_text() == out.read_text()


def test_maf_out_of_one_renamed_sample_of_several(tmp_path):
    out = tmp_path / "one.maf"
    assert run_cli("annotate", MAF, "--sample", "PT102", "--sample-name", "X", "-o", out).returncode == 0
    _, rows, header = _maf_rows(out.read_text())
    by_barcode = {}
    for row in rows[1:]:
        by_barcode.setdefault(row[header.index("Tumor_Sample_Barcode")], []).append(dict(zip(header, row)))
    assert all(r["ALKSEQ_ANNOTATED"] == "False" and not r["ALKSEQ_BEST_CANDIDATE"]
               for r in by_barcode["PT101"])
    assert all(r["ALKSEQ_BEST_CANDIDATE"] for r in by_barcode["PT102"])


def test_maf_out_of_a_vcf_is_refused():
    result = run_cli("annotate", VCF, "--format", "maf")
    assert result.returncode == 2 and "--format maf writes a MAF input back" in result.stderr


# --------------------------------------------------------------------------- MultiQC

def test_multiqc_reports_alkseq_sections_from_a_batch(tmp_path):
    assert MULTIQC, "multiqc is in the test extras"
    mqc = tmp_path / "mqc"
    result = run_cli("batch", SHEET, "-o", tmp_path / "cohort.csv", "--multiqc", mqc)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in mqc.iterdir()) == ["alkseq_mechanisms_mqc.yaml",
                                                      "alkseq_samples_mqc.tsv"]
    run = subprocess.run([MULTIQC, str(mqc), "-o", str(tmp_path / "report"), "--no-ansi"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    log = run.stdout + run.stderr
    assert "alkseq_samples: Found 8 samples" in log, log[-3000:]
    data = tmp_path / "report" / "multiqc_data"
    plots = json.loads((data / "multiqc_data.json").read_text())["report_plot_data"]
    assert {"alkseq_samples_table", "alkseq_mechanisms_plot"} <= set(plots)
    table = {r["Sample"]: r for r in csv.DictReader(
        (data / "multiqc_alkseq_samples_table.txt").open(), delimiter="\t")}
    cohort = {r["sample"]: r for r in csv.DictReader((tmp_path / "cohort.csv").open())}
    assert set(table) == set(cohort)
    for sample, row in cohort.items():
        assert table[sample]["Mechanism class"] == row["mechanism_class"]
        assert table[sample]["Top candidate"] == row["candidate_1"]
        assert table[sample]["Evidence"] == row["candidate_1_evidence"]
        assert table[sample]["Status"] == "ok"
    assert table["PT002"]["Phase"] == "L1196M+G1202R: cis"
    assert table["PT001"]["ALK mutations"] == "G1202R"
    bars = {r["Sample"]: r for r in csv.DictReader(
        (data / "multiqc_alkseq_mechanisms_plot.txt").open(), delimiter="\t")}
    assert float(bars["all samples"]["transformation"]) == 1
    assert sum(float(v or 0) for k, v in bars["all samples"].items() if k != "Sample") == len(cohort)
    html = (tmp_path / "report" / "multiqc_report.html").read_text()
    assert "alkseq: ALK TKI resistance" in html and "alkseq: resistance mechanisms" in html


def test_multiqc_files_of_a_batch_with_a_failed_sample(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"sample,path,prior\nA,{VCF},alectinib\nB,{tmp_path / 'missing.vcf'},\n")
    result = run_cli("batch", sheet, "--multiqc", tmp_path / "mqc")
    assert result.returncode == 10
    rows = list(csv.reader(line for line in (tmp_path / "mqc" / "alkseq_samples_mqc.tsv").open()
                           if not line.startswith("#")))
    text = (tmp_path / "mqc" / "alkseq_samples_mqc.tsv").read_text()
    assert "\nB\terror: " in text and len(rows) == 3
    plot = json.loads((tmp_path / "mqc" / "alkseq_mechanisms_mqc.yaml").read_text())
    assert plot["data"]["all samples"]["failed"] == 1
