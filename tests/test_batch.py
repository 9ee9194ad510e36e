"""`alkseq batch` and `alkseq.batch()`: a generated cohort of mixed formats, with broken samples,
run serially, on worker processes and on a real Dask LocalCluster, with identical results.

VCF records use real GRCh38 ALK positions and reference bases, copied from
/work/shared/genome/alk_resistance_truth_grch37_grch38.tsv (G1202R chr2:29220747 C>T,
L1196M chr2:29220765 G>T, I1171N chr2:29222347 A>T, C1156Y chr2:29222392 C>T,
G1269A chr2:29209816 C>G), plus the BRAF V600E hotspot chr7:140753336 A>T and a MET
copy-number segment; sample names, depths and allele fractions are invented.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli

VCF_HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr7,length=159345973>
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position">
##INFO=<ID=CN,Number=1,Type=Float,Description="Copy number">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	{sample}
"""
SNV = {  # protein change → (chrom, GRCh38 position, REF, ALT), from the truth table
    "G1202R": ("chr2", 29220747, "C", "T"),
    "L1196M": ("chr2", 29220765, "G", "T"),
    "I1171N": ("chr2", 29222347, "A", "T"),
    "C1156Y": ("chr2", 29222392, "C", "T"),
    "G1269A": ("chr2", 29209816, "C", "G"),
    "BRAF V600E": ("chr7", 140753336, "A", "T"),
}
MET_AMP = "chr7\t116672100\tcnv\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;END=116800000;CN=14\tGT\t0/1"
VCF_KINDS = [("G1202R",), ("L1196M",), ("G1202R", "L1196M"), ("I1171N",), ("C1156Y", "G1269A"),
             ("MET",), ("BRAF V600E",), ()]
PANEL_ROWS = [
    [("ALK", "G1202R", "", "31")], [("ALK", "p.Leu1196Met", "", "12")],
    [("MET", "amplification", "12", "")], [("ALK", "EML4-ALK v3", "", "")],
    [("TP53", "R248Q", "", "40")],
    [("ALK", "G1202R", "", "20"), ("ALK", "L1196M", "", "18")], [],
]
PRIORS = ["crizotinib;alectinib", "alectinib", "alectinib;lorlatinib", "brigatinib", "",
          "crizotinib;ceritinib;lorlatinib"]


def vcf_text(sample: str, kind: tuple[str, ...]) -> str:
    lines = [VCF_HEADER.format(sample=sample).rstrip("\n")]
    records = []
    for name in kind:
        if name == "MET":
            records.append(MET_AMP)
        else:
            chrom, pos, ref, alt = SNV[name]
            records.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT:AF\t0/1:0.25")
    records.sort(key=lambda r: (r.split("\t")[0], int(r.split("\t")[1])))
    return "\n".join(lines + records) + "\n"


def panel_text(rows, sep: str) -> str:
    out = [sep.join(("gene", "alteration", "copy_number", "vaf"))]
    out += [sep.join(row) for row in rows]
    return "\n".join(out) + "\n"


def maf_text(sample: str, change: str) -> str:
    header = ("Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tVariant_Classification\t"
              "Variant_Type\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\tTumor_Sample_Barcode\t"
              "HGVSp_Short\tt_depth\tt_alt_count")
    chrom, pos, ref, alt = SNV[change]
    row = (f"ALK\tGRCh38\t{chrom[3:]}\t{pos}\t{pos}\tMissense_Mutation\tSNP\t{ref}\t{ref}\t{alt}\t"
           f"{sample}\tp.{change}\t300\t75")
    return "#version 2.4\n" + header + "\n" + row + "\n"


BROKEN = {  # name → (file name, bytes or None for a missing file, why it fails)
    "broken_missing": ("missing.vcf", None),
    "broken_truncated_gz": ("trunc.vcf.gz", "truncated"),
    "broken_wrong_ref": ("wrong_ref.vcf", "wrong_ref"),
    "broken_empty": ("empty.tsv", b""),
    "broken_binary": ("garbage.bin", bytes(range(256)) * 4),
    "broken_header": ("badheader.vcf", b"##fileformat=VCFv4.2\n##INFO=<ID=X,Number=1\n#CHROM\tPOS\n"),
}


