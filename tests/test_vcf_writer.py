"""`alkseq annotate in.vcf --format vcf`: the input back with ALKSEQ_* INFO fields, read by bcftools.

The VCFs are written here with real GRCh38 ALK positions and reference bases (copied from
/work/shared/genome/alk_resistance_truth_grch37_grch38.tsv: G1202R chr2:29220747 C>T,
L1196M chr2:29220765 G>T; the second ALT there, G>C, is L1196V by the same codon CTG>GTG),
the BRAF V600E hotspot (chr7:140753336 A>T) and a MET copy-number segment.
"""
import gzip
import shutil
import subprocess

import pytest

from conftest import require_tool, run_cli

BCFTOOLS = shutil.which("bcftools")


@pytest.fixture()
def needs_bcftools():
    """bcftools reads back what alkseq writes: skip on a machine without it, fail under CI (.ci/run installs it)."""
    require_tool("bcftools")

HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr7,length=159345973>
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Weak evidence">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position">
##INFO=<ID=CN,Number=1,Type=Float,Description="Copy number">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	TUMOR
"""
RECORDS = [
    "chr2\t29220700\t.\tA\tG\t50\tPASS\tDP=100\tGT:AF\t0/1:0.3",            # intronic: not interpreted
    "chr2\t29220747\trs_g1202r\tC\tT\t50\tPASS\tDP=100\tGT:AF\t0/1:0.3",     # ALK G1202R
    "chr2\t29220765\t.\tG\tT,C\t50\tPASS\tDP=100\tGT:AF\t1/2:0.2,0.1",       # L1196M, L1196V
    "chr7\t116672100\tcnv1\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;END=116800000;CN=14\tGT\t0/1",  # MET amp
    "chr7\t140753336\t.\tA\tT\t50\tPASS\tDP=80\tGT:AF\t0/1:0.2",             # BRAF V600E
    "chr7\t150000000\t.\tC\tA\t12.5\tweak_evidence\tDP=9\tGT:AF\t0/1:0.05",   # outside known genes
]
FIELDS = ("ALKSEQ_GENE", "ALKSEQ_PC", "ALKSEQ_HGVSP", "ALKSEQ_NAME", "ALKSEQ_ROLE", "ALKSEQ_MECH",
          "ALKSEQ_MECHID", "ALKSEQ_SENS", "ALKSEQ_COMPOUND")


def write_vcf(path, records=RECORDS):
    path.write_text(HEADER + "\n".join(records) + "\n")
    return path


def lines_of(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        return handle.read().splitlines()


def bcftools(*args):
    return subprocess.run([BCFTOOLS, *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.mark.usefixtures("needs_bcftools")
def test_vcf_gz_round_trip_through_bcftools(tmp_path):
    source = write_vcf(tmp_path / "tumour.vcf")
    before = source.read_bytes()
    out = tmp_path / "annotated.vcf.gz"
    result = run_cli("annotate", source, "--prior", "alectinib", "--format", "vcf", "-o", out)
    assert result.returncode == 0, result.stderr
    assert source.read_bytes() == before                       # the input is never touched
    assert (tmp_path / "annotated.vcf.gz.tbi").is_file()
    assert out.read_bytes()[:4] == b"\x1f\x8b\x08\x04"          # BGZF, not plain gzip
    assert not list(tmp_path.glob(".*part*"))                    # no temporary files left

    view = bcftools("view", out)
    assert view.returncode == 0, view.stderr
    header = bcftools("view", "-h", out).stdout
    for name in FIELDS:
        assert f"##INFO=<ID={name},Number=A,Type=String" in header
    assert "##alkseq=<version=0.1.0,knowledge=" in header and 'command="alkseq annotate' in header
    assert "##alkseq_summary=<ID=TUMOR" in header and "MechanismClass=mixed" in header

    fmt = "%CHROM:%POS\t" + "\t".join(f"%{n}" for n in FIELDS) + "\n"
    query = bcftools("query", "-f", fmt, out)
    assert query.returncode == 0, query.stderr
    rows = {line.split("\t")[0]: dict(zip(FIELDS, line.split("\t")[1:]))
            for line in query.stdout.splitlines()}
    g1202r = rows["chr2:29220747"]
    assert (g1202r["ALKSEQ_GENE"], g1202r["ALKSEQ_PC"], g1202r["ALKSEQ_HGVSP"]) == \
        ("ALK", "G1202R", "p.Gly1202Arg")
    assert g1202r["ALKSEQ_ROLE"] == "alk_kinase_domain" and g1202r["ALKSEQ_MECH"] == "alk_dependent"
    sens = dict(pair.split(":") for pair in g1202r["ALKSEQ_SENS"].split("|"))
    assert sens["lorlatinib"] == "sensitive" and sens["alectinib"] == "resistant"
    # the multi-allelic record: one value per ALT (Number=A), in ALT order
    multi = rows["chr2:29220765"]
    assert multi["ALKSEQ_PC"] == "L1196M,L1196V"
    assert multi["ALKSEQ_GENE"] == "ALK,ALK"
    l1196m_sens = dict(p.split(":") for p in multi["ALKSEQ_SENS"].split(",")[0].split("|"))
    assert l1196m_sens["alectinib"] == "sensitive"      # per variant, not the patient's matrix
    met = rows["chr7:116672100"]
    assert met["ALKSEQ_GENE"] == "MET" and met["ALKSEQ_MECHID"] == "met_amplification"
    assert met["ALKSEQ_NAME"] == "MET_amplification_(CN_14)" and met["ALKSEQ_PC"] == "."
    assert rows["chr7:140753336"]["ALKSEQ_PC"] == "V600E"
    assert rows["chr7:140753336"]["ALKSEQ_ROLE"] == "bypass"
    for untouched in ("chr2:29220700", "chr7:150000000"):
        assert set(rows[untouched].values()) == {"."}

    # records alkseq did not interpret pass through byte for byte; the index answers regions
    out_records = [line for line in lines_of(out) if not line.startswith("#")]
    assert out_records[0] == RECORDS[0] and out_records[-1] == RECORDS[-1]
    assert len(out_records) == len(RECORDS)
    region = bcftools("view", "-H", "-r", "chr2:29220747", out)
    assert region.returncode == 0 and "ALKSEQ_PC=G1202R" in region.stdout


@pytest.mark.usefixtures("needs_bcftools")
def test_bgzipped_indexed_input_and_bcf_input(tmp_path):
    """Indexed input (records read by region, no line numbers) and BCF are matched too."""
    plain = write_vcf(tmp_path / "t.vcf")
    gz = tmp_path / "t.vcf.gz"
    assert bcftools("view", "-Oz", "-o", gz, plain).returncode == 0
    assert bcftools("index", "-t", gz).returncode == 0
    bcf = tmp_path / "t.bcf"
    assert bcftools("view", "-Ob", "-o", bcf, plain).returncode == 0
    for source in (gz, bcf):
        out = tmp_path / f"out_{source.name}.vcf"
        result = run_cli("annotate", source, "--format", "vcf", "-o", out)
        assert result.returncode == 0, result.stderr
        query = bcftools("query", "-f", "%POS %ALKSEQ_PC\n", out).stdout
        assert "29220747 G1202R" in query and "29220765 L1196M,L1196V" in query


def test_stdout_is_plain_vcf_text_and_plain_output(tmp_path):
    source = write_vcf(tmp_path / "t.vcf")
    result = run_cli("annotate", source, "--format", "vcf")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("##fileformat=VCFv4.2\n")
    assert "ALKSEQ_PC=G1202R" in result.stdout
    out = tmp_path / "out.vcf"
    assert run_cli("annotate", source, "--format", "vcf", "-o", out).returncode == 0
    def without_command(text):
        return [line for line in text.splitlines() if not line.startswith("##alkseq=")]
    assert without_command(out.read_text()) == without_command(result.stdout)
    assert not (tmp_path / "out.vcf.tbi").exists()


def test_non_vcf_input_is_a_usage_error(tmp_path):
    panel = tmp_path / "panel.tsv"
    panel.write_text("gene\talteration\nALK\tG1202R\n")
    result = run_cli("annotate", panel, "--format", "vcf", "-o", tmp_path / "x.vcf.gz")
    assert result.returncode == 2
    assert "read as panel" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.vcf.gz").exists()


def test_never_overwrites_the_input(tmp_path):
    source = write_vcf(tmp_path / "t.vcf")
    before = source.read_bytes()
    result = run_cli("annotate", source, "--format", "vcf", "-o", source)
    assert result.returncode == 6 and "overwrite an input" in result.stderr
    assert source.read_bytes() == before
    gz = tmp_path / "t.vcf.gz"
    gz.write_bytes(gzip.compress(before))
    result = run_cli("annotate", gz, "--format", "vcf", "-o", gz)
    assert result.returncode == 6 and gzip.decompress(gz.read_bytes()) == before


def test_reannotating_an_alkseq_vcf_replaces_its_fields(tmp_path):
    source = write_vcf(tmp_path / "t.vcf")
    first = tmp_path / "first.vcf"
    second = tmp_path / "second.vcf"
    assert run_cli("annotate", source, "--format", "vcf", "-o", first).returncode == 0
    result = run_cli("annotate", first, "--format", "vcf", "-o", second)
    assert result.returncode == 0, result.stderr
    text = second.read_text()
    assert text.count("##INFO=<ID=ALKSEQ_PC,") == 1 and text.count("##alkseq=<") == 1
    assert text.count("ALKSEQ_PC=G1202R") == 1
    record = next(line for line in text.splitlines() if line.startswith("chr2\t29220747"))
    assert record.count("ALKSEQ_GENE=") == 1 and "DP=100" in record


def test_render_api_matches_cli_records(tmp_path):
    """The library call: render() returns the annotated VCF for reports from alkseq.annotate."""
    import alkseq
    from alkseq.report import vcf_writer

    source = write_vcf(tmp_path / "t.vcf")
    reports = alkseq.annotate(source, prior=["lorlatinib"])
    text = vcf_writer.render(reports, command="test")
    records = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(records) == len(RECORDS)
    assert 'command="test"' in text
    assert "ALKSEQ_COMPOUND=" in text  # G1202R and L1196M: a compound of unknown phase


def test_unsorted_input_to_vcf_gz_is_an_output_error_and_leaves_nothing(tmp_path):
    source = write_vcf(tmp_path / "t.vcf", list(reversed(RECORDS)))
    out = tmp_path / "o.vcf.gz"
    result = run_cli("annotate", source, "--format", "vcf", "-o", out)
    assert result.returncode == 6, result.stderr
    assert "sorted" in result.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["t.vcf"]


def test_records_merged_into_one_codon_change_are_all_annotated(tmp_path):
    """Two SNVs in ALK codon 1202 become one change (G1202K); each of the two input records carries it.
    The writer learns which records those were from the finding's data (GenomicVariant.merged_from),
    not by reading its notes back."""
    from alkseq.genome.transcript import load_transcript

    tx = load_transcript("ALK", "GRCh38")
    first, second = tx.genomic_of(3604), tx.genomic_of(3605)
    source = write_vcf(tmp_path / "codon.vcf", [
        f"chr2\t{second}\t.\tC\tT\t50\tPASS\tDP=100\tGT:AF\t0/1:0.3",
        f"chr2\t{first}\t.\tC\tT\t50\tPASS\tDP=100\tGT:AF\t0/1:0.35",
    ])
    out = tmp_path / "annotated.vcf"
    result = run_cli("annotate", source, "--prior", "alectinib", "--format", "vcf", "-o", out)
    assert result.returncode == 0, result.stderr
    records = [line.split("\t") for line in lines_of(out) if not line.startswith("#")]
    assert [int(r[1]) for r in records] == [second, first]
    assert all("ALKSEQ_PC=G1202K" in r[7] and "ALKSEQ_GENE=ALK" in r[7] for r in records)
