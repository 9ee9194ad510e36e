"""Batch: a samplesheet of re-biopsies → one ``Report`` per sample, serially, on local worker
processes or on a Dask cluster, with identical results in samplesheet order.

A sample that fails (unreadable file, wrong build, unknown drug …) never stops the batch: it
becomes a ``Failure`` and an ``error`` row. Samples travel to workers in chunks so each worker
pays for imports and the knowledge base once (``load_knowledge`` is cached per process).
A worker process that dies (a crash in a native library) costs only the sample that killed
it: the chunks it took down are re-run one sample at a time on a single worker.
Outputs are written after the run, each atomically; per-sample HTML pages (--html-dir) are
rendered and written by the workers as they go.

Workers die with the batch: SIGTERM, SIGHUP or Ctrl-C end the pool's processes before the
batch exits (143, 129, 130), and each worker asks Linux to kill it when its parent dies
(``PR_SET_PDEATHSIG``; elsewhere a thread watches the parent), so even a SIGKILL of the
batch leaves no worker running on.
"""
from __future__ import annotations

import math
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from alkseq.errors import AlkseqError, OutputError, UsageError, INTERNAL_ERROR_EXIT
from alkseq.model import Failure, Report
from alkseq.samplesheet import OutputFolder, SampleRow, read_samplesheet

MAX_CHUNK = 50
CHUNKS_PER_WORKER = 8
MIN_TAIL_CHUNK = 4         # the smallest chunk the shrinking tail of a parallel batch is cut into
VECTORISED_ROWS = 16      # from this many rows the readers may use numpy (imported once per worker)


@dataclass(frozen=True)
class SampleResult:
    """One samplesheet row after processing: a report, or the failure that replaced it."""

    sample: str
    path: str
    prior: tuple[str, ...]
    report: Report | None
    failure: Failure | None
    knowledge_version: str
    html: str | None = None      # path of the sample's HTML page, written by the worker

    @property
    def ok(self) -> bool:
        return self.failure is None

    def __getattr__(self, name: str) -> Report | None:
        """``report`` of a result a worker process sent packed (``_packed``): unpickled on first use."""
        state = self.__dict__
        if name == "report" and "_packed" in state:
            reports, index = state["_packed"]
            report = reports.get(index)
            object.__setattr__(self, "report", report)
            del state["_packed"]
            return report
        raise AttributeError(f"'SampleResult' object has no attribute '{name}'")

    def cohort_row(self) -> dict:
        """This result's row of the cohort CSV (``report.cohort.row``; a packed result brings its own)."""
        made = self.__dict__.get("_row")
        if made is not None:
            return made
        from alkseq.report.cohort import row

        return row(self)


def _packed(results: list[SampleResult]) -> list[SampleResult]:
    """The same results, to send from a worker process: their reports pickled here, together, and each
    cohort row made here.

    The main process of a batch unpickles every worker's results while both cores still run workers;
    a report is ~10 KB of objects (about 0.5 ms to rebuild), and a batch writing only the cohort CSV
    never needs it there. So reports travel as bytes and are rebuilt on first use (``SampleResult.report``):
    with 600 2k-record panel VCFs on 2 workers the main process went from 0.9–1.1 to 0.45–0.6 ms of
    CPU a sample, CPU the workers then have. A chunk's reports are pickled as one list: the
    knowledge-base objects they share (references, therapies, wording) are written once, not once a
    report (38 reports: 9.7 → 3.3 ms to pickle, 1.1 MB → 0.29 MB, 17 → 3.7 ms to unpickle; 2026-12-01)."""
    reports = _ChunkReports(pickle.dumps([r.report for r in results if r.report is not None],
                                         protocol=pickle.HIGHEST_PROTOCOL))
    packed, index = [], 0
    for result in results:
        if result.report is None:
            packed.append(result)
            continue
        state = dict(result.__dict__)
        state["_row"] = result.cohort_row()
        del state["report"]
        state["_packed"] = (reports, index)
        index += 1
        one = object.__new__(SampleResult)
        object.__setattr__(one, "__dict__", state)
        packed.append(one)
    return packed