def make_cohort(directory: Path, n: int = 210) -> tuple[Path, list[str], set[str]]:
    """Write ``n`` good samples of mixed formats, the broken ones, and a samplesheet."""
    data = directory / "data"
    data.mkdir(parents=True)
    rows = [("sample", "path", "prior", "histology", "progression", "build", "specimen")]
    order = []
    for i in range(n):
        sample = f"S{i:03d}"
        prior = PRIORS[i % len(PRIORS)]
        histology = "small-cell" if i % 37 == 5 else ""
        kind = i % 5
        if kind in (0, 1):      # VCF, plain or gzip
            text = vcf_text(sample, VCF_KINDS[i % len(VCF_KINDS)])
            if kind == 1:
                name = f"{sample}.vcf.gz"
                (data / name).write_bytes(gzip.compress(text.encode()))
            else:
                name = f"{sample}.vcf"
                (data / name).write_text(text)
        elif kind == 2:         # panel TSV
            name = f"{sample}.tsv"
            (data / name).write_text(panel_text(PANEL_ROWS[i % len(PANEL_ROWS)], "\t"))
        elif kind == 3:         # panel CSV
            name = f"{sample}.csv"
            (data / name).write_text(panel_text(PANEL_ROWS[(i + 3) % len(PANEL_ROWS)], ","))
        else:                   # MAF
            name = f"{sample}.maf"
            (data / name).write_text(maf_text(sample, ("G1202R", "L1196M", "I1171N")[i % 3]))
        rows.append((sample, f"data/{name}", prior, histology, "systemic" if i % 4 else "", "", ""))
        order.append(sample)
    broken = set()
    for sample, (name, content) in BROKEN.items():
        if content == "truncated":
            raw = gzip.compress(vcf_text(sample, ("G1202R",)).encode())
            (data / name).write_bytes(raw[: len(raw) // 2])
        elif content == "wrong_ref":   # REF G where GRCh38 has C: a reference mismatch
            (data / name).write_text(vcf_text(sample, ("G1202R",)).replace("\tC\tT\t", "\tG\tT\t"))
        elif content is not None:
            (data / name).write_bytes(content)
        rows.append((sample, f"data/{name}", "alectinib", "", "", "", ""))
        order.append(sample)
        broken.add(sample)
    # bad values in otherwise good rows: an unknown drug, an unknown histology, a bad build
    (data / "ok.tsv").write_text(panel_text([("ALK", "G1202R", "", "10")], "\t"))
    for sample, prior, histology, build in (("bad_drug", "notadrug", "", ""),
                                            ("bad_histology", "alectinib", "sarcoma", ""),
                                            ("bad_build", "alectinib", "", "hg17")):
        rows.append((sample, "data/ok.tsv", prior, histology, "", build, ""))
        order.append(sample)
        broken.add(sample)
    sheet = directory / "samples.csv"
    with open(sheet, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return sheet, order, broken


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return make_cohort(tmp_path_factory.mktemp("cohort"))


@pytest.fixture(scope="module")
def serial(cohort):
    import alkseq

    sheet, _, _ = cohort
    return alkseq.batch(sheet, progress=False)


def comparable(result):
    return result.rows, [json.dumps(d, sort_keys=True) for d in result.to_dicts()]


def test_serial_cohort_reports_every_sample_in_order(cohort, serial):
    sheet, order, broken = cohort
    assert len(order) >= 200
    assert [r["sample"] for r in serial.rows] == order
    failed = {r["sample"] for r in serial.rows if r["status"] == "error"}
    assert failed == broken                                   # broken ones, and nothing else
    assert serial.exit_code == 10 and len(serial.failures) == len(broken)
    for row in serial.rows:
        if row["status"] == "error":
            assert row["error"] and "\n" not in row["error"] and row["mechanism_class"] == ""
        else:
            assert row["error"] == "" and row["mechanism_class"] in (
                "alk_dependent", "bypass", "transformation", "mixed", "none_found")
            assert row["knowledge_version"]
    by_sample = {r["sample"]: r for r in serial.rows}
    assert "no such file" in by_sample["broken_missing"]["error"]
    assert "trunc.vcf.gz" in by_sample["broken_truncated_gz"]["error"]
    assert "disagrees" in by_sample["broken_wrong_ref"]["error"]
    assert "unknown drug 'notadrug'" in by_sample["bad_drug"]["error"]
    assert "--histology" in by_sample["bad_histology"]["error"]
    assert "hg17" in by_sample["bad_build"]["error"]
    # formats and findings came through
    formats = {r["input_format"] for r in serial.rows if r["status"] == "ok"}
    assert formats == {"vcf", "panel", "maf"}
    assert "ALK G1202R" in by_sample["S000"]["key_alterations"]          # VCF G1202R
    assert by_sample["S000"]["candidate_1"] and by_sample["S000"]["candidate_1_evidence"]
    assert by_sample["S045"]["mechanism_class"] == "bypass"             # VCF MET amplification
    assert by_sample["S045"]["key_alterations"].startswith("MET amplification")
    assert by_sample["S005"]["mechanism_class"] == "mixed"        # MET amplification + small-cell
    assert "L1196M+G1202R" in by_sample["S010"]["compounds"]            # plain VCF, two mutations
    assert by_sample["S005"]["prior_therapies"] == "crizotinib;ceritinib;lorlatinib"
    assert by_sample["S042"]["mechanism_class"] in ("transformation", "mixed")  # small-cell


def test_workers_and_dask_local_cluster_give_identical_results(cohort, serial):
    import alkseq
    from distributed import Client, LocalCluster

    sheet, _, _ = cohort
    with_workers = alkseq.batch(sheet, workers=2, progress=False)
    assert comparable(with_workers) == comparable(serial)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = alkseq.batch(sheet, scheduler=client, progress=False, chunk_size=16)
    assert comparable(on_dask) == comparable(serial)
    local = alkseq.batch(sheet, workers=2, scheduler="local", dask_processes=False,
                         progress=False)
    assert comparable(local) == comparable(serial)
    # joining a running scheduler by address, as `--scheduler tcp://HOST:PORT` does
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        remote = alkseq.batch(sheet, scheduler=cluster.scheduler_address, progress=False)
    assert comparable(remote) == comparable(serial)


def test_a_worker_sends_reports_packed_and_the_batch_rebuilds_one_only_when_it_is_used(cohort, serial):
    """Results cross from a worker process as pickled bytes plus their cohort row (``batching._packed``;
    a chunk's reports pickled together): the CSV rows and the failures come without rebuilding a report;
    a report, once asked for, is the same."""
    import pickle

    from alkseq import batching
    from alkseq.report.cohort import row
    from alkseq.samplesheet import read_samplesheet

    sheet, _, broken = cohort
    rows = read_samplesheet(sheet)
    rows = [r for r in rows if r.sample in broken][:2] + [r for r in rows if r.sample not in broken][:6]
    version = serial.results[0].knowledge_version
    plain = batching._run_chunk(rows, None, version)
    sent = pickle.loads(pickle.dumps(batching._run_chunk(rows, None, version, pack=True)))
    assert sum(r.ok for r in sent) == 6 and sum(not r.ok for r in sent) == 2
    result = batching.BatchResult(str(sheet), sent)
    assert result.rows == [row(r) for r in plain]
    assert result.failures == [r.failure for r in plain if not r.ok]
    assert not any("report" in vars(r) for r in sent if r.ok)          # nothing rebuilt so far
    holders = {id(vars(r)["_packed"][0]) for r in sent if r.ok}
    assert len(holders) == 1                                           # the chunk's reports: one pickle
    again = pickle.loads(pickle.dumps(sent[3]))                         # still packed when sent on
    assert "report" not in vars(again) and again.report == plain[3].report
    assert result.reports == [r.report for r in plain if r.ok]
    assert sent == plain and all("_packed" not in vars(r) for r in sent)
    with pytest.raises(AttributeError):
        sent[0].no_such_field


@pytest.mark.parametrize("rows, workers", [(600, 2), (200, 2), (1_000, 4), (37, 2), (5, 2), (1, 2)])
def test_a_parallel_batch_cuts_its_tail_into_shrinking_chunks(rows, workers):
    """Several workers get full chunks, then smaller and smaller ones (a quarter of the rows left), so
    no worker runs a whole chunk alone at the end; every row once, in samplesheet order. One worker, or
    a chunk size given, keeps one size."""
    from alkseq import batching

    items = list(range(rows))
    chunks = batching._chunks(items, workers)
    sizes = [len(c) for c in chunks]
    assert [i for chunk in chunks for i in chunk] == items
    full = batching._chunk_size(rows, workers)
    assert max(sizes) == full and sizes == sorted(sizes, reverse=True)
    tail = sizes[sizes.index(max(sizes)) + sizes.count(max(sizes)):]
    if rows >= 200:
        assert len(tail) >= 5 and tail[-1] <= batching.MIN_TAIL_CHUNK
        assert all(size >= min(full, batching.MIN_TAIL_CHUNK) for size in sizes[:-1])
    assert [len(c) for c in batching._chunks(items, 1)] == \
        [min(batching.MAX_CHUNK, rows - i) for i in range(0, rows, batching.MAX_CHUNK)]
    assert {len(c) for c in batching._chunks(items, workers, 7)[:-1]} <= {7}


def test_result_converts_to_dicts_and_dataframe(serial):
    from alkseq.report.cohort import COLUMN_NAMES

    frame = serial.to_dataframe()
    assert list(frame.columns) == list(COLUMN_NAMES)
    assert len(frame) == len(serial.rows)
    assert (frame["status"] == "error").sum() == len(serial.failures)
    dicts = serial.to_dicts()
    assert len(dicts) == len(serial.reports) and set(dicts[0]) >= {"sample", "candidates"}
    assert serial.document()["schema"] == "alkseq-report/2.0"
    assert dicts[0]["sample"] == "S000"     # the samplesheet's name, not the file's


def test_cli_batch_writes_csv_summary_and_json(cohort, tmp_path):
    sheet, order, broken = cohort
    out, summary, json_dir = tmp_path / "cohort.csv", tmp_path / "summary.tsv", tmp_path / "json"
    result = run_cli("batch", sheet, "-o", out, "--summary", summary, "--json-dir", json_dir,
                     "--workers", "2")
    assert result.returncode == 10, result.stderr
    assert f"{len(broken)} of {len(order)} samples failed" in result.stderr
    assert result.stderr.count("\n") == 1                       # not a TTY: no progress bar
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["sample"] for r in rows] == order
    assert len(list(json_dir.glob("*.json"))) == len(order) - len(broken)
    report = json.loads((json_dir / "S000.json").read_text())["samples"][0]
    assert report["sample"] == "S000" and report["mechanism_class"]
    table = list(csv.DictReader(io.StringIO(summary.read_text()), delimiter="\t"))
    groups = {r["last_prior_alk_tki"]: r for r in table}
    assert table[-1]["last_prior_alk_tki"] == "all samples"
    assert int(groups["all samples"]["n"]) == len(order) - len(broken)
    assert sum(int(r["n"]) for r in table[:-1]) == int(groups["all samples"]["n"])
    assert {"alectinib", "lorlatinib", "brigatinib", "no prior ALK TKI"} <= set(groups)


def test_summary_counts_and_percentages(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    files = {"g1202r.tsv": [("ALK", "G1202R", "", "")],
             "compound.tsv": [("ALK", "G1202R", "", ""), ("ALK", "L1196M", "", "")],
             "met.tsv": [("MET", "amplification", "14", "")],
             "nothing.tsv": []}
    for name, rows in files.items():
        (data / name).write_text(panel_text(rows, "\t"))
    (tmp_path / "s.csv").write_text(
        "sample,path,prior\n"
        "A,d/g1202r.tsv,crizotinib;alectinib\nB,d/compound.tsv,alectinib;lorlatinib\n"
        "C,d/met.tsv,alectinib;lorlatinib\nD,d/nothing.tsv,alectinib;lorlatinib\n"
        "E,d/g1202r.tsv,lorlatinib\nF,d/nothing.tsv,\n")
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "c.csv",
                     "--summary", tmp_path / "sum.tsv")
    assert result.returncode == 0, result.stderr
    table = {r["last_prior_alk_tki"]: r for r in
             csv.DictReader(open(tmp_path / "sum.tsv"), delimiter="\t")}
    assert list(table) == ["no prior ALK TKI", "alectinib", "lorlatinib", "all samples"]
    lor = table["lorlatinib"]
    assert lor["n"] == "4"
    assert (lor["g1202r_n"], lor["g1202r_pct"]) == ("2", "50.0")
    assert (lor["alk_compound_n"], lor["alk_compound_pct"]) == ("1", "25.0")
    assert (lor["met_amplification_n"], lor["met_amplification_pct"]) == ("1", "25.0")
    assert (lor["none_found_n"], lor["none_found_pct"]) == ("1", "25.0")
    assert table["alectinib"]["g1202r_pct"] == "100.0"
    assert table["all samples"]["n"] == "6" and table["all samples"]["alk_kd_mutation_n"] == "3"


def test_all_ok_exits_zero_and_paths_resolve_against_the_samplesheet(tmp_path):
    (tmp_path / "sheets").mkdir()
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "sheets" / "s.tsv").write_text("sample\tpath\tprior\nA\t../inputs/a.tsv\talectinib\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = run_cli("batch", tmp_path / "sheets" / "s.tsv", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sample,status,")             # no -o: the CSV on stdout
    assert ",ok," in result.stdout and result.stderr == ""


def test_output_names_never_escape_the_output_folder(tmp_path):
    from alkseq.samplesheet import output_path, safe_name

    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    names = ["../escape", "../../etc/passwd", "/tmp/absolute", "..", ".", "a/b", "a_b", "CON",
             "=HYPERLINK(\"x\")", "s p a c e", "ünïcode", "x" * 300, ".hidden", "-rf"]
    with open(tmp_path / "s.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample", "path"])
        writer.writerows([name, "a.tsv"] for name in names)
    out_dir = tmp_path / "out" / "json"
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "c.csv", "--json-dir", out_dir)
    assert result.returncode == 0, result.stderr
    written = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert len(written) == len(names)                     # a_b and a/b do not share a file
    assert all(p.parent == out_dir for p in written)
    assert all(not p.name.startswith((".", "-")) and len(p.name) < 130 for p in written)
    assert sorted(tmp_path.iterdir()) == sorted([tmp_path / n for n in ("a.tsv", "s.csv", "c.csv",
                                                                         "out")])
    for name in names + ["a\x00b", "\\..\\x", "x\n/../y"]:
        target = output_path(out_dir, name, ".json")
        assert target.parent == out_dir.resolve()
        assert "/" not in safe_name(name) and "\x00" not in safe_name(name)
    # the cohort CSV cell is made spreadsheet-safe
    rows = list(csv.DictReader(open(tmp_path / "c.csv")))
    assert any(r["sample"] == "'=HYPERLINK(\"x\")" for r in rows)


