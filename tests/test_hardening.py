"""Hostile and broken inputs end to end: one stderr line, a documented exit code, nothing
half-written, bounded memory; outputs that no input string can break."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys

import pytest

from alkseq.errors import EXIT_CODES, AlkseqError, InputError, InputTooLargeError, OutputError
from alkseq.report.cells import safe_cell
from alkseq.report.output import write_atomic
from conftest import ROOT, run_cli

PANEL = "gene\talteration\nALK\tG1202R\n"


def _one_line(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert len(lines[0]) < 2200 and not re.search(r"[\x00-\x1f\x7f-\x9f]", lines[0])
    return lines[0]


# --------------------------------------------------------------------------- the error model

def test_exit_codes_are_documented():
    """docs/errors.md and README list every exit code the CLI uses, with the same numbers."""
    docs = (ROOT / "docs" / "errors.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for code in EXIT_CODES:
        assert re.search(rf"^\|\s*`{code}`\s*\|", docs, re.M), f"exit {code} not in docs/errors.md"
    for code in (0, 2, 3, 4, 5, 6, 70):
        assert f"`{code}`" in readme


def test_every_error_class_has_a_documented_code():
    import alkseq.errors as errors

    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, AlkseqError)]
    assert {c.exit_code for c in classes if c is not AlkseqError} <= set(EXIT_CODES)


def test_messages_escape_control_characters_and_stay_short():
    error = InputError("cell \x1b[31mred\x1b[0m " + "x" * 50_000, path="a\nb.tsv", line=3)
    line = error.one_line()
    assert "\x1b" not in line and "\\x1b[31m" in line and "\n" not in line
    assert len(line) < 2100


@pytest.mark.parametrize("content,code,message", [
    (b"gene\talteration\nALK\tG1202R\nALK\tnot a change\n", 3, ":3: ALK: not a protein change"),
    (b"gene\talteration\nALK\tG1202R\n\xff\xfe\n", 3, ":3: not UTF-8"),
    (b"gene\talteration\tdepth\nALK\tG1202R\t1e400\n", 3, "not a finite"),
    (b"gene\talteration\tcopy_number\nMET\tamplification\tNaN\n", None, None),  # NaN = not given
    (b"gene\talteration\tvaf\nALK\tG1202R\t-0.2\n", 3, "not a finite, non-negative"),
    (b"gene\talteration\nALK\tG1202R \x1b[2J\n", 3, "control character U+001B"),
    (b"gene\talteration\nAL\xe2\x84\xaa\tG1202R\n", 3, "not a gene symbol"),  # Kelvin-sign K
    (b"gene\talteration\nALK\t\"G1202R\nALK\tL1196M\n", 3, "broken quoting"),
    (b"gene\talteration\tnote\nALK\tG1202R\t\"open\nALK\tL1196M\tx\n\"\n", 3, "whole rows"),
    (b"gene,alteration,,\nALK,G1202R,,\n", None, None),  # Excel's trailing empty columns
    (b"sep=;\ngene;alteration\nALK;G1202R\n", None, None),
])
def test_panel_inputs_end_to_end(tmp_path, content, code, message):
    path = tmp_path / "in.tsv"
    path.write_bytes(content)
    result = run_cli("annotate", path, "--format", "json")
    if code is None:
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout)
        return
    line = _one_line(result, code)
    assert str(path) in line and message in line


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("gene\talteration\nALK\tG1202\n")
    result = run_cli("--debug", "annotate", path)
    assert result.returncode != 0 and "Traceback" in result.stderr
    assert "ParseError" in result.stderr


def test_unexpected_exception_is_an_internal_error_exit_70(tmp_path):
    """The last line of defence in cli.main(): a bug is exit 70 with a hint, not a traceback."""
    path = tmp_path / "in.tsv"
    path.write_text(PANEL)
    code = ("import sys, alkseq.api as api, alkseq.cli as cli\n"
            "def broken(*a, **k):\n    raise ZeroDivisionError('simulated bug')\n"
            "api.annotate = broken\n"
            f"cli.main(['annotate', {str(path)!r}])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    line = _one_line(result, 70)
    assert "internal error" in line and "report it" in line


# --------------------------------------------------------------------------- resource bounds

def test_gzip_bomb_panel_without_newlines(tmp_path):
    """1 GiB of zeros in 1 MB of gzip: refused at the line limit, memory never grows."""
    path = tmp_path / "bomb.tsv.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(b"gene\talteration\n")
        block = b"0" * (1 << 20)
        for _ in range(64):
            handle.write(block)
    line = _one_line(run_cli("annotate", path, "--input-format", "panel"), 3)
    assert "line longer than 1,048,576 characters" in line


def test_gzip_bomb_panel_of_comment_lines_stops_at_1_gib(tmp_path):
    path = tmp_path / "bomb.tsv.gz"
    comment = b"#" + b"x" * 1_000_000 + b"\n"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(b"gene\talteration\n")
        for _ in range(1100):  # 1.1 GB of text
            handle.write(comment)
    assert path.stat().st_size < 5_000_000
    line = _one_line(run_cli("annotate", path, "--input-format", "panel"), 3)
    assert "more than 1,073,741,824 characters" in line


def test_ten_megabyte_cell(tmp_path):
    path = tmp_path / "big.tsv"
    path.write_bytes(b"gene\talteration\tnote\nALK\tG1202R\t" + b"x" * 10_000_000 + b"\n")
    line = _one_line(run_cli("annotate", path), 3)
    assert f"{path}:2:" in line and "line longer than" in line


def test_long_cell_within_the_line_limit(tmp_path):
    """200 kB in one cell passes the line limit and stops at csv's cell limit, clearly."""
    path = tmp_path / "wide.tsv"
    path.write_bytes(b"gene\talteration\tnote\nALK\tG1202R\t" + b"x" * 200_000 + b"\n")
    line = _one_line(run_cli("annotate", path), 3)
    assert "a cell is longer than 131,072 characters" in line


