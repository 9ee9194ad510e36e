"""Inputs are checked as nodes before anything opens them (issue 15 items 7 and 8):
directories, unreadable files, links to nowhere, devices: one line, exit 3 (not click's
three-line usage error); a FIFO without a writer never hangs; pipes — a FIFO with a
writer, ``<(…)``, a piped ``/dev/stdin`` — are read once and work like the file."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from alkseq.errors import InputError, InputTooLargeError
from alkseq.readers._source import check_input, local_input, spool
from conftest import run_cli

VCF = ("##fileformat=VCFv4.2\n##reference=GRCh38\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
       "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
PANEL = "gene\talteration\nALK\tG1202R\n"


def one_line(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not lines[0].startswith("Usage:")
    return lines[0]


def alkseq(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "alkseq", *map(str, args)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})}, **kwargs)


@pytest.fixture()
def vcf(tmp_path):
    path = tmp_path / "in.vcf"
    path.write_text(VCF)
    return path


def json_of(result) -> dict:
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data[0] if isinstance(data, list) else data.get("samples", [data])[0]


# --------------------------------------------------------------------------- item 8: one line, exit 3

@pytest.mark.parametrize("command", ["annotate", "batch"])
def test_directory_input_is_one_line_exit_3(tmp_path, command):
    line = one_line(run_cli(command, tmp_path), 3)
    assert "is a directory" in line and str(tmp_path) in line


def test_directory_or_missing_bam_and_fasta_are_one_line_exit_3(tmp_path, vcf):
    assert "is a directory" in one_line(run_cli("annotate", vcf, "--bam", tmp_path), 3)
    assert "no such file" in one_line(run_cli("annotate", vcf, "--fasta", tmp_path / "x.fa"), 3)
    assert "no such file" in one_line(run_cli("annotate", vcf, "--bam", tmp_path / "x.bam"), 3)


def test_directory_output_is_one_line_exit_6(tmp_path, vcf):
    assert "is a directory" in one_line(run_cli("annotate", vcf, "-o", tmp_path), 6)
    sheet = tmp_path / "s.csv"
    sheet.write_text(f"sample,path\nA,{vcf}\n")
    assert "is a directory" in one_line(run_cli("batch", sheet, "--summary", tmp_path), 6)


def test_knowledge_overlay_that_is_a_file_is_one_line(vcf):
    assert "overlay directory not found" in one_line(run_cli("annotate", vcf, "--knowledge", vcf), 5)


def without_read_override() -> list[str]:
    """Root reads anything: drop CAP_DAC_OVERRIDE/READ_SEARCH for the child (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root and needs setpriv (util-linux) to test unreadable files")
        pytest.skip("root without setpriv cannot be denied a read")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def test_unreadable_input_and_folder_are_one_line_exit_3(tmp_path, vcf):
    prefix = without_read_override()
    locked = tmp_path / "locked.vcf"
    locked.write_text(VCF)
    locked.chmod(0o000)
    closed = tmp_path / "closed"
    closed.mkdir()
    (closed / "in.vcf").write_text(VCF)
    closed.chmod(0o000)
    try:
        for target in (locked, closed / "in.vcf"):
            done = subprocess.run([*prefix, sys.executable, "-m", "alkseq", "annotate", str(target)],
                                  capture_output=True, text=True, timeout=120)
            line = one_line(done, 3)
            assert "permission denied" in line and str(target) in line
        sheet = tmp_path / "sheet.csv"
        sheet.write_text(f"sample,path\nA,{vcf}\n")
        sheet.chmod(0o000)
        done = subprocess.run([*prefix, sys.executable, "-m", "alkseq", "batch", str(sheet)],
                              capture_output=True, text=True, timeout=120)
        assert "permission denied" in one_line(done, 3)
    finally:
        closed.chmod(0o700)


def test_links_to_nowhere_and_loops_say_so(tmp_path):
    dangling = tmp_path / "gone.vcf"
    dangling.symlink_to(tmp_path / "never-there.vcf")
    assert "symbolic link to a missing file" in one_line(run_cli("annotate", dangling), 3)
    loop = tmp_path / "loop.vcf"
    loop.symlink_to(loop)
    assert "symbolic link loop" in one_line(run_cli("annotate", loop), 3)
    under_a_file = tmp_path / "x.txt"
    under_a_file.write_text("x")
    assert "Not a directory" in one_line(run_cli("annotate", under_a_file / "in.vcf"), 3)


def test_devices_are_refused_not_read_for_ever():
    assert "character device" in one_line(run_cli("annotate", "/dev/zero"), 3)


# --------------------------------------------------------------------------- item 7: pipes

def test_fifo_without_writer_is_refused_in_time(tmp_path):
    fifo = tmp_path / "nobody.vcf"
    os.mkfifo(fifo)
    started = time.monotonic()
    line = one_line(alkseq("annotate", fifo, env={"ALKSEQ_PIPE_WAIT": "1"}), 3)
    assert "no writer" in line and str(fifo) in line
    assert time.monotonic() - started < 60      # the subprocess timeout is the hang detector
    sheet = tmp_path / "sheet.fifo"
    os.mkfifo(sheet)
    assert "no writer" in one_line(alkseq("batch", sheet, env={"ALKSEQ_PIPE_WAIT": "1"}), 3)


def feed(fifo, text: str) -> threading.Thread:
    def write():
        with open(fifo, "w") as handle:
            handle.write(text)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


@pytest.mark.parametrize("name,text", [("in.vcf", VCF), ("panel.tsv", PANEL)])
def test_fifo_with_a_writer_reads_like_the_file(tmp_path, name, text):
    plain = tmp_path / name
    plain.write_text(text)
    fifo = tmp_path / f"fifo-{name}"
    os.mkfifo(fifo)
    writer = feed(fifo, text)
    from_fifo = json_of(alkseq("annotate", fifo, "--format", "json"))
    writer.join(timeout=30)
    from_file = json_of(alkseq("annotate", plain, "--format", "json"))
    def without_origin(report):
        return [{k: v for k, v in a.items() if k != "origin"} for a in report["alterations"]]

    assert without_origin(from_fifo) == without_origin(from_file)
    assert [a["origin"]["path"] for a in from_fifo["alterations"]] == [str(fifo)]
    assert [c["therapy"] for c in from_fifo["candidates"]] == \
        [c["therapy"] for c in from_file["candidates"]]


def test_process_substitution_and_piped_stdin(tmp_path, vcf):
    bash = shutil.which("bash")
    assert bash, "bash is needed for <(…)"
    done = subprocess.run([bash, "-c", f'"{sys.executable}" -m alkseq annotate <(cat "{vcf}") '
                                       "--format json"], capture_output=True, text=True,
                          timeout=120)
    report = json_of(done)
    assert any("G1202R" in json.dumps(a) for a in report["alterations"])
    with open(vcf) as source:   # a real pipe as stdin: cat … | alkseq annotate /dev/stdin
        cat = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE)
        done = subprocess.run([sys.executable, "-m", "alkseq", "annotate", "/dev/stdin",
                               "--format", "json"], stdin=cat.stdout, capture_output=True,
                              text=True, timeout=120)
        cat.stdout.close()
        cat.wait()
    assert any("G1202R" in json.dumps(a) for a in json_of(done)["alterations"])