@pytest.mark.parametrize("option,suffix", [("--json-dir", ".json"), ("--html-dir", ".html")])
def test_a_link_in_the_output_folder_never_writes_outside_it(tmp_path, option, suffix):
    """A page name that is already a symlink is followed only inside the folder (the folder
    itself is resolved once per batch; a name is resolved only when it is a link)."""
    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "s.csv").write_text("sample,path\nS1,a.tsv\nS2,a.tsv\n")
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    (out / f"S2{suffix}").symlink_to(outside)
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "c.csv", option, out)
    assert result.returncode == 6, result.stderr
    assert "would write outside the output folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert outside.read_text() == "keep me\n" and (out / f"S2{suffix}").is_symlink()
    assert not (tmp_path / "c.csv").exists()
    # a link to a file inside the folder is followed: the page replaces that file, the link stays
    inside = out / f"kept{suffix}"
    inside.write_text("old\n")
    (out / f"S2{suffix}").unlink()
    (out / f"S2{suffix}").symlink_to(inside.name)
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "c.csv", option, out)
    assert result.returncode == 0, result.stderr
    assert (out / f"S2{suffix}").is_symlink() and inside.read_text() != "old\n"
    assert "S2" in inside.read_text() and (out / f"S1{suffix}").is_file()


def test_nul_in_samplesheet_is_an_input_error(tmp_path):
    (tmp_path / "s.csv").write_bytes(b"sample,path\nA\x00B,a.tsv\n")
    result = run_cli("batch", tmp_path / "s.csv")
    assert result.returncode == 3 and "s.csv:2" in result.stderr