def test_maf_gzip_bomb_and_truncated_gzip(tmp_path):
    header = (b"Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\tVariant_Classification\n"
              b"ALK\tS1\tp.G1202R\tMissense_Mutation\n")
    bomb = tmp_path / "bomb.maf.gz"
    with gzip.open(bomb, "wb") as handle:
        handle.write(header)
        for _ in range(32):
            handle.write(b"\0" * (1 << 20))
    line = _one_line(run_cli("annotate", bomb, "--input-format", "maf"), 3)
    assert "line longer than" in line
    data = gzip.compress(header * 5000)
    cut = tmp_path / "cut.maf.gz"
    cut.write_bytes(data[:len(data) // 2])
    line = _one_line(run_cli("annotate", cut, "--input-format", "maf"), 3)
    assert "gzip" in line


@pytest.mark.parametrize("row,message", [
    (b"ALK\tS1\tp.G1202R\tMissense_Mutation\tinf\n", "is not a finite, non-negative number"),
    (b"ALK\tS1\tp.G1202R\tMissense_Mutation\t1e400\n", "is not a finite, non-negative number"),
    (b"ALK\tS\x1b1\tp.G1202R\tMissense_Mutation\t7\n", "control character U+001B"),
])
def test_maf_bad_cells(tmp_path, row, message):
    path = tmp_path / "bad.maf"
    path.write_bytes(b"Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\tVariant_Classification"
                     b"\tt_depth\n" + row)
    line = _one_line(run_cli("annotate", path), 3)
    assert f"{path}:2:" in line and message in line


def test_foundation_gzip_bomb(tmp_path):
    path = tmp_path / "report.xml.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b'<?xml version="1.0"?>\n<rr:ResultsReport xmlns:rr="x"><!--')
        for _ in range(80):
            handle.write(b" " * (1 << 20))
        handle.write(b"--></rr:ResultsReport>\n")
    line = _one_line(run_cli("annotate", path, "--input-format", "foundation"), 3)
    assert "too large for a Foundation report" in line


@pytest.mark.parametrize("attribute,message", [
    ('depth="inf"', "is not a finite"), ('depth="NaN"', "is not a finite"),
    ('allele-fraction="-0.1"', "is not a finite, non-negative"),
    ('depth="1e400"', "is not a finite"),
])
def test_foundation_non_finite_numbers(tmp_path, attribute, message):
    path = tmp_path / "r.xml"
    path.write_text('<variant-report><short-variants><short-variant gene="ALK" '
                    f'protein-effect="G1202R" {attribute}/></short-variants></variant-report>\n')
    line = _one_line(run_cli("annotate", path), 3)
    assert message in line


def test_foundation_c1_control_character(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text('<variant-report><samples><sample name="S\u009b31m"/></samples>'
                    '<short-variants><short-variant gene="ALK" protein-effect="G1202R"/>'
                    '</short-variants></variant-report>\n', encoding="utf-8")
    line = _one_line(run_cli("annotate", path), 3)
    assert "control character U+009B" in line


def test_hundred_thousand_row_panel_streams(tmp_path):
    """Large tables stream (the 1,000,000-row timing and RSS are in fuzz/resource_bounds.py)."""
    from alkseq.readers import ReadOptions
    from alkseq.readers.panel import read

    path = tmp_path / "many.tsv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("sample\tgene\talteration\n")
        for number in range(100_000):
            handle.write(f"S{number % 7}\tKRAS\tG12C\n")
    samples = read(path, ReadOptions())
    assert sum(len(s.alterations) for s in samples) == 100_000
    assert samples[0].alterations[-1].origin.line == 99_997  # S0's last row


# --------------------------------------------------------------------------- outputs

def test_output_never_overwrites_an_input_via_links(tmp_path):
    panel = tmp_path / "p.tsv"
    panel.write_text(PANEL)
    hard = tmp_path / "hard.tsv"
    os.link(panel, hard)
    soft = tmp_path / "soft.tsv"
    soft.symlink_to(panel)
    for target in (panel, hard, soft):
        line = _one_line(run_cli("annotate", panel, "-o", target), 6)
        assert "refusing to overwrite an input" in line
    assert panel.read_text() == PANEL and soft.is_symlink()
    assert not list(tmp_path.glob(".*.part"))


def test_output_errors_are_exit_6(tmp_path):
    panel = tmp_path / "p.tsv"
    panel.write_text(PANEL)
    line = _one_line(run_cli("annotate", panel, "-o", tmp_path / "nowhere" / "out.txt"), 6)
    assert "does not exist" in line
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        from test_input_nodes import without_read_override

        # root writes anywhere: the child runs without CAP_DAC_OVERRIDE (as CI, which is root)
        prefix = without_read_override()
        done = subprocess.run([*prefix, sys.executable, "-m", "alkseq", "annotate", str(panel),
                               "-o", str(locked / "out.txt")], capture_output=True, text=True,
                              timeout=300)
        line = _one_line(done, 6)
        assert "cannot write" in line and not (locked / "out.txt").exists()
    finally:
        locked.chmod(0o700)


def test_write_atomic_permissions_and_no_leftovers(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "one\n")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    write_atomic(target, "two\n")
    assert target.read_text() == "two\n" and target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(OutputError, match="is a directory"):
        write_atomic(tmp_path, "x")
    write_atomic(tmp_path / "s.txt", "lone surrogate \udc80 is escaped\n")
    assert b"\\udc80" in (tmp_path / "s.txt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "s.txt"]


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"),
    ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "' =1"), ("\r=1", "' =1"),
    ("\uff1d1+1", "'\uff1d1+1"), ('"quoted', "'\"quoted"), ("-1.5", "-1.5"), ("+3", "+3"),
    ("1e-3", "1e-3"), ("G1202R", "G1202R"), ("a\tb\nc\rd\u2028e", "a b c d e"),
    ("bell\x07esc\x1b", "bell\\x07esc\\x1b"), (None, ""), (3, "3"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


NASTY_SAMPLE = "S1\tx\ny\r\"=cmd()\u2028z"


def _report(sample=NASTY_SAMPLE, label="amplification\t\n\x1b[31m"):
    from alkseq.interpret import interpret
    from alkseq.knowledge import load_knowledge
    from alkseq.model import Alteration, Context, Origin

    kb = load_knowledge()
    alteration = Alteration(gene="MET", kind="amplification", label=label,
                            origin=Origin("x.tsv", 2, label, "panel"))
    return interpret([alteration], Context(("lorlatinib",), None, None, None), kb,
                     sample=sample, input_path="x.tsv", input_format="panel")


def test_tsv_writer_keeps_its_shape_whatever_the_strings():
    from alkseq.report import tsv

    text = tsv.render([_report()])
    lines = text.rstrip("\n").split("\n")
    width = len(lines[0].split("\t"))
    assert len(lines) > 1 and all(len(line.split("\t")) == width for line in lines)
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))  # a CSV-aware reader agrees
    assert len(rows) == len(lines) and all(len(r) == width for r in rows)
    assert rows[1][0].startswith("S1 x y")
    assert "\x1b" not in text and "\r" not in text


def test_json_writer_is_valid_json_whatever_the_strings():
    from alkseq.report import json_writer

    text = json_writer.render([_report()])
    data = json.loads(text)
    assert data["samples"][0]["sample"] == NASTY_SAMPLE
    assert "\x1b" not in text and "\t" not in text.replace("  ", "")


def test_text_writer_never_emits_control_characters():
    from alkseq.report import text

    rendered = text.render([_report()])
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", rendered)
