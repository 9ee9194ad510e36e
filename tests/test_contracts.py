"""Contract tests over every registered reader and writer (MultiQC's habit).

Each reader in ``alkseq.readers.READER_MODULES`` gets the same three inputs — a real file of
its format, the same file asked for a sample it does not hold, and junk bytes — and must
answer each with one exit code and one wording shared by all readers. Each writer in
``alkseq.report.WRITERS`` renders a real report. A reader or writer added to a registry
without a fixture here fails ``test_every_registered_*_has_a_fixture``.
"""
from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, run_cli

# one real file per registered reader, each holding at least one named sample
READER_FIXTURES = {
    "vcf": ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf",
    "foundation": ROOT / "tests" / "data" / "foundation_eml4_alk_met_nf2.xml",
    "maf": ROOT / "tests" / "data" / "maf_two_samples.maf",
    "panel": ROOT / "examples" / "post_lorlatinib_compound" / "panel.tsv",
}


def test_every_registered_reader_has_a_fixture():
    from alkseq.readers import READER_MODULES

    assert set(READER_MODULES) == set(READER_FIXTURES)


@pytest.mark.parametrize("fmt", sorted(READER_FIXTURES))
def test_every_registered_reader_follows_the_reader_protocol(fmt):
    import inspect

    from alkseq.readers import Reader, reader_module

    module = reader_module(fmt)
    assert isinstance(module, Reader) and module.FORMAT == fmt
    for function, names in ((module.sniff, ["head", "path"]), (module.read, ["path", "options"])):
        parameters = list(inspect.signature(function).parameters.values())
        assert [p.name for p in parameters] == names
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters)


def test_cli_choices_come_from_the_registries():
    """--input-format, --build, --histology, --progression and --specimen list what the registries hold."""
    from alkseq import cli
    from alkseq.genome.transcript import BUILDS
    from alkseq.knowledge import schema
    from alkseq.readers import READER_MODULES

    options = {option.name: option.type for command in cli.cli.commands.values() for option in command.params}
    assert options["input_format"].choices == tuple(READER_MODULES)
    assert options["build"].choices == BUILDS
    assert set(options["histology"].choices) == schema.PATIENT_HISTOLOGIES
    assert set(options["progression"].choices) == schema.PROGRESSION_PATTERNS
    assert set(options["specimen"].choices) == schema.SPECIMENS
    source = (ROOT / "alkseq" / "cli.py").read_text()
    assert not any(f'"{value}"' in source for value in ("GRCh37", "foundation", "small-cell", "systemic", "plasma"))


@pytest.mark.parametrize("fmt", sorted(READER_FIXTURES))
def test_reader_reads_its_fixture_and_is_detected(fmt):
    from alkseq.readers import detect_format, read_input

    path = READER_FIXTURES[fmt]
    assert detect_format(path) == fmt
    samples = read_input(path)
    assert samples and all(s.input_format == fmt and s.sample for s in samples)


@pytest.mark.parametrize("fmt", sorted(READER_FIXTURES))
def test_unknown_sample_is_one_error_for_every_reader(fmt):
    result = run_cli("annotate", str(READER_FIXTURES[fmt]), "--input-format", fmt,
                     "--sample", "NO_SUCH_SAMPLE_42")
    assert result.returncode == 3, (fmt, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(READER_FIXTURES[fmt]) in lines[0]
    assert "no sample 'NO_SUCH_SAMPLE_42' in this file" in lines[0]
    assert "Traceback" not in result.stderr and not result.stdout


@pytest.mark.parametrize("fmt", sorted(READER_FIXTURES))
def test_junk_forced_through_each_reader_is_one_input_error(fmt, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(1, 32)) * 40 + b"\xff\xfe not an input \x00\x01")
    out = tmp_path / "out.json"
    result = run_cli("annotate", str(junk), "--input-format", fmt, "--format", "json",
                     "-o", str(out))
    assert result.returncode == 3, (fmt, result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(junk) in lines[0], lines
    assert "Traceback" not in result.stderr
    assert not out.exists(), "nothing is written for a failed input"


@pytest.mark.parametrize("fmt", sorted(READER_FIXTURES))
def test_empty_file_is_one_clear_answer(fmt, tmp_path):
    """An empty file is either a clean one-line input error or, for a panel table with its
    header only, a valid "nothing found" report; never a traceback or a silent nothing."""
    empty = tmp_path / ("empty" + READER_FIXTURES[fmt].suffix)
    empty.write_bytes(b"")
    result = run_cli("annotate", str(empty), "--input-format", fmt)
    assert result.returncode == 3, (fmt, result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(empty) in lines[0]
    assert "Traceback" not in result.stderr


def _writer_names():
    from alkseq.report import WRITERS

    return sorted(WRITERS)


def test_every_registered_writer_is_exercised():
    assert set(_writer_names()) >= {"text", "json", "tsv", "vcf", "html"}


@pytest.mark.parametrize("name", _writer_names())
def test_every_writer_renders_a_real_report(name, tmp_path):
    """Each writer renders the shipped VCF example through the CLI to a file, non-empty."""
    source = READER_FIXTURES["vcf"]
    if name == "maf":
        source = READER_FIXTURES["maf"]
    work = tmp_path / source.name
    shutil.copy(source, work)
    suffix = {"text": "txt", "vcf": "vcf.gz"}.get(name, name)
    out = tmp_path / f"report.{suffix}"
    result = run_cli("annotate", str(work), "--prior", "alectinib", "--format", name,
                     "-o", str(out))
    assert result.returncode == 0, (name, result.stderr)
    assert out.exists() and out.stat().st_size > 0
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"