@pytest.mark.parametrize("text, message", [
    ("name,path\nA,a.tsv\n", "lacks column(s) sample"),
    ("sample,path\nA,a.tsv\nA,b.tsv\n", "appears twice (lines 2 and 3)"),
    ("sample,path\n,a.tsv\n", "empty sample name"),
    ("", "samplesheet is empty"),
    ("# cohort\nsample,path\n\n", "s.csv:2: samplesheet has a header but no sample rows"),
])
def test_broken_samplesheets_stop_before_running(tmp_path, text, message):
    (tmp_path / "s.csv").write_text(text)
    out = tmp_path / "c.csv"
    result = run_cli("batch", tmp_path / "s.csv", "-o", out)
    assert result.returncode == 3 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_unwritable_output_fails_before_the_run(tmp_path):
    (tmp_path / "s.csv").write_text("sample,path\nA,a.tsv\n")
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "nope" / "c.csv")
    assert result.returncode == 6 and "does not exist" in result.stderr


def test_bad_scheduler_is_a_usage_error(tmp_path):
    (tmp_path / "a.tsv").write_text(panel_text([], "\t"))
    (tmp_path / "s.csv").write_text("sample,path\nA,a.tsv\n")
    result = run_cli("batch", tmp_path / "s.csv", "--scheduler", "nonsense")
    assert result.returncode == 2 and "tcp://HOST:PORT" in result.stderr