def test_errors_from_a_pipe_name_the_pipe_not_the_copy(tmp_path):
    bash = shutil.which("bash")
    assert bash
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\talteration\nALK\tnot-a-change\n")
    done = subprocess.run([bash, "-c", f'"{sys.executable}" -m alkseq annotate <(cat "{bad}")'],
                          capture_output=True, text=True, timeout=120)
    line = one_line(done, 3)
    assert line.startswith("alkseq: error: /dev/fd/") and "alkseq-pipe-" not in line


def test_vcf_output_of_a_pipe_is_refused_in_one_line(vcf):
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run([bash, "-c", f'"{sys.executable}" -m alkseq annotate <(cat "{vcf}") '
                                       "--format vcf"], capture_output=True, text=True, timeout=120)
    assert "not a pipe" in one_line(done, 2)


def test_samplesheet_through_a_pipe(tmp_path, vcf):
    sheet = tmp_path / "sheet.fifo"
    os.mkfifo(sheet)
    writer = feed(sheet, f"sample,path\nA,{vcf}\n")
    done = alkseq("batch", sheet)
    writer.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sample") and "\nA," in done.stdout


def test_spool_is_bounded_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with pytest.raises(InputTooLargeError, match="more than 10 bytes"):
        spool(io.BytesIO(b"x" * 11), "/dev/fd/63", limit=10)
    assert list(tmp_path.iterdir()) == []
    copy = spool(io.BytesIO(b"abc"), "-")
    assert copy.name == "stdin" and copy.read_bytes() == b"abc"


def test_check_input_kinds(tmp_path, vcf):
    assert check_input(vcf) == "file"
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    assert check_input(fifo) == "pipe"
    with pytest.raises(InputError, match="is a directory"):
        check_input(tmp_path)
    with local_input(vcf) as same:
        assert same == vcf
