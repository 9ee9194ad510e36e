"""``-o`` never destroys a node (issue 15 item 2): devices and FIFOs are written through,
``/dev/stdout``/``/dev/fd/1`` are stdout, symlinks keep pointing at their (atomically
replaced) target, read-only files are refused with exit 6, inputs are never overwritten."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from alkseq.errors import OutputError
from alkseq.report.output import resolve_output, write_atomic
from conftest import run_cli

PANEL = "gene\talteration\nALK\tG1202R\n"
FORMATS = ("text", "json", "tsv", "html")


def need_root() -> None:
    """mknod needs root; CI runs as root, so there a missing privilege is a failure."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("CI must run as root to test device-node outputs (mknod)")
        pytest.skip("mknod needs root (CI runs as root)")


def one_line(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture()
def panel(tmp_path):
    path = tmp_path / "panel.tsv"
    path.write_text(PANEL)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_character_device_is_written_through_and_stays_a_device(tmp_path, panel, fmt):
    need_root()
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))    # a private /dev/null
    before = os.stat(node)
    done = run_cli("annotate", panel, "--format", fmt, "-o", node)
    assert done.returncode == 0, done.stderr
    after = os.stat(node)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino                        # the same node, not a new file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "panel.tsv"]


def test_dev_null_is_written_through_and_is_still_a_char_device(panel):
    done = run_cli("annotate", panel, "--format", "json", "-o", "/dev/null")
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_vcf_output_to_a_device(tmp_path):
    need_root()
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
    node = tmp_path / "sink.vcf.gz"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for target in (node, tmp_path / "sink2"):
        if target.name == "sink2":
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        done = run_cli("annotate", vcf, "--format", "vcf", "-o", target)
        assert done.returncode == 0, done.stderr
        assert stat.S_ISCHR(os.stat(target).st_mode)
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "-"])
@pytest.mark.parametrize("fmt", ["json", "vcf"])
def test_stdout_paths_are_stdout(tmp_path, target, fmt):
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
    done = run_cli("annotate", vcf, "--format", fmt, "-o", target)
    assert done.returncode == 0, done.stderr
    if fmt == "json":
        assert json.loads(done.stdout)
    else:
        assert done.stdout.startswith("##fileformat=VCFv4.2") and "G1202R" in done.stdout


def test_stdout_redirected_to_a_file_is_not_replaced(tmp_path, panel):
    """``-o /dev/stdout`` with stdout a file: the data land in that file, which keeps its inode."""
    out = tmp_path / "captured.json"
    with open(out, "w") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        done = subprocess.run([sys.executable, "-m", "alkseq", "annotate", str(panel), "--format",
                               "json", "-o", "/dev/stdout"], stdout=handle,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) and os.stat(out).st_ino == inode


def test_fifo_is_written_through_to_its_reader(tmp_path, panel):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read():
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done = run_cli("annotate", panel, "--format", "json", "-o", fifo)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert not reader.is_alive() and json.loads(received[0])
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo", "panel.tsv"]


@pytest.mark.parametrize("fmt", [*FORMATS, "vcf"])
def test_symlink_keeps_pointing_at_its_replaced_target(tmp_path, fmt):
    source = tmp_path / "in.vcf"
    source.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
    results = tmp_path / "results"
    results.mkdir()
    real = results / "run1.out"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "latest.out"
    link.symlink_to(os.path.relpath(real, tmp_path))
    done = run_cli("annotate", source, "--format", fmt, "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(real, tmp_path)
    assert real.read_text() != "old\n" and "G1202R" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in results.iterdir()) == ["run1.out"]   # written beside, renamed


def test_dangling_symlink_creates_its_target(tmp_path, panel):
    link = tmp_path / "latest.json"
    link.symlink_to("made.json")
    done = run_cli("annotate", panel, "--format", "json", "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and json.loads((tmp_path / "made.json").read_text())


def test_symlink_to_an_input_is_refused(tmp_path, panel):
    link = tmp_path / "link.json"
    link.symlink_to(panel)
    assert "refusing to overwrite an input" in one_line(run_cli("annotate", panel, "-o", link), 6)
    assert panel.read_text() == PANEL


@pytest.mark.parametrize("fmt", [*FORMATS, "vcf"])
def test_read_only_target_is_refused(tmp_path, fmt):
    source = tmp_path / "in.vcf"
    source.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n"
                      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      "chr2\t29220747\t.\tC\tT\t.\tPASS\t.\n")
    locked = tmp_path / "locked.out"
    locked.write_text("keep me\n")
    locked.chmod(0o444)
    line = one_line(run_cli("annotate", source, "--format", fmt, "-o", locked), 6)
    assert "read-only" in line and str(locked) in line
    assert locked.read_text() == "keep me\n" and locked.stat().st_mode & 0o777 == 0o444
    # through a symlink too
    link = tmp_path / "link.out"
    link.symlink_to(locked)
    assert "read-only" in one_line(run_cli("annotate", source, "--format", fmt, "-o", link), 6)
    assert locked.read_text() == "keep me\n"


def test_batch_outputs_follow_the_same_rules(tmp_path, panel):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"sample,path\nS1,{panel}\n")
    locked = tmp_path / "cohort.csv"
    locked.write_text("keep\n")
    locked.chmod(0o444)
    assert "read-only" in one_line(run_cli("batch", sheet, "-o", locked), 6)
    assert locked.read_text() == "keep\n"
    done = run_cli("batch", sheet, "-o", "/dev/stdout")
    assert done.returncode == 0 and done.stdout.startswith("sample")
    real = tmp_path / "real.csv"
    link = tmp_path / "cohort_link.csv"
    link.symlink_to(real)
    done = run_cli("batch", sheet, "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and real.read_text().startswith("sample")


def test_resolve_output_kinds(tmp_path):
    assert resolve_output(None).is_stdout and resolve_output("-").is_stdout
    assert resolve_output("/dev/stdout").is_stdout and resolve_output("/dev/fd/1").is_stdout
    assert resolve_output("/dev/stderr").fd == 2
    assert resolve_output("/dev/null").kind == "node"
    assert resolve_output(tmp_path / "new.txt").kind == "file"
    with pytest.raises(OutputError, match="standard input"):
        resolve_output("/dev/stdin")
    with pytest.raises(OutputError, match="not open"):
        resolve_output("/dev/fd/987")
    with pytest.raises(OutputError, match="is a directory"):
        resolve_output(tmp_path)
    import socket

    sock_path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        with pytest.raises(OutputError, match="socket"):
            write_atomic(sock_path, "x")
    finally:
        server.close()