class _ChunkReports:
    """The reports of one worker chunk as pickled bytes, unpickled (all of them) the first time one is
    asked for; it travels as its bytes however often it is sent on."""

    __slots__ = ("data", "reports")

    def __init__(self, data: bytes):
        self.data, self.reports = data, None

    def get(self, index: int) -> Report:
        if self.reports is None:
            self.reports = pickle.loads(self.data)  # noqa: S301 (made by this batch's own worker)
        return self.reports[index]

    def __getstate__(self) -> bytes:
        return self.data

    def __setstate__(self, data: bytes) -> None:
        self.data, self.reports = data, None


@dataclass
class BatchResult:
    """Everything a batch produced, in samplesheet order."""

    samplesheet: str
    results: list[SampleResult]
    rows: list[dict] = field(init=False)
    failures: list[Failure] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = [r.cohort_row() for r in self.results]
        self.failures = [r.failure for r in self.results if r.failure is not None]

    @property
    def reports(self) -> list[Report]:
        """Each successful sample's report, in samplesheet order (a worker's are rebuilt here on first use)."""
        return [r.report for r in self.results if r.failure is None]

    @property
    def exit_code(self) -> int:
        """0 when every sample succeeded, else ``BatchPartialFailure.exit_code`` (10)."""
        from alkseq.errors import BatchPartialFailure

        return BatchPartialFailure.exit_code if self.failures else 0

    def to_dicts(self) -> list[dict]:
        """Each successful report as a ``samples`` entry of the JSON document."""
        from alkseq.report.json_writer import report_to_dict

        return [report_to_dict(report) for report in self.reports]

    def document(self) -> dict:
        """The whole batch as one ``alkseq-report/2.0`` document (samples and failures)."""
        from alkseq.report.json_writer import document

        return document(self.reports, kind="batch", failures=self.failures)

    def frame(self):
        """One typed row per sample, failed ones included (``alkseq.frames.samples_frame``):
        ordered categoricals for status, mechanism class and evidence level, nullable ints."""
        from alkseq.frames import samples_frame

        return samples_frame(self.results)

    def candidates_frame(self):
        """Every successful sample's ranked candidates, one row each."""
        from alkseq.frames import candidates_frame

        return candidates_frame(self.reports)

    def __repr__(self) -> str:
        return (f"<BatchResult {self.samplesheet}: {len(self.results)} samples, "
                f"{len(self.failures)} failed>")

    def to_dataframe(self):
        """The cohort rows as a pandas DataFrame (one row per sample, the CSV's columns)."""
        import pandas as pd

        from alkseq.report.cohort import COLUMN_NAMES

        return pd.DataFrame(self.rows, columns=list(COLUMN_NAMES))


# --------------------------------------------------------------------------- one sample

def run_sample(row: SampleRow, knowledge, knowledge_version: str,
               vectorised: bool = False) -> SampleResult:
    """Interpret one samplesheet row; every error becomes a ``Failure`` (never raises).
    ``knowledge``: an overlay folder or the loaded knowledge base (``api.annotate``'s);
    ``vectorised``: ``ReadOptions.vectorised`` (numpy is worth its import in a big batch)."""
    try:
        report = _annotate_row(row, knowledge, vectorised)
        return SampleResult(row.sample, row.path, row.prior, report, None, knowledge_version)
    except AlkseqError as exc:
        failure = Failure(row.sample, row.path, _one_line(exc.one_line()), exc.exit_code)
    except Exception as exc:  # a bug or a library surprise: this sample fails, the batch goes on
        failure = Failure(row.sample, row.path,
                          _one_line(f"internal error: {type(exc).__name__}: {exc}"),
                          INTERNAL_ERROR_EXIT)
    return SampleResult(row.sample, row.path, row.prior, None, failure, knowledge_version)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _annotate_row(row: SampleRow, knowledge, vectorised: bool = False) -> Report:
    from alkseq.api import annotate
    from alkseq.errors import InputError
    from alkseq.genome.transcript import normalise_build
    from alkseq.readers import ReadOptions

    options = ReadOptions(build=normalise_build(row.build), bam=row.bam, sample=row.input_sample,
                          vectorised=vectorised)
    if row.bam:
        from alkseq.readers._source import require_file

        require_file(row.bam, "BAM/CRAM file")
    reports = annotate(row.path, row.prior, histology=row.histology, progression=row.progression,
                       specimen=row.specimen, knowledge=knowledge, options=options)
    if len(reports) == 1:
        report = reports[0]
    else:
        wanted = row.input_sample or row.sample
        matches = [r for r in reports if r.sample == wanted]
        if not matches:
            names = ", ".join(r.sample for r in reports[:10]) or "none"
            raise InputError(f"the file holds {len(reports)} samples and none is named '{wanted}'",
                             path=row.path, hint=f"samples: {names}; add an input_sample column")
        report = matches[0]
    return replace(report, sample=row.sample)