def test_interrupted_batch_leaves_no_half_written_csv(tmp_path):
    """Ctrl-C mid-run: the old cohort.csv stays whole (or the new one is complete)."""
    sheet, order, _ = make_cohort(tmp_path / "c", n=600)
    out = tmp_path / "cohort.csv"
    out.write_text("old,complete\n")
    process = subprocess.Popen([sys.executable, "-m", "alkseq", "batch", str(sheet), "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    text = out.read_text()
    if process.returncode == 130:
        assert text == "old,complete\n"
        assert "alkseq: interrupted" in stderr or "alkseq: aborted" in stderr
        assert "Traceback" not in stderr
    else:  # finished before the signal: then the CSV is complete
        assert len(text.splitlines()) == len(order) + 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_api_mirrors_cli_outputs(tmp_path):
    import alkseq

    (tmp_path / "a.tsv").write_text(panel_text([("MET", "amplification", "14", "")], "\t"))
    (tmp_path / "s.csv").write_text("sample,path,prior\nA,a.tsv,alectinib;lorlatinib\n")
    result = alkseq.batch(tmp_path / "s.csv", output=str(tmp_path / "c.csv"),
                          summary=str(tmp_path / "s.tsv"), json_dir=str(tmp_path / "j"),
                          progress=False)
    assert result.exit_code == 0 and result.rows[0]["mechanism_class"] == "bypass"
    assert (tmp_path / "c.csv").read_text().splitlines()[1].startswith("A,ok,")
    assert (tmp_path / "j" / "A.json").is_file() and (tmp_path / "s.tsv").is_file()


def test_html_cohort_and_per_sample_pages(tmp_path):
    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "s.csv").write_text("sample,path,prior\nA/1,a.tsv,alectinib\n")
    result = run_cli("batch", tmp_path / "s.csv", "-o", tmp_path / "c.csv",
                     "--html", tmp_path / "cohort.html", "--html-dir", tmp_path / "pages")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "cohort.html").read_text()
    assert "<html" in page.lower()
    pages = list((tmp_path / "pages").glob("*.html"))
    assert len(pages) == 1 and pages[0].name.startswith("A_1-")   # sanitised, inside --html-dir
    assert f"pages/{pages[0].name}" in page                         # the cohort links to it


