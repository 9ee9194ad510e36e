"""Command line: thin click commands over the library.

Only click and the error tree are imported at start-up so `alkseq --help` is instant;
every command imports what it needs when it runs. Errors become one line on stderr and
the exit code their class carries; --debug shows the traceback.
"""
from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager

# This module's import (click's included) builds only what lives as long as the process:
# modules, classes, the command tree. The collector is paused until its end (the last line):
# left running, it walks those objects some twenty times, ~4 ms of every start-up.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    import click

    from alkseq._version import __version__
    from alkseq.errors import INTERNAL_ERROR_EXIT, AlkseqError, SignalInterrupt
    from alkseq.report import WRITERS  # the registry only: no writer is imported
except BaseException:
    if _COLLECTING:
        gc.enable()
    raise

FORMATS = tuple(WRITERS)


class RegistryChoice(click.Choice):
    """A ``click.Choice`` whose values come from alkseq's registries (readers, builds, the knowledge
    schema's vocabularies), read the first time click needs them: never repeated here as literals,
    and never imported by a command that does not use the option."""

    def __init__(self, module: str, name: str):
        self._where, self._values = (module, name), None
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self):
        if self._values is None:
            import importlib

            module, name = self._where
            values = getattr(importlib.import_module(module), name)
            self._values = tuple(values) if isinstance(values, (tuple, list, dict)) else tuple(sorted(values))
        return self._values

    @choices.setter
    def choices(self, _values) -> None:   # click.Choice.__init__ assigns (); the registry decides
        pass


HISTOLOGIES = RegistryChoice("alkseq.knowledge.schema", "PATIENT_HISTOLOGIES")
PROGRESSION = RegistryChoice("alkseq.knowledge.schema", "PROGRESSION_PATTERNS")
SPECIMENS = RegistryChoice("alkseq.knowledge.schema", "SPECIMENS")
INPUT_FORMATS = RegistryChoice("alkseq.readers", "READER_MODULES")
BUILDS = RegistryChoice("alkseq.genome.transcript", "BUILDS")

# Paths are not checked by click (its three-line usage error, exit 2): alkseq checks each
# one where it is used and says what is wrong on one line (inputs exit 3, outputs exit 6,
# a knowledge overlay exit 5; readers/_source.py, report/output.py).
PATH = click.Path(readable=False)


def _kb_version() -> str:
    """Knowledge version from the manifest alone (no table loading for --version)."""
    from alkseq.knowledge.paths import reference_dir

    try:
        for line in (reference_dir() / "manifest.yaml").read_text().splitlines():
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def _version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"alkseq {__version__} (knowledge base {_kb_version()})")
        ctx.exit()