def _run_chunk(rows: Sequence[SampleRow], knowledge: str | None,
               knowledge_version: str, pages: tuple[str, str] | None = None,
               vectorised: bool = False, pack: bool = False, page_helper: bool = False) -> list[SampleResult]:
    """What a worker runs: a chunk of rows (imports and the knowledge base load once).

    With ``pages`` (the --html-dir and the samplesheet) the worker also renders and writes
    each sample's HTML page (atomically), so pages are drawn in parallel, not one by one in
    the main process, and never held in memory; ``SampleResult.html`` is the page's path.
    ``pack``: results go to another process (``_packed``). ``page_helper`` (a serial batch, where
    no worker draws pages meanwhile): a forked child draws part of them (``_write_pages``)."""
    from alkseq.knowledge import load_knowledge

    try:     # one knowledge base for the chunk (the batch loaded and checked it already)
        kb = load_knowledge(overlay=knowledge)
    except AlkseqError:
        kb = knowledge       # tables broken since the batch began: each sample says so
    results = [run_sample(row, kb, knowledge_version, vectorised) for row in rows]
    if pages:
        results = _write_pages(results, pages, page_helper)
    return _packed(results) if pack else results


_HELPER_MIN_PAGES = 8     # pages in a chunk before a forked child is worth starting (a fork: ~2 ms)


def _write_pages(results: list[SampleResult], pages: tuple[str, str], helper: bool) -> list[SampleResult]:
    """Render and write each reported sample's page (``_run_chunk``); the results with their pages' paths.

    With ``helper`` and enough pages, a forked child (``alkseq.forked``: Linux, two free CPUs, no
    other thread) draws the first half while this process draws the rest, both from the reports
    already in memory (nothing crosses between them but the paths written). This process draws its
    first page before the fork, so the templates are loaded and compiled once, for both. A child that
    fails sends no path, and its half is drawn again at the end, as a failed worker's would be
    (``_write_outputs``: same pages, same errors); an error here waits for the child to end first,
    so the pages before it are all written, as in one process."""
    from alkseq import forked

    module = _html_module()
    directory, sheet = pages
    folder = OutputFolder(directory)
    drawn = [i for i, r in enumerate(results) if r.report is not None]
    paths: dict[int, str] = {}

    def draw(indices) -> list[tuple[int, str]]:
        done = []
        with _Writes() as writes:
            for i in indices:
                r = results[i]
                target = folder.path(r.sample, ".html")
                writes.write(target, module.render([r.report]), inputs=(sheet, r.path))
                done.append((i, str(target)))
        return done

    child = None
    if helper and len(drawn) >= _HELPER_MIN_PAGES and forked.available():
        share, drawn = drawn[:len(drawn) // 2], drawn[len(drawn) // 2:]
        paths.update(draw(drawn[:1]))               # the templates loaded before the fork, for both
        drawn = drawn[1:]
        child = forked.start(lambda: [draw(share)])
        if child is None:
            drawn = share + drawn
    try:
        paths.update(draw(drawn))
    except Exception:
        if child is not None:                       # the child's pages come before this error: let it end
            _drawn_by(child)
        raise
    except BaseException:                           # interrupted: the child is stopped
        if child is not None:
            child.cancel()
        raise
    if child is not None:       # a child that failed sends no path: ``_write_outputs`` draws those pages again
        paths.update(_drawn_by(child))
    return [replace(r, html=paths[i]) if i in paths else r for i, r in enumerate(results)]


def _drawn_by(child) -> dict[int, str]:
    """The pages a ``_write_pages`` child wrote (result index → path), once it has ended."""
    return {i: path for done in child.values() for i, path in done}


class _Writes:
    """Per-sample files written atomically (each fsync'd) by a few threads while the caller renders
    the next one: concurrent fsyncs share the file system's journal commits (200 pages here: ~1 s
    one after another, ~0.1 s this way). The first failure is raised when the block ends."""

    THREADS = 8
    AHEAD = 32                   # files handed over and not yet written, at most

    def __init__(self):
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=self.THREADS)
        self.pending: deque = deque()

    def write(self, target, data, *, inputs) -> None:
        from alkseq.report.output import write_atomic

        self.pending.append(self.pool.submit(write_atomic, target, data, inputs=inputs))
        while len(self.pending) > self.AHEAD:
            self.pending.popleft().result()

    def __enter__(self) -> "_Writes":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        try:
            while kind is None and self.pending:
                self.pending.popleft().result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- the batch

