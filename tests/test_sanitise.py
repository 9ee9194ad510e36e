"""One sanitiser for every writer (issue 15 item 10): a sample name holding ESC, BEL, a CSI
sequence, C1 controls, DEL or U+2028 never reaches an output raw — text, TSV, CSV, HTML and
the VCF header lines alkseq adds show escapes; JSON escapes them and keeps the exact value."""
from __future__ import annotations

import json
import re

import pytest

from alkseq.report import WRITERS
from alkseq.sanitise import json_safe, printable
from conftest import run_cli

HOSTILE = "TU\x1b[31mMOR\x07\x9b2J\x85\x90\x7f\u2028x"
RAW = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def hostile_vcf(path):
    path.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + HOSTILE + "\n"
                    "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n", encoding="utf-8")
    return path


def test_printable_and_json_safe():
    assert printable(HOSTILE) == "TU\\x1b[31mMOR\\x07\\x9b2J\\x85\\x90\\x7f\\u2028x"
    assert printable("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    document = json_safe(json.dumps({"s": HOSTILE}, ensure_ascii=False))
    assert not RAW.search(document) and json.loads(document) == {"s": HOSTILE}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_writer_escapes_a_hostile_sample_name(tmp_path, fmt):
    vcf = hostile_vcf(tmp_path / "in.vcf")
    out = tmp_path / f"out.{fmt}"
    extra = []
    if fmt == "maf":  # MAF out needs a MAF in (whose reader refuses control characters)
        vcf = tmp_path / "in.maf"
        vcf.write_text("Hugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode\nALK\tp.G1202R\tT1\n")
        extra = ["--sample-name", HOSTILE]
    done = run_cli("annotate", vcf, "--format", fmt, "-o", out, *extra)
    assert done.returncode == 0, done.stderr
    if fmt == "pdf":   # binary: rendered from the HTML page, which is checked as "html"
        assert out.read_bytes()[:5] == b"%PDF-"
        return
    text = out.read_text(encoding="utf-8")
    if fmt == "vcf":
        # the input's own #CHROM line is copied byte for byte; every line alkseq adds is clean
        own = [line for line in text.split("\n") if line.startswith("#CHROM")]
        assert own and HOSTILE in own[0]
        text = "\n".join(line for line in text.split("\n") if not line.startswith("#CHROM"))
        assert "##alkseq_summary=" in text
    if fmt == "maf":
        assert not RAW.search(text) and "ALKSEQ_BEST_CANDIDATE" in text
        return
    assert not RAW.search(text), [m.group() for m in RAW.finditer(text)][:5]
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        report = data[0] if isinstance(data, list) else data.get("samples", [data])[0]
        assert report["sample"] == HOSTILE                      # lossless
    elif fmt in ("fhir", "phenopacket"):                        # JSON too: escaped, lossless
        def strings(node):
            if isinstance(node, dict):
                node = list(node.values())
            if isinstance(node, list):
                return [s for item in node for s in strings(item)]
            return [node] if isinstance(node, str) else []
        assert any(HOSTILE in value for value in strings(json.loads(text)))
    else:
        assert "\\x1b[31mMOR\\x07\\x9b" in text                  # visible, inert


def test_batch_outputs_escape_hostile_sample_names(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
    name = "A\x1b[31mB\x07\x9bC\x85D"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"sample,path\n{name},{vcf}\n", encoding="utf-8")
    done = run_cli("batch", sheet, "-o", tmp_path / "cohort.csv", "--summary", tmp_path / "s.tsv",
                   "--html", tmp_path / "cohort.html", "--json-dir", tmp_path / "json",
                   "--html-dir", tmp_path / "pages")
    assert done.returncode == 0, done.stderr
    assert not RAW.search(done.stderr) and "Glyph" not in done.stderr   # no raw name in a figure
    files = [tmp_path / "cohort.csv", tmp_path / "s.tsv", tmp_path / "cohort.html",
             *(tmp_path / "json").iterdir(), *(tmp_path / "pages").iterdir()]
    for path in files:
        assert not RAW.search(path.read_text(encoding="utf-8")), path.name
    assert "A\\x1b[31mB" in (tmp_path / "cohort.csv").read_text()
    (page,) = (tmp_path / "json").iterdir()
    data = json.loads(page.read_text())
    report = data[0] if isinstance(data, list) else data.get("samples", [data])[0]
    assert report["sample"] == name                              # lossless in JSON
