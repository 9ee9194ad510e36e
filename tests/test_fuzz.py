"""Property-based fuzzing (hypothesis) of the parsers that read what users hand us.

Every target must either raise an ``AlkseqError`` (a clear message, exit 3) or return a
result that says only what its input says — never a traceback, never a wrong-but-silent
call (a residue or position that the text does not state).

CI runs a modest number of examples per target. A long local run:

    ALKSEQ_FUZZ_EXAMPLES=100000 python -m pytest -q tests/test_fuzz.py -p no:cacheprovider

(docs/errors.md records the last long run.)
"""
from __future__ import annotations

import gzip
import math
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from alkseq.errors import AlkseqError, ParseError
from alkseq.genome.protein import parse_protein_change
from alkseq.model import ONE_TO_THREE, THREE_TO_ONE, ProteinChange
from alkseq.readers import ReadOptions
from conftest import ROOT

EXAMPLES = int(os.environ.get("ALKSEQ_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
DATA = ROOT / "tests" / "data"
_TMP = tempfile.TemporaryDirectory(prefix="alkseq-fuzz-")
TMP = Path(_TMP.name)

RESIDUES = "ACDEFGHIKLMNPQRSTVWY"
positions = st.integers(min_value=1, max_value=999_989)  # six digits, room for a range
residue = st.sampled_from(RESIDUES)
inserted = st.text(alphabet=RESIDUES, min_size=1, max_size=6)
# characters that have broken parsers before: delimiters, quotes, line/record separators,
# controls, Unicode look-alikes that case-fold to ASCII (Kelvin sign, long s), NBSP
NASTY = "\t,;\"'\r\n\x00\x1b\x0b\x0c\x85\u2028\u00a0\u212a\u017f=+-@*_>?.:()pP0123456789 "
nasty_text = st.text(alphabet=st.sampled_from(list(NASTY) + list("GRALKgrdelinsupfsTer")),
                     max_size=40) | st.text(max_size=40)


# --------------------------------------------------------------------------- protein changes

@st.composite
def protein_changes(draw) -> ProteinChange:
    kind = draw(st.sampled_from(["missense", "nonsense", "synonymous", "deletion",
                                 "duplication", "insertion", "delins", "frameshift",
                                 "start_loss"]))
    start = draw(positions)
    ref = draw(residue)
    ranged = draw(st.booleans()) and start < 999_990
    end = start + draw(st.integers(1, 9)) if ranged else None
    end_ref = draw(residue) if ranged else None
    if kind == "missense":
        return ProteinChange(kind, start, ref, draw(residue.filter(lambda r: r != ref)))
    if kind == "nonsense":
        return ProteinChange(kind, start, ref, "*")
    if kind == "synonymous":
        return ProteinChange(kind, start, ref, ref)
    if kind in ("deletion", "duplication"):
        return ProteinChange(kind, start, ref, end=end, end_ref=end_ref)
    if kind == "insertion":
        return ProteinChange(kind, start, ref, draw(inserted), end=start + 1,
                             end_ref=draw(residue))
    if kind == "delins":
        return ProteinChange(kind, start, ref, draw(inserted), end=end, end_ref=end_ref)
    if kind == "frameshift":
        alt = draw(st.sampled_from(["", *RESIDUES]))
        return ProteinChange(kind, start, ref, alt,
                             fs_stop=draw(st.none() | st.integers(1, 9999)))
    return ProteinChange("start_loss", start, ref)


def _wrap(text: str, style: int) -> str:
    bare = text[2:] if text.startswith("p.") else text
    return [text, f"p.{bare}", f"p.({bare})", f"ALK:p.({bare})", f"ALK {text}"][style]


@FUZZ
@given(protein_changes(), st.integers(0, 4), st.integers(0, 4))
@example(ProteinChange("delins", 1, "A", "MET"), 0, 0)   # found by a 100,000-example run
def test_protein_round_trip(change, short_style, hgvs_style):
    """parse(short) and parse(hgvs) give the same change, in every accepted wrapping.

    One exception, by design: a one-letter run in capitals that also spells three-letter codes
    (delinsMET: Met, or Met-Glu-Thr?) is refused as ambiguous rather than guessed."""
    _, from_hgvs = parse_protein_change(_wrap(change.hgvs, hgvs_style))
    assert from_hgvs == change
    try:
        _, from_short = parse_protein_change(_wrap(change.short, short_style))
    except ParseError as exc:
        run = change.alt or ""
        triples = [run[i:i + 3].lower() for i in range(0, len(run), 3)]
        assert "read both as" in str(exc) and len(run) % 3 == 0 and \
            all(t in {three.lower() for three in THREE_TO_ONE} for t in triples), str(exc)
        return
    assert from_short.short == change.short
    if change.kind != "frameshift":  # the short form of a frameshift drops alt and stop
        assert from_short == change


def _states(raw: str, change: ProteinChange) -> None:
    """The parsed change says only what the text says: its numbers and residues are in it."""
    digits = re.findall(r"[0-9]+", raw)
    assert str(change.start) in digits, (raw, change)
    if change.end is not None:
        assert str(change.end) in digits, (raw, change)
    folded = raw.upper()
    for one in (change.ref or "") + (change.end_ref or "") + (change.alt or ""):
        three = ONE_TO_THREE.get(one, "").upper()
        assert one in folded or (three and three in folded) or \
            (one == "*" and ("TER" in folded or "X" in folded)), (raw, change)
    # the short form re-parses to itself
    assert parse_protein_change(change.short)[1].short == change.short


@st.composite
def mutated_changes(draw) -> str:
    """A valid spelling with a few characters inserted, deleted or replaced."""
    change = draw(protein_changes())
    text = list(_wrap(draw(st.sampled_from([change.short, change.hgvs])), draw(st.integers(0, 4))))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(list(NASTY) + list(RESIDUES) + list("glyarTerfsdelinsdup")))
        if op == "insert":
            text.insert(at, char)
        elif text and at < len(text):
            if op == "delete":
                del text[at]
            else:
                text[at] = char
    return "".join(text)


@FUZZ
@given(st.one_of(nasty_text, mutated_changes()))
@example("G12 02R")
@example("\u212a1202R")
@example("T1151_L1152insGLY")
@example("G1202R\n")
@example("Lys1202Ar\u017f")
def test_protein_arbitrary_text(raw):
    try:
        gene, change = parse_protein_change(raw)
    except ParseError as exc:
        assert _one_clean_line(exc.one_line())
        return
    _states(raw, change)
    assert gene is None or re.fullmatch(r"[A-Z0-9._-]+", gene)


# --------------------------------------------------------------------------- readers

def _write(name: str, data: bytes) -> Path:
    path = TMP / name
    path.write_bytes(data)
    return path


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_clean_line(text: str) -> bool:
    """No control characters, no line breaks (what reaches a terminal or a TSV cell)."""
    return not _CONTROL.search(text)


def _assert_sane(samples, path: Path) -> None:
    """What a reader returned is believable: numbers in range, text printable, calls stated."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    total_lines = raw.count(b"\n") + raw.count(b"\r") + 1
    for sample in samples:
        assert isinstance(sample.sample, str)
        assert _one_clean_line(sample.sample), repr(sample.sample)
        for alteration in sample.alterations:
            assert alteration.gene == "" or _one_clean_line(alteration.gene)
            if alteration.vaf is not None:
                assert 0 <= alteration.vaf <= 1
            if alteration.copy_number is not None:
                assert math.isfinite(alteration.copy_number) and alteration.copy_number >= 0
            if alteration.depth is not None:
                assert isinstance(alteration.depth, int) and alteration.depth >= 0
            origin = alteration.origin
            if origin is not None and origin.line is not None:
                assert 1 <= origin.line <= total_lines
            change = alteration.protein_change
            if change is not None:
                source = (origin.text if origin else "") + " " + (alteration.label or "")
                assert str(change.start) in re.findall(r"[0-9]+", source), (source, change)


def _read(module, path: Path, **options):
    try:
        return module.read(path, ReadOptions(**options))
    except AlkseqError as exc:
        message = exc.one_line()
        assert _one_clean_line(message) and len(message) < 2100
        return None


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]
PANEL_HEADERS = ["gene", "alteration", "sample", "vaf", "vaf %", "copy_number", "depth",
                 "Hugo_Symbol", "HGVSp_Short", "notes", ""]
PANEL_VALUES = ["ALK", "MET", "KRAS", "NF2", "", "G1202R", "p.Gly1202Arg", "amplification",
                "EML4-ALK v3", "small-cell transformation", "1151Tins", "0.25", "25%", "NaN",
                "inf", "-1", "1e400", "7", "=HYPERLINK(1)", '"quoted', 'a"b', "x" * 300]


@st.composite
def panel_tables(draw) -> bytes:
    delimiter = draw(st.sampled_from(["\t", ",", ";"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(st.lists(st.sampled_from(PANEL_HEADERS), min_size=1, max_size=6))
    if draw(st.booleans()):
        header = ["gene", "alteration"] + header
    cell = st.sampled_from(PANEL_VALUES) | nasty_text
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), max_size=6))
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(0, "# exported " + draw(nasty_text))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.integers(0, 5)) == 0:
        data = gzip.compress(data)
        if draw(st.booleans()):
            data = data[:draw(st.integers(0, len(data)))]
    return data


@FUZZ
@given(panel_tables(), st.sampled_from([None, "S1", "bad"]))
def test_panel_reader_arbitrary_tables(data, sample):
    from alkseq.readers import panel

    path = _write("fuzz.panel.tsv", data)
    samples = _read(panel, path, sample=sample)
    if samples is not None:
        _assert_sane(samples, path)


@FUZZ
@given(st.dictionaries(st.sampled_from(["gene", "alteration", "sample", "vaf", "vaf_percent",
                                        "copy_number", "depth"]),
                       st.sampled_from(PANEL_VALUES) | nasty_text))
def test_panel_rows_are_a_call_or_a_clear_error(row):
    """parse_row on arbitrary cells: an Alteration that says what the cell says, or an error."""
    from alkseq.readers.panel import parse_row

    try:
        alteration = parse_row(row, Path("t.tsv"), 2, ReadOptions())
    except AlkseqError as exc:
        assert exc.line == 2 and _one_clean_line(exc.one_line())
        return
    if alteration.protein_change is not None:
        _states(" ".join(row.get("alteration", "").split()), alteration.protein_change)


def _mutate(draw, data: bytes) -> bytes:
    """A fixture with a few edits: bytes, cells and lines inserted, deleted, replaced."""
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["byte", "cell", "dup_line", "drop_line", "truncate"]))
        index = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            break
        if op == "byte":
            line = bytearray(lines[index])
            at = draw(st.integers(0, len(line)))
            line[at:at + draw(st.integers(0, 3))] = draw(st.binary(max_size=3))
            lines[index] = bytes(line)
        elif op == "cell":
            cells = lines[index].split(b"\t")
            at = draw(st.integers(0, len(cells) - 1))
            value = draw(st.sampled_from(PANEL_VALUES) | nasty_text)
            cells[at] = value.encode("utf-8", errors="replace")
            lines[index] = b"\t".join(cells)
        elif op == "dup_line":
            lines.insert(index, lines[index])
        elif op == "drop_line":
            del lines[index]
        else:
            lines = lines[:index]
    return b"\n".join(lines)


MAF_FIXTURES = sorted(DATA.glob("maf_*")) + sorted((ROOT / "examples").glob("*/*.maf"))


@FUZZ
@given(st.data())
def test_maf_reader_mutated_fixtures(data):
    from alkseq.readers import maf

    fixture = data.draw(st.sampled_from(MAF_FIXTURES))
    path = _write("fuzz." + fixture.name, _mutate(data.draw, fixture.read_bytes()))
    samples = _read(maf, path, include_filtered=data.draw(st.booleans()))
    if samples is not None:
        _assert_sane(samples, path)


FOUNDATION_FIXTURES = sorted(DATA.glob("foundation_*.xml"))
XML_VALUES = ["G1202R", "L1196M", "amplification", "loss", "-1", "NaN", "inf", "1e400", "0.5",
              "EML4-ALK fusion", "&amp;", "\u0085", "\u009b31m", "ALK", "N/A", ""]


@FUZZ
@given(st.data())
def test_foundation_reader_mutated_fixtures(data):
    from alkseq.readers import foundation

    fixture = data.draw(st.sampled_from(FOUNDATION_FIXTURES))
    text = fixture.read_bytes()
    # attribute values replaced (the interesting edits), then byte-level damage
    values = list(re.finditer(rb'="([^"]*)"', text))
    for _ in range(data.draw(st.integers(0, 4))):
        if not values:
            break
        match = data.draw(st.sampled_from(values))
        value = data.draw(st.sampled_from(XML_VALUES) | nasty_text)
        escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        text = text[:match.start(1)] + escaped.encode("utf-8", "replace") + text[match.end(1):]
        values = list(re.finditer(rb'="([^"]*)"', text))
    if data.draw(st.booleans()):
        text = _mutate(data.draw, text)
    if data.draw(st.integers(0, 5)) == 0:
        text = gzip.compress(text)
    path = _write("fuzz.foundation.xml", text)
    samples = _read(foundation, path)
    if samples is not None:
        _assert_sane(samples, path)


@pytest.mark.parametrize("fixture", MAF_FIXTURES + FOUNDATION_FIXTURES, ids=lambda p: p.name)
def test_unmutated_fixtures_are_sane(fixture):
    """The oracle itself: the shipped fixtures pass the sanity checks unmutated."""
    from alkseq.readers import read_input

    try:
        samples = read_input(fixture)
    except AlkseqError:
        return  # the broken-on-purpose fixtures
    _assert_sane(samples, fixture)


# --------------------------------------------------------------------------- samplesheets

SHEET_HEADERS = ["sample", "path", "bam", "prior", "histology", "progression", "build",
                 "specimen", "input_sample", "SAMPLE", " Path ", "notes", ""]
SHEET_VALUES = ["PT001", "a/b", "a_b", "../../etc/passwd", "/abs/tumour.vcf", "~/x.vcf",
                "rebiopsy/PT001.vcf.gz", "CON", "nul.txt", "..", ".", "crizotinib;alectinib",
                ";;", "=cmd|' /C calc'!A0", "GRCh38", "x" * 300, "\u00e9chantillon", ""]
SHEET_OUT = TMP / "sheet-out"


@st.composite
def samplesheets(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", "\t"]))
    header = draw(st.lists(st.sampled_from(SHEET_HEADERS), min_size=1, max_size=6))
    if draw(st.booleans()):
        header = ["sample", "path"] + header
    cell = st.sampled_from(SHEET_VALUES) | nasty_text
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), max_size=6))
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "# " + draw(nasty_text))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])), errors="replace")


@FUZZ
@given(samplesheets(), st.sampled_from([".json", ".tsv", ".report.html"]))
@example(b"sample,path,bam\nPT001,~0", ".json")      # '~user' with no such user: once a traceback
def test_samplesheet_is_rows_or_a_clear_error(data, suffix):
    """A sheet gives rows whose names are unique and whose outputs stay in the folder, or one error."""
    from alkseq.errors import OutputError
    from alkseq.samplesheet import output_path, read_samplesheet, safe_name

    sheet = _write("fuzz.samplesheet.csv", data)
    try:
        rows = read_samplesheet(sheet)
    except AlkseqError as exc:
        assert _one_clean_line(exc.one_line()) and exc.path == str(sheet)
        total = len(re.split(rb"\r\n|\r|\n", data))
        assert exc.line is None or 1 <= exc.line <= total
        return
    assert rows, "a sheet without sample rows is refused, not an empty batch"
    names = [row.sample for row in rows]
    assert len(set(names)) == len(names) and all(name == name.strip() and name for name in names)
    stems = {safe_name(name) for name in names}
    assert len(stems) == len(names), "two samples would share an output file"
    root = SHEET_OUT.resolve()
    for row in rows:
        assert Path(row.path).is_absolute()
        assert re.fullmatch(r"[A-Za-z0-9._-]+", safe_name(row.sample))
        try:
            target = output_path(SHEET_OUT, row.sample, suffix)
        except OutputError:
            continue
        assert target.parent == root