def batch(samplesheet, workers: int | None = 1, scheduler=None, *,
          knowledge: str | None = None, output: str | None = None, json_dir: str | None = None,
          summary: str | None = None, html: str | None = None, html_dir: str | None = None,
          progress: bool | None = None, dask_processes: bool = True,
          chunk_size: int | None = None, json_out: str | None = None,
          multiqc: str | None = None) -> BatchResult:
    r"""Run every row of a samplesheet and (optionally) write the cohort outputs.

    ``workers`` > 1 uses local worker processes; None (the CLI's default) is serial, with a forked
    helper drawing half of the ``html_dir`` pages when two CPUs are free (1: this process only);
    ``scheduler`` ("local", "tcp://HOST:PORT", or a ``distributed.Client``) runs on Dask instead
    (``workers`` then sets the LocalCluster size; ``dask_processes=False`` keeps a LocalCluster's
    workers as threads).
    ``progress`` None shows a progress bar only when stderr is a terminal.
    The result's ``exit_code`` is 0 when every sample succeeded, 10 when some failed.
    ``json_out`` writes the whole batch as one JSON document (samples and failures);
    ``multiqc`` a folder of MultiQC custom-content files (``alkseq.report.multiqc``).
    ``samplesheet`` may be a pandas DataFrame with the samplesheet's columns (relative
    paths are then relative to the working directory). Failed samples are rows, not
    exceptions:

    >>> import pandas as pd, alkseq, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "met.tsv"), "w") as handle:
    ...     _ = handle.write("gene\talteration\tcopy_number\nMET\tamplification\t12\n")
    >>> sheet = pd.DataFrame({"sample": ["A", "B"], "prior": ["alectinib;lorlatinib", ""],
    ...                       "path": [os.path.join(folder, "met.tsv"), "missing.vcf"]})
    >>> result = alkseq.batch(sheet, progress=False)
    >>> result.exit_code
    10
    >>> frame = result.frame()
    >>> frame["sample"].tolist(), frame["status"].tolist(), frame.loc[0, "mechanism_class"]
    (['A', 'B'], ['ok', 'error'], 'bypass')
    >>> frame.loc[1, "error"].endswith("missing.vcf: no such file")
    True
    >>> str(frame["mechanism_class"].dtype), str(frame["n_candidates"].dtype)
    ('category', 'Int64')
    """
    if hasattr(samplesheet, "to_csv"):      # a DataFrame with the samplesheet's columns
        return _batch_frame(samplesheet, workers, scheduler, knowledge=knowledge, output=output,
                            json_dir=json_dir, summary=summary, html=html, html_dir=html_dir,
                            progress=progress, dask_processes=dask_processes,
                            chunk_size=chunk_size, json_out=json_out, multiqc=multiqc)
    from alkseq.knowledge import load_knowledge

    sheet = Path(samplesheet)
    rows = read_samplesheet(sheet)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {workers}")
    knowledge = str(Path(knowledge).resolve()) if knowledge else None
    kb = load_knowledge(overlay=knowledge)  # a broken knowledge base stops the batch here
    inputs = [str(sheet)] + [r.path for r in rows] + [r.bam for r in rows if r.bam]
    _check_outputs(output, json_dir, summary, html, html_dir, inputs)
    _check_outputs(json_out, multiqc, None, None, None, inputs)

    pages = None
    if html_dir:
        _make_directory(html_dir)
        pages = (str(html_dir), str(sheet))
    chunks = _chunks(rows, workers or 1, chunk_size)
    vectorised = len(rows) >= VECTORISED_ROWS
    with _signals_end_the_batch(), _Progress(len(rows), progress) as bar:
        if scheduler is not None:
            results = _run_dask(chunks, scheduler, workers, dask_processes, knowledge, kb.version,
                                bar.advance, pages, vectorised)
        elif workers and workers > 1:
            _warm_up(vectorised)
            results = _run_processes(chunks, workers, knowledge, kb.version, bar.advance, pages,
                                     vectorised)
        else:
            results = []
            for chunk in chunks:
                # no --workers: pages may be drawn by a helper as well (--workers 1: this process only)
                results.extend(_run_chunk(chunk, knowledge, kb.version, pages, vectorised,
                                          page_helper=workers is None))
                bar.advance(len(chunk))
    result = BatchResult(str(sheet), results)
    with _signals_end_the_batch():
        _write_outputs(result, inputs, output, json_dir, summary, html, html_dir)
        write_pipeline_outputs(result.results, inputs, json_out=json_out, multiqc=multiqc,
                               failures=result.failures)
    return result