def test_progress_bar_on_a_terminal_and_quiet_turns_it_off(tmp_path):
    import pty

    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "s.csv").write_text("sample,path\n" + "".join(f"S{i},a.tsv\n" for i in range(30)))

    def stderr_on_a_tty(*extra):
        master, slave = pty.openpty()
        process = subprocess.Popen([sys.executable, "-m", "alkseq", "batch", str(tmp_path / "s.csv"),
                                    "-o", str(tmp_path / "c.csv"), *extra],
                                   stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert process.wait(timeout=120) == 0
        return b"".join(chunks).decode("utf-8", "replace")

    assert "alkseq batch" in stderr_on_a_tty()
    assert "alkseq batch" not in stderr_on_a_tty("--quiet")


def test_output_over_an_input_is_refused_before_the_run(tmp_path):
    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    sheet = tmp_path / "s.csv"
    sheet.write_text("sample,path\nA,a.tsv\n")
    for target in (sheet, tmp_path / "a.tsv"):
        before = target.read_bytes()
        result = run_cli("batch", sheet, "-o", target)
        assert result.returncode == 6 and "overwrite an input" in result.stderr
        assert target.read_bytes() == before


def _page_cohort(tmp_path, n: int = 40) -> Path:
    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "b.tsv").write_text(panel_text([("ALK", "I1171N", "", ""), ("MET", "amplification", "", "8")], "\t"))
    sheet = tmp_path / "s.csv"
    sheet.write_text("sample,path,prior\n" + "".join(f"S{i},{'ab'[i % 2]}.tsv,alectinib\n" for i in range(n)))
    return sheet