def _context_options(func):
    func = click.option("--prior", "prior", multiple=True, metavar="LINE",
                        help="One line of prior therapy, repeatable, oldest first (generic, code "
                             "or brand names); drugs given together join with '+' "
                             "(carboplatin+pemetrexed); 'a;b' is two lines.")(func)
    func = click.option("--histology", type=HISTOLOGIES,
                        help="Histology of the re-biopsy (small-cell/squamous = transformation).")(func)
    func = click.option("--progression", type=PROGRESSION,
                        help="Progression pattern: oligo, systemic or cns.")(func)
    func = click.option("--knowledge", type=PATH,
                        help="Extra knowledge tables (validated) overlaid on the shipped ones.")(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show alkseq and knowledge-base versions.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """alkseq — what next for ALK-positive NSCLC progressing on an ALK TKI.

    Reads a re-biopsy's sequencing output (panel table, VCF, MAF, Foundation XML),
    finds ALK resistance mutations (single and compound) and ALK-independent mechanisms,
    and ranks candidate therapies with evidence and sources. Research use only.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug or bool(os.environ.get("ALKSEQ_DEBUG"))


@cli.command()
@click.argument("mutation")
@_context_options
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
def lookup(mutation, prior, histology, progression, knowledge, fmt):
    """Sensitivity of an ALK mutation (or cis compound, 'G1202R+L1196M') to every ALK TKI,
    and the ranked candidates.

    Accepts G1202R, p.G1202R, p.Gly1202Arg, ALK:p.(Gly1202Arg).
    """
    with _collector_paused():
        _lookup(mutation, prior, histology, progression, knowledge, fmt)


@contextmanager
def _collector_paused():
    """No garbage collection while a short command builds what it keeps to the end (modules,
    the knowledge base, one report): a bounded heap, freed with the process, that the
    collector would walk a dozen times for nothing (~3 ms of a first lookup)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lookup(mutation, prior, histology, progression, knowledge, fmt) -> None:
    rich = fmt == "text" and sys.stdout.isatty()
    key = query = None
    if not rich:   # a query answered before with these tables and this code: its output
        from alkseq.knowledge import cache

        query = (mutation, tuple(prior), histology, progression, fmt)
        key = cache.answer_key(knowledge)
        answer = cache.find_answer(key, query) if key else None
        if answer is not None:
            return click.echo(answer, nl=False)
    from alkseq.api import lookup as run_lookup
    from alkseq.report import writer

    report = run_lookup(mutation, prior, histology=histology, progression=progression,
                        knowledge=knowledge)
    if rich:
        from alkseq.report.text import print_rich
        return print_rich([report])
    answer = writer(fmt).render([report], kind="lookup")
    if key:
        cache.store_answer(key, query, answer)
    click.echo(answer, nl=False)


@cli.command()
@click.argument("path", type=PATH)
@_context_options
@click.option("--specimen", type=SPECIMENS,
              help="Re-biopsy specimen (a negative plasma test prompts tissue advice).")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Output format (default: from the -o name, else text).")
@click.option("-O", "--output-type", "output_type", metavar="v|z|b|u|FORMAT",
              help="bcftools-style output type: v VCF, z bgzipped VCF, b BCF, u uncompressed "
                   "BCF, or json, tsv, text, html, maf (default: from the -o name).")
@click.option("-o", "--output", "outputs", multiple=True, type=PATH,
              help="Write here (atomically) instead of stdout; repeat to write several "
                   "formats in one run, each chosen by its name (x.json, x.vcf.gz, x.html).")
@click.option("--sample-name", metavar="NAME",
              help="Name the sample this in the outputs (e.g. the samplesheet's name); the "
                   "input must hold one sample (or pick it with --sample).")
@click.option("--input-format", type=INPUT_FORMATS,
              help="Skip content sniffing.")
@click.option("--build", type=BUILDS,
              help="Genome build (default: detected from the header).")
@click.option("--sample", help="Tumour sample (VCF column, MAF barcode, table sample).")
@click.option("--include-filtered", is_flag=True, help="Keep VCF records that fail FILTER.")
@click.option("--amp-threshold", type=click.FloatRange(min=0), default=6.0, show_default=True,
              help="Absolute copy number at or above which a gain is an amplification.")
@click.option("--fasta", type=PATH,
              help="Reference FASTA to translate beyond the shipped ALK kinase window.")
@click.option("--bam", type=PATH,
              help="Tumour BAM/CRAM (indexed) to phase ALK mutation pairs from the reads.")
def annotate(path, prior, histology, progression, knowledge, specimen, fmt, output_type, outputs,
             sample_name, input_format, build, sample, include_filtered, amp_threshold, fasta,
             bam):
    """Interpret one input file and rank next-line candidates for each sample in it."""
    from alkseq import prefetch

    prefetch.start(path)        # a BCF's index inflates on another core while the rest imports
    from alkseq.api import annotate as run_annotate
    from alkseq.errors import UsageError
    from alkseq.readers import ReadOptions
    from alkseq.report import resolve_output_type

    targets = list(outputs) or [None]
    if len(targets) > 1 and (fmt or output_type):
        raise UsageError("with several -o, each file's format comes from its name",
                         hint="drop --format/-O, or run once per format")
    if len(set(targets)) != len(targets):
        raise UsageError("the same -o is given twice")
    plans = [(target, *resolve_output_type(target, fmt, output_type)) for target in targets]
    if any(name in ("vcf", "maf") for _, name, _ in plans):
        from alkseq.readers._source import check_input

        if check_input(path) == "pipe":
            raise UsageError("--format vcf/maf reads the input twice (its records are written "
                             "back): give a file, not a pipe", hint="or use --format json/tsv/text")

    def import_writers() -> None:
        """This run's writers, imported while the reader's helper reads (``ReadOptions.meanwhile``)."""
        import importlib

        from alkseq.report import writer

        importlib.import_module("alkseq.report.output")     # ``emit``, for the writers that render
        for _target, name, _vcf_type in plans:
            writer(name)

    options = ReadOptions(input_format=input_format, build=build, sample=sample,
                          include_filtered=include_filtered, amp_threshold=amp_threshold,
                          fasta=fasta, bam=bam, helper_process=True, meanwhile=import_writers)
    reports = run_annotate(path, prior, histology=histology, progression=progression,
                           specimen=specimen, knowledge=knowledge, options=options)
    if sample_name is not None:
        if len(reports) != 1 or not sample_name.strip():
            raise UsageError("--sample-name names one sample" + (
                f"; the input holds {len(reports)} (pick one with --sample)"
                if len(reports) != 1 else ", not an empty string"))
        from dataclasses import replace

        reports = [replace(reports[0], sample=sample_name)]
    for target, name, vcf_type in plans:
        _write_annotated(reports, path, target, name, vcf_type, (path, bam, fasta))


def _write_annotated(reports, path, output, fmt, vcf_type, inputs) -> None:
    """One output of `annotate`: a writer chosen by name, to a file or stdout."""
    from alkseq.report import writer
    from alkseq.report.output import emit

    if fmt == "text" and (not output or output == "-") and sys.stdout.isatty():
        from alkseq.report.text import print_rich
        return print_rich(reports)
    module = writer(fmt)
    extra: dict = {}
    if hasattr(module, "write"):
        more = {"output_type": vcf_type} if vcf_type else {}
        module.write(reports, output, input_path=path, inputs=inputs,
                     command=" ".join(["alkseq", *sys.argv[1:]]), **more)
    else:
        emit(module.render(reports, **extra), output, inputs=inputs)


@cli.command()
@click.argument("samplesheet", type=PATH)
@click.option("-o", "--output", type=PATH, default="-", show_default=True,
              help="Cohort CSV, one row per sample (atomically; '-' = stdout).")
@click.option("--json-dir", type=PATH,
              help="Also write each sample's JSON report here (<sample>.json).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default 1: serial, --html-dir pages drawn with a "
                   "forked helper when two CPUs are free; 1 given: one process); with --scheduler "
                   "local, the LocalCluster size (default: CPU count).")
@click.option("--summary", type=PATH,
              help="Mechanism frequencies by last prior ALK TKI (TSV: n, counts, percentages).")
@click.option("--html", "html", type=PATH,
              help="Cohort HTML page.")
@click.option("--html-dir", type=PATH,
              help="Also write each sample's HTML report here (<sample>.html).")
@click.option("--scheduler", metavar="local|tcp://HOST:PORT",
              help="Run on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT joins one "
                   "(needs alkseq[dask]).")
@click.option("--quiet", is_flag=True, help="No progress bar (it only shows on a terminal anyway).")
@click.option("--knowledge", type=PATH,
              help="Extra knowledge tables (validated) overlaid on the shipped ones.")
@click.option("--json", "json_out", type=PATH,
              help="The whole batch as one JSON document (schema alkseq-report/2.0).")
@click.option("--multiqc", type=PATH,
              help="Write MultiQC custom-content files (a per-sample table, a mechanism bar "
                   "plot) into this folder.")
def batch(samplesheet, output, json_dir, workers, summary, html, html_dir, scheduler, quiet,
          knowledge, json_out, multiqc):
    """Interpret every sample of a samplesheet and write a cohort table.

    SAMPLESHEET is a CSV/TSV with columns sample, path (any input alkseq reads; relative
    to the samplesheet) and optionally bam, prior (lines ';'-separated oldest first, drugs in a line joined with '+'), histology,
    progression, build, specimen, input_sample (tumour sample inside a multi-sample file).

    A sample that fails does not stop the batch: its row has status=error and the reason.
    Exit code 0 when every sample succeeded, 10 when some failed (the outputs are still
    written), 2/3/5/6 when the batch itself cannot run (usage, samplesheet, knowledge base,
    output). Results are the same, in samplesheet order, serial or in parallel.
    """
    from alkseq.batching import batch as run_batch
    from alkseq.errors import BatchPartialFailure

    result = run_batch(samplesheet, workers=workers, scheduler=scheduler, knowledge=knowledge,
                       output=output, json_dir=json_dir, summary=summary, html=html,
                       html_dir=html_dir, progress=False if quiet else None,
                       json_out=json_out, multiqc=multiqc)
    if result.failures:
        where = f"; their rows in {output} have status=error" if output != "-" else ""
        raise BatchPartialFailure(f"{len(result.failures)} of {len(result.results)} samples "
                                  f"failed{where} (first: {result.failures[0].sample}: "
                                  f"{result.failures[0].message})")


@cli.command()
@click.argument("documents", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True,
              help="Cohort CSV, the columns of `alkseq batch` ('-' = stdout).")
@click.option("--json", "json_out", type=PATH,
              help="All samples as one JSON document (schema alkseq-report/2.0).")
@click.option("--summary", type=click.Path(dir_okay=False),
              help="Mechanism frequencies by last prior ALK TKI (TSV).")
@click.option("--multiqc", type=PATH,
              help="Write MultiQC custom-content files into this folder.")
def merge(documents, output, json_out, summary, multiqc):
    """Merge per-sample JSON reports (one workflow job each) into the cohort outputs of
    `alkseq batch`, without re-interpreting anything.

    DOCUMENTS are alkseq JSON files (schema alkseq-report/2.0), in the order wanted.
    Exit 10 when a merged batch document carried failed samples.
    """
    from alkseq.batching import merge as run_merge
    from alkseq.errors import BatchPartialFailure

    result = run_merge(documents, output=output, json_out=json_out, multiqc=multiqc,
                       summary=summary)
    if result.failures:
        raise BatchPartialFailure(f"{len(result.failures)} of {len(result.results)} merged "
                                  f"samples had failed (first: {result.failures[0].sample}: "
                                  f"{result.failures[0].message})")


@cli.group()
def kb():
    """Inspect and validate the knowledge base."""


@kb.command()
@click.option("--knowledge", type=PATH,
              help="Validate these overlay tables together with the shipped ones.")
@click.option("--path", "base", type=PATH,
              help="Validate a whole knowledge directory instead of the shipped one.")
@click.option("--strict", is_flag=True,
              help="Warnings (cells whose sources disagree with no row saying why) are errors.")
def validate(knowledge, base, strict):
    """Check every table: schema, units, citations, duplicates, known drugs and mutations,
    one class per source and cell, cis compounds, comments; warn on unacknowledged conflicts."""
    from alkseq.knowledge import knowledge_warnings, validate_knowledge

    kb_obj, problems = validate_knowledge(base, knowledge)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise _knowledge_error(len(problems))
    warnings = knowledge_warnings(kb_obj)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if strict and warnings:
        raise _knowledge_error(len(warnings))
    cells = len(kb_obj.sensitivity)
    rows = sum(len(v) for v in kb_obj.sensitivity.values())
    with_ic50 = sum(1 for v in kb_obj.sensitivity.values() if any(r.ic50_nm for r in v))
    click.echo(f"knowledge base {kb_obj.version}: OK — {len(kb_obj.drugs)} drugs, "
               f"{len(kb_obj.therapies)} regimens, {rows} sensitivity rows in {cells} cells "
               f"({with_ic50} with IC50), {len(kb_obj.mechanisms)} mechanisms, "
               f"{len(kb_obj.rules)} rules, {len(kb_obj.sources)} sources"
               + (f"; {len(warnings)} warning(s)" if warnings else ""))


def _knowledge_error(count: int) -> AlkseqError:
    from alkseq.errors import KnowledgeError

    return KnowledgeError(f"{count} problem(s) in the knowledge base (listed above)")


@kb.command()
@click.option("--grid", is_flag=True, help="Also print the mutation × ALK TKI grid (S/I/R/?/.).")
@click.option("--knowledge", type=click.Path(file_okay=False),
              help="Count these overlay tables together with the shipped ones.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
def coverage(grid, knowledge, fmt):
    """What the sensitivity matrix covers: cells, IC50s, primary/clinical vs secondary
    sources, conflicts."""
    from alkseq.knowledge import load_knowledge
    from alkseq.knowledge.coverage import coverage_table, matrix_coverage

    kb_obj = load_knowledge(overlay=knowledge)
    counts = matrix_coverage(kb_obj)
    if fmt == "json":
        import json

        click.echo(json.dumps(counts, indent=2))
        return
    for key, value in counts.items():
        click.echo(f"{key:<30} {value}")
    if grid:
        for row in coverage_table(kb_obj):
            click.echo("\t".join(row))


@kb.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write here (atomically) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(("tsv", "html", "json")), default=None,
              help="Output format (default: from the -o suffix, else tsv).")
@click.option("--knowledge", type=click.Path(file_okay=False),
              help="Audit these overlay tables together with the shipped ones.")
def audit(output, fmt, knowledge):
    """Every matrix cell with its sources, directness, evidence kinds, IC50s and conflicts,
    and a summary (cells by best directness, conflicts, sources by year): what a curator
    reviews before a release."""
    from alkseq.knowledge import load_knowledge
    from alkseq.knowledge.audit import audit as run_audit, render
    from alkseq.report.output import emit

    if fmt is None:
        suffix = (output or "").rsplit(".", 1)[-1].lower()
        fmt = {"html": "html", "htm": "html", "json": "json"}.get(suffix, "tsv")
    emit(render(run_audit(load_knowledge(overlay=knowledge)), fmt), output)


@kb.group(name="import")
def kb_import():
    """Import evidence from a downloaded export into an overlay directory (nothing is fetched)."""


@kb_import.command(name="civic")
@click.argument("export", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(),
              help="New (or empty) overlay directory to write: sensitivity.tsv, sources/, "
                   "civic-diff.tsv, civic-import.txt. Use it with --knowledge.")
def import_civic(export, out_dir):
    """Map a CIViC evidence export (the nightly ClinicalEvidenceSummaries.tsv or the JSON
    list of evidence items) onto the sensitivity schema: ALK predictive evidence in lung
    cancer; AND profiles become compounds only where the statement says cis. Writes a
    validated overlay and a diff against the shipped tables (new, contradicting, changed,
    unsupported, retired, absent, not keyed)."""
    from alkseq.knowledge.civic_import import import_civic as run_import, summary_text

    result = run_import(export, out_dir)
    click.echo(summary_text(result, export), nl=False)


@kb.command()
def drugs():
    """List every drug with its class, generation and synonyms."""
    from alkseq.knowledge import load_knowledge

    kb_obj = load_knowledge()
    for d in sorted(kb_obj.drugs.values(), key=lambda d: (d.drug_class, d.generation, d.drug)):
        click.echo(f"{d.drug:<16} {d.drug_class:<22} {d.generation or '-':<5} "
                   f"{d.alk_status:<16} {', '.join(d.synonyms)}")


def main(argv=None) -> None:
    """Entry point: run the CLI and map errors to one line and an exit code."""
    # What the interpreter and the imports built so far lives as long as the process (``collector``).
    from alkseq import collector

    thresholds = collector.settle()
    try:
        _main(argv)
    finally:
        gc.set_threshold(*thresholds)
        # The run is over and its objects go with the process: freezing them spares the
        # interpreter's last garbage collections over everything a run built (~10 ms after a
        # lookup, a third of its work beyond click). Exit hooks, weakref finalizers and the
        # flushing of stdout/stderr still run; every output file is closed before this.
        gc.freeze()


def run() -> None:
    """The ``alkseq`` command (``main`` is for callers that go on afterwards): a run that ended well
    and left nothing to do at exit leaves without the interpreter's teardown, which only frees what
    the process is dropping anyway (about 5 ms after an indexed genome run, measured 2026-12-01)."""
    try:
        main()
    except SystemExit as stop:
        if stop.code in (None, 0):
            _leave()
        raise
    _leave()


def _leave() -> None:
    """``os._exit(0)`` once stdout and stderr are flushed, when no other thread runs and no exit hook
    is registered (``atexit``: a logging shutdown, a temporary directory's cleanup, a pool's join);
    otherwise, or when a flush fails, return and let the interpreter exit as usual."""
    import atexit

    pending = getattr(atexit, "_ncallbacks", None)
    threading = sys.modules.get("threading")      # no threads were started where it was never imported
    if pending is None or pending() or (threading is not None and threading.active_count() > 1):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(0)


def _main(argv) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or bool(os.environ.get("ALKSEQ_DEBUG"))
    try:
        cli.main(args=args, prog_name="alkseq", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("alkseq: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AlkseqError as exc:
        if debug:
            raise
        click.echo(f"alkseq: error: {exc.one_line()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("alkseq: interrupted", err=True)
        sys.exit(130)
    except SignalInterrupt as exc:   # SIGTERM/SIGHUP during a batch: workers already ended
        click.echo(f"alkseq: {exc}", err=True)
        # leave now: the pool is ended and nothing is half-written, and the interpreter's exit
        # hooks (concurrent.futures joining its manager thread) could print a stray traceback
        # under load (seen once in ~40 runs of tests/test_batch_signals.py)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the last line of defence: never a bare traceback
        if debug:
            raise
        from alkseq.errors import printable

        detail = printable(str(exc))[:500]
        click.echo(f"alkseq: internal error: {type(exc).__name__}: {detail} "
                   "(re-run with --debug and please report it)", err=True)
        sys.exit(INTERNAL_ERROR_EXIT)


if _COLLECTING:   # the import is done (see the top of this module)
    # frozen first: what the import built would otherwise be walked by a collection at the very
    # next allocation (~4-5 ms, measured 2026-12-01 on an indexed genome run)
    gc.freeze()
    gc.enable()