def _batch_frame(frame, workers, scheduler, **options) -> BatchResult:
    """A DataFrame samplesheet: relative paths resolved against the working directory,
    written to a scratch CSV and run like a file; the result names it ``<DataFrame>``."""
    import tempfile

    frame = frame.copy()
    for column in ("path", "bam"):
        if column in frame.columns:
            frame[column] = [str(Path(v).resolve()) if isinstance(v, (str, Path)) and str(v)
                             else "" for v in frame[column]]
    with tempfile.TemporaryDirectory(prefix="alkseq-sheet-") as scratch:
        sheet = Path(scratch) / "samplesheet.csv"
        frame.fillna("").to_csv(sheet, index=False)
        result = batch(sheet, workers, scheduler, **options)
    result.samplesheet = "<DataFrame>"
    return result


def _chunk_size(n: int, workers: int) -> int:
    if workers <= 1:
        return max(1, min(MAX_CHUNK, n))
    return max(1, min(MAX_CHUNK, math.ceil(n / (workers * CHUNKS_PER_WORKER))))


def _chunks(rows: list[SampleRow], workers: int, size: int | None = None) -> list[list[SampleRow]]:
    """The rows cut into chunks, in order: of ``size`` each when given; else, for several workers, of
    ``_chunk_size`` until the rows left would give each worker fewer than two, then shrinking (a
    quarter of those left per chunk, ``MIN_TAIL_CHUNK`` at least), so the workers finish together
    instead of one running a whole chunk alone at the end (guided self-scheduling)."""
    if size or workers <= 1:
        size = size or _chunk_size(len(rows), workers)
        return [rows[i:i + size] for i in range(0, len(rows), size)]
    full = _chunk_size(len(rows), workers)
    chunks, start = [], 0
    while start < len(rows):
        size = min(full, max(math.ceil((len(rows) - start) / (2 * workers)), MIN_TAIL_CHUNK))
        chunks.append(rows[start:start + size])
        start += size
    return chunks


def _warm_up(vectorised: bool = False) -> None:
    """Import the readers and engine (and numpy, for a ``vectorised`` batch) before forking, so
    forked workers start warm."""
    import importlib

    from alkseq.readers import READER_MODULES

    for module in (*READER_MODULES.values(), "alkseq.api", "alkseq.interpret",
                   "alkseq.genome.transcript", "alkseq.genome.translate",
                   *(("numpy",) if vectorised else ())):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def _fork_context():
    """'fork' on Linux (workers inherit the loaded knowledge base); the default elsewhere."""
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