# ``alkseq batch`` in a fresh interpreter (no thread left by another test, which would rule the fork
# out), each forked child leaving a marker file; ``INJECT`` runs first (a fault for the child only)
_FRESH_BATCH = """
import os, sys
marks, inject = sys.argv[1], sys.argv[2]
os.register_at_fork(after_in_child=lambda: open(os.path.join(marks, f"child-{os.getpid()}"), "w").close())
if inject == "child-fails":
    from alkseq.report import html
    parent, render = os.getpid(), html.render
    def render_here_only(reports, **options):
        if os.getpid() != parent:
            raise RuntimeError("injected: the helper fails")
        return render(reports, **options)
    html.render = render_here_only
from alkseq.cli import main
sys.argv = ["alkseq", *sys.argv[3:]]
main()
"""


def _fresh_batch(tmp_path, sheet, pages: str, inject: str = "none"):
    marks = tmp_path / f"marks-{pages}"
    marks.mkdir()
    done = subprocess.run([sys.executable, "-c", _FRESH_BATCH, str(marks), inject, "batch", str(sheet), "--quiet",
                           "-o", str(tmp_path / f"{pages}.csv"), "--html-dir", str(tmp_path / pages)],
                          capture_output=True, text=True, timeout=300)
    return done, list(marks.iterdir())


@pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                    reason="the page helper forks only on Linux with two usable CPUs")
@pytest.mark.parametrize("inject", ["none", "child-fails"])
def test_a_serial_batch_draws_pages_with_a_forked_helper_and_the_same_bytes(tmp_path, inject):
    """#18: with no --workers, a forked child draws half of each chunk's --html-dir pages (it ran: it left
    its marker); the pages and the cohort CSV are those of one process (``--workers 1``, no child). A child
    that fails (a fault injected in the child only) leaves its pages to the batch: the same bytes."""
    sheet = _page_cohort(tmp_path)
    alone = subprocess.run([sys.executable, "-m", "alkseq", "batch", str(sheet), "--quiet", "--workers", "1",
                            "-o", str(tmp_path / "one.csv"), "--html-dir", str(tmp_path / "one")],
                           capture_output=True, text=True, timeout=300)
    assert alone.returncode == 0, alone.stderr
    helped, children = _fresh_batch(tmp_path, sheet, "helped", inject)
    assert helped.returncode == 0, helped.stderr
    assert children, "no child was forked"
    assert (tmp_path / "helped.csv").read_text() == (tmp_path / "one.csv").read_text()
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert len(names) == 40 and sorted(p.name for p in (tmp_path / "helped").iterdir()) == names
    for name in names:
        assert (tmp_path / "helped" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                    reason="the page helper forks only on Linux with two usable CPUs")
@pytest.mark.parametrize("broken", ["S7", "S33"])     # in the child's half, in this process's half
def test_a_page_that_cannot_be_written_is_one_error_and_the_pages_before_it_are_whole(tmp_path, broken):
    """With the page helper: a page that cannot be written is one line naming it (exit 6), whichever
    process drew it; every page before it is written and whole, and no temporary file is left."""
    sheet = _page_cohort(tmp_path)
    assert run_cli("batch", sheet, "--quiet", "--workers", "1", "-o", tmp_path / "one.csv",
                   "--html-dir", tmp_path / "pages").returncode == 0
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / f"{broken}.html").mkdir()       # a folder where a page must go
    done, children = _fresh_batch(tmp_path, sheet, "broken")
    assert children, "no child was forked"
    assert done.returncode == 6 and f"{broken}.html" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not [p for p in (tmp_path / "broken").iterdir() if p.name.endswith(".part")]
    written = {p.name for p in (tmp_path / "broken").glob("*.html") if p.is_file()}
    assert {f"S{i}.html" for i in range(int(broken[1:]))} <= written     # every page before the failure
    for name in written:
        assert (tmp_path / "broken" / name).read_bytes() == (tmp_path / "pages" / name).read_bytes()


def test_pages_written_by_threads_match_one_by_one_and_a_failure_is_one_line(tmp_path):
    """--html-dir pages (and --json-dir files) are written by a few threads (concurrent fsyncs): the same
    bytes as rendering and writing each in turn; a page that cannot be written is one OutputError naming
    it, every page written is whole, and no temporary file is left."""
    import alkseq
    from alkseq.errors import OutputError
    from alkseq.report import html as html_writer

    (tmp_path / "a.tsv").write_text(panel_text([("ALK", "G1202R", "", "")], "\t"))
    (tmp_path / "s.csv").write_text("sample,path,prior\n" + "".join(f"S{i},a.tsv,alectinib\n" for i in range(40)))
    result = alkseq.batch(tmp_path / "s.csv", html_dir=str(tmp_path / "pages"), json_dir=str(tmp_path / "j"),
                          progress=False)
    for item in result.results:
        assert Path(item.html).read_text() == html_writer.render([item.report])
        assert (tmp_path / "j" / f"{item.sample}.json").is_file()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "S7.html").mkdir()                  # a folder where a page must go
    with pytest.raises(OutputError) as caught:
        alkseq.batch(tmp_path / "s.csv", html_dir=str(tmp_path / "broken"), progress=False)
    assert "S7.html" in caught.value.one_line() and "\n" not in caught.value.one_line()
    assert not [p for p in (tmp_path / "broken").iterdir() if p.name.endswith(".part")]
    for page in (tmp_path / "broken").glob("*.html"):
        if page.is_file():                                      # written before the failure: whole
            assert page.read_text() == (tmp_path / "pages" / page.name).read_text()