_END_SIGNALS = ("SIGTERM", "SIGHUP")


class _signals_end_the_batch:
    """SIGTERM/SIGHUP raise ``SignalInterrupt`` in the main thread for the duration, so the
    pool is ended and no output is half-written; the previous handlers come back after.
    Does nothing off the main thread (Python delivers signals only there)."""

    def __enter__(self):
        import signal
        import threading

        self._previous = {}
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in _END_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None:
                self._previous[number] = signal.signal(number, _raise_interrupt)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _raise_interrupt(signum, _frame):
    from alkseq.errors import SignalInterrupt

    raise SignalInterrupt(signum)


PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


def _worker_init(parent: int) -> None:
    """First thing in every worker: die when the batch does, whatever kills it.

    Default actions for SIGTERM/SIGHUP (a forked worker inherits the batch's handlers),
    SIGINT ignored (Ctrl-C reaches the whole process group; the batch ends the workers),
    then ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux, or a thread watching the parent. What the
    worker inherits (modules, the knowledge base) lives as long as it (``collector.settle``).
    """
    import signal

    from alkseq import collector

    collector.settle()

    for name in _END_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:      # the batch died before the request took effect
        os._exit(1)
    if not armed:
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=_fork_context(),
                               initializer=_worker_init, initargs=(os.getpid(),))


def _end_pool(pool) -> None:
    """Stop a pool now: cancel what has not started, terminate (then kill) every worker."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.terminate()
        except (OSError, ValueError):
            pass
    for process in processes:
        try:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        except (OSError, ValueError, AssertionError):
            pass


def _run_processes(chunks: list[list[SampleRow]], workers: int, knowledge: str | None,
                   version: str, advance: Callable[[int], None],
                   pages: tuple[str, str] | None = None, vectorised: bool = False) -> list[SampleResult]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    done: dict[int, list[SampleResult]] = {}
    suspects: list[SampleRow] = []
    pool = _pool(workers)
    try:
        futures = {pool.submit(_run_chunk, chunk, knowledge, version, pages, vectorised, True): i
                   for i, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done[index] = future.result()
                advance(len(chunks[index]))
            except BrokenProcessPool:
                suspects.extend(chunks[index])
    except BaseException:
        _end_pool(pool)
        raise
    pool.shutdown(wait=True)
    results = [r for i in range(len(chunks)) if i in done for r in done[i]]
    if suspects:
        results.extend(_isolate(suspects, knowledge, version, advance, pages, vectorised))
        order = {row.sample: n for n, row in enumerate(r for chunk in chunks for r in chunk)}
        results.sort(key=lambda r: order[r.sample])
    return results


def _isolate(rows: list[SampleRow], knowledge: str | None, version: str,
             advance: Callable[[int], None], pages: tuple[str, str] | None = None,
             vectorised: bool = False) -> list[SampleResult]:
    """Re-run rows whose worker died, one at a time on one worker, to find the culprit(s)."""
    from concurrent.futures.process import BrokenProcessPool

    results: list[SampleResult] = []
    queue = list(rows)
    while queue:
        pool = _pool(1)
        try:
            futures = [pool.submit(_run_chunk, [row], knowledge, version, pages, vectorised, True)
                       for row in queue]
            finished = 0
            for future in futures:  # one worker runs them in order: the first broken is the culprit
                try:
                    results.extend(future.result())
                    advance(1)
                    finished += 1
                except BrokenProcessPool:
                    break
        except BaseException:
            _end_pool(pool)
            raise
        pool.shutdown(wait=True)
        if finished < len(queue):
            culprit = queue[finished]
            results.append(SampleResult(
                culprit.sample, culprit.path, culprit.prior, None,
                Failure(culprit.sample, culprit.path, "the worker process crashed while reading "
                        "this sample (a native-library crash on a damaged file?)",
                        INTERNAL_ERROR_EXIT), version))
            advance(1)
            queue = queue[finished + 1:]
        else:
            queue = []
    return results


def _run_dask(chunks: list[list[SampleRow]], scheduler, workers: int | None, processes: bool,
              knowledge: str | None, version: str,
              advance: Callable[[int], None], pages: tuple[str, str] | None = None,
              vectorised: bool = False) -> list[SampleResult]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError("--scheduler needs Dask", hint="pip install 'alkseq[dask]'") from None

    own_client = own_cluster = None
    if isinstance(scheduler, str):
        if scheduler == "local":
            own_cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                       threads_per_worker=1, processes=processes,
                                       dashboard_address=None)
            own_client = client = Client(own_cluster)
        elif scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
            try:
                own_client = client = Client(scheduler, timeout="30s")
            except OSError as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            raise UsageError(f"--scheduler '{scheduler}' is neither 'local' nor tcp://HOST:PORT")
    else:
        client = scheduler  # an existing distributed.Client
    try:
        futures = client.map(_run_chunk, chunks, knowledge=knowledge, knowledge_version=version,
                             pages=pages, vectorised=vectorised, pack=True, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        done: dict[int, list[SampleResult]] = {}
        retry: list[SampleRow] = []
        for future in as_completed(futures):
            i = index[future.key]
            try:
                done[i] = future.result()
                advance(len(chunks[i]))
            except Exception:  # the worker died (KilledWorker) or could not run the task
                retry.extend(chunks[i])
        results = [r for i in range(len(chunks)) if i in done for r in done[i]]
        for row in retry:  # one at a time, so a crash costs only its own sample
            future = client.submit(_run_chunk, [row], knowledge, version, pages, vectorised,
                                   True, pure=False)
            try:
                results.extend(future.result())
            except Exception as exc:
                results.append(SampleResult(row.sample, row.path, row.prior, None, Failure(
                    row.sample, row.path, _one_line(f"Dask worker failed on this sample: "
                                                    f"{type(exc).__name__}: {exc}"),
                    INTERNAL_ERROR_EXIT), version))
            advance(1)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    if retry:
        order = {row.sample: n for n, row in enumerate(r for chunk in chunks for r in chunk)}
        results.sort(key=lambda r: order[r.sample])
    return results


# --------------------------------------------------------------------------- progress

class _Progress:
    """A rich progress bar on stderr when it is a terminal (and not turned off). Drawn when the count
    moves, not by rich's refresh thread: a thread running would rule out the serial batch's forked
    page helper (``_write_pages``; a fork copies only the calling thread)."""

    def __init__(self, total: int, enabled: bool | None):
        self.total = total
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled and total > 0
        self._bar = None
        self._task = None

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self._bar = Progress(TextColumn("alkseq batch"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True),
                                 transient=True, auto_refresh=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("samples", total=self.total)
            self._bar.refresh()
        return self

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=n, refresh=True)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


# --------------------------------------------------------------------------- outputs

def _html_module():
    from alkseq.report import html

    return html


def _check_outputs(output, json_dir, summary, html, html_dir, inputs) -> None:
    """Fail before the run, not after it, when an output cannot be written."""
    from alkseq.report.output import resolve_output

    paths = [path for path in (output, summary, html) if path and path != "-"]
    for path in paths:
        # an input under this name, or the same file under another (a link: device and inode, one stat of
        # each input, and only when the output exists); a directory, read-only file, socket, missing folder
        resolve_output(path, inputs)
    for directory in (json_dir, html_dir):
        if directory:
            target = Path(directory)
            if target.exists() and not target.is_dir():
                raise OutputError("exists and is not a directory", path=str(target))


def _write_outputs(result: BatchResult, inputs, output, json_dir, summary, html,
                   html_dir) -> None:
    from alkseq.report.cohort import render_csv, render_summary
    from alkseq.report.output import emit, write_atomic

    if json_dir:
        from alkseq.report import json_writer

        _per_sample(result, json_dir, ".json", lambda report: json_writer.render([report], kind="batch"), inputs)
    pages: dict[str, Path] = {}
    if html_dir:
        module = _html_module()
        pages = {item.sample: Path(item.html) for item in result.results if item.html}
        missing = BatchResult(result.samplesheet, [item for item in result.results
                                                   if item.ok and not item.html])
        pages.update(_per_sample(missing, html_dir, ".html",
                                 lambda report: module.render([report]), inputs))
    if html:
        base = Path(html).resolve().parent
        links = {sample: Path(os.path.relpath(page, base)).as_posix()
                 for sample, page in pages.items()}
        write_atomic(html, _html_module().render_cohort(result.rows, result.reports,
                                                        sample_links=links or None),
                     inputs=inputs)
    if summary:
        emit(render_summary(result.results), summary, inputs=inputs)
    if output is not None:
        emit(render_csv(result.rows), output, inputs=inputs)


def write_pipeline_outputs(results, inputs, *, json_out=None, multiqc=None,
                           failures=(), kind: str = "batch") -> None:
    """The outputs pipelines consume: one JSON document and the MultiQC files (also
    written by ``alkseq merge`` from per-sample JSON)."""
    from alkseq.report import json_writer
    from alkseq.report.output import emit

    if json_out:
        reports = [r.report for r in results if r.failure is None]
        emit(json_writer.render(reports, kind=kind, failures=failures), json_out, inputs=inputs)
    if multiqc:
        from alkseq.report import multiqc as mqc

        mqc.write(results, multiqc, inputs=inputs)


def _per_sample(result: BatchResult, directory: str, suffix: str, render,
                inputs) -> dict[str, Path]:
    """One file per successful sample, named from its sanitised name; sample → path."""
    folder = OutputFolder(_make_directory(directory))
    written = {}
    with _Writes() as writes:
        for item in result.results:
            if item.ok:
                target = folder.path(item.sample, suffix)
                writes.write(target, render(item.report), inputs=(inputs[0], item.path))
                written[item.sample] = target
    return written


def _make_directory(directory: str) -> Path:
    from alkseq.report.output import make_directory

    return make_directory(directory)


# --------------------------------------------------------------------------- merge

def merge(documents: Sequence[str | Path], *, output: str | None = None,
          json_out: str | None = None, multiqc: str | None = None,
          summary: str | None = None) -> BatchResult:
    """Per-sample JSON documents (``alkseq annotate --format json``, one job each in a
    workflow) → the cohort outputs ``alkseq batch`` writes, with the same columns.

    Nothing is re-interpreted: rows come from the documents as written. Samples keep the
    order of the documents given; a sample name seen twice is an error naming both files.
    """
    from alkseq.errors import InputError
    from alkseq.report.cohort import render_csv, render_summary
    from alkseq.report.json_writer import read_document, report_from_dict
    from alkseq.report.output import emit

    if not documents:
        raise UsageError("alkseq merge needs at least one JSON document")
    results: list[SampleResult] = []
    seen: dict[str, str] = {}
    for path in documents:
        data = read_document(path)
        entries = [(s["sample"], s) for s in data["samples"]] + \
                  [(f["sample"], f) for f in data["failures"]]
        for name, entry in entries:
            if name in seen:
                raise InputError(f"sample '{name}' is also in {seen[name]}", path=str(path),
                                 hint="give each sample's document once")
            seen[name] = str(path)
            if "message" in entry:  # a failure carried over from a batch document
                results.append(SampleResult(name, entry["path"] or "", (), None, Failure(
                    name, entry["path"], entry["message"], entry["exit_code"]),
                    data.get("knowledge_version") or ""))
                continue
            try:
                report = report_from_dict(entry)
            except (KeyError, TypeError, ValueError, AlkseqError) as exc:
                raise InputError(f"sample '{name}' does not follow the alkseq-report/2.0 "
                                 f"schema ({type(exc).__name__}: {exc})", path=str(path)) from None
            results.append(SampleResult(name, report.input_path or "", report.context.prior_therapies,
                                        report, None, report.knowledge_version))
    inputs = [str(p) for p in documents]
    _check_outputs(output, multiqc, summary, json_out, None, inputs)
    result = BatchResult(",".join(inputs), results)
    write_pipeline_outputs(results, inputs, json_out=json_out, multiqc=multiqc,
                           failures=result.failures, kind="merge")
    if summary:
        emit(render_summary(results), summary, inputs=inputs)
    if output is not None:
        emit(render_csv(result.rows), output, inputs=inputs)
    return result
