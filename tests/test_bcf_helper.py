"""The indexed BCF path may share its background counting with a forked child (``bcf.CsiItems``,
``alkseq.forked``): the report must be the one reading in order gives, whether the child succeeds,
fails, or either part meets an error; and the ``alkseq`` command's quick exit must lose nothing."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

from alkseq import forked
from alkseq.readers.vcf import bcf


@pytest.fixture(scope="module")
def genome_bcf(tmp_path_factory) -> Path:
    """A generated 60,000-record genome (planted ALK, MET, … findings) as an indexed BCF."""
    spec = importlib.util.spec_from_file_location("alkseq_bench_generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    directory = tmp_path_factory.mktemp("helper")
    plain = directory / "genome.vcf"
    generate.write_vcf(plain, 60_000, "genome", seed=5)
    out = directory / "genome.bcf"
    bcftools = require_tool("bcftools")
    subprocess.run([bcftools, "view", "--no-version", "-Ob", "-o", str(out), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-f", "-c", str(out)], check=True)
    return out


# The checks that fork run in a fresh interpreter: ``forked`` (rightly) refuses to fork a process
# where another thread runs, and earlier tests leave one in this one (Dask's offload thread).
CHECK = r"""
import json, sys
from alkseq.errors import InputError
from alkseq.readers import ReadOptions, read_input
from alkseq import forked
from alkseq.readers.vcf import bcf

mode, path = sys.argv[1], sys.argv[2]
bcf._HELPER_MIN_BYTES = 0                 # the test file is small: share it anyway
made = []
start = forked.start
def counted(work, **options):
    child = start(work, **options)
    made.append(child is not None)
    return child
forked.start = counted

def read(helper):
    (sample,) = read_input(path, ReadOptions(helper_process=helper))
    return sample

out = {}
if mode == "same":
    alone = read(False)
    out["forks_alone"] = len(made)
    shared = read(True)
    out["same"] = shared == alone
    out["metadata"] = shared.metadata
    out["names"] = [a.name for a in shared.alterations]
elif mode == "cli":
    from click.testing import CliRunner
    from alkseq.api import annotate
    from alkseq.cli import cli
    from alkseq.report import json_writer
    result = CliRunner().invoke(cli, ["annotate", path, "--prior", "lorlatinib", "--format", "json"])
    out["exit"] = result.exit_code
    out["same"] = result.output == json_writer.render(annotate(path, prior=["lorlatinib"]))
    out["g1202r"] = "G1202R" in result.output
elif mode.startswith("meanwhile"):
    # meanwhile:<seconds>[:raise] — the caller's work runs once, after the child started; a slow one
    # leaves the child every interval
    import time
    _, seconds, *fail = mode.split(":")
    alone = read(False)
    events = []
    def meanwhile():
        events.append(("meanwhile", len(made)))
        time.sleep(float(seconds))
        if fail:
            raise RuntimeError("the caller's work failed")
    try:
        (shared,) = read_input(path, ReadOptions(helper_process=True, meanwhile=meanwhile))
        out["same"] = shared == alone
    except RuntimeError as exc:
        out["error"] = str(exc)
    import os
    try:
        out["children_left"] = os.waitpid(-1, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        out["children_left"] = False
    out["events"] = events
elif mode.startswith("child-stops"):
    # child-stops:<raise|exit>:<intervals> — the child sends that many intervals, then fails or dies
    import os
    _, how, after = mode.split(":")
    alone = read(False)
    parent, real_count, calls = os.getpid(), bcf._count_one, []
    def stopping(*args):
        if os.getpid() != parent:
            if len(calls) == int(after):
                if how == "exit":
                    os._exit(3)                   # a kill, as far as the parent can tell
                raise RuntimeError("simulated failure in the child")
            calls.append(1)
        return real_count(*args)
    bcf._count_one = stopping
    out["same"] = read(True) == alone
elif mode == "who-counts":
    # which process counted each interval (a marker file per interval and process)
    import os
    parent, real_count, marks = os.getpid(), bcf._count_one, sys.argv[3]
    def marking(path_, handle, table, plan, interval, *rest):
        side = "parent" if os.getpid() == parent else "child"
        with open(os.path.join(marks, f"{interval}-{side}-{os.getpid()}"), "w"):
            pass
        return real_count(path_, handle, table, plan, interval, *rest)
    bcf._count_one = marking
    alone = read(False)
    for name in os.listdir(marks):
        os.unlink(os.path.join(marks, name))
    out["same"] = read(True) == alone
    out["marks"] = sorted(os.listdir(marks))
elif mode == "child-fails":
    alone = read(False)
    def broken(*_args):
        raise RuntimeError("simulated failure in the child")
    bcf._count_claimed = broken           # the fork copies the patch
    out["same"] = read(True) == alone
else:                                     # errors:<rid>=<name>,… — contig ids whose records cannot be read
    broken = {int(rid): part for rid, part in (item.split("=") for item in mode.split(":")[1].split(","))}
    real = bcf._from
    def failing(handle, offset, rid, begin, end, where_path, where):
        if rid in broken:
            raise InputError(f"unreadable record in the {broken[rid]} part", path=str(where_path))
        return real(handle, offset, rid, begin, end, where_path, where)
    bcf._from = failing
    for helper in (False, True):
        try:
            read(helper)
            out[str(helper)] = None
        except InputError as exc:
            out[str(helper)] = str(exc)
out["forks"] = made
print(json.dumps(out))
"""


def _check(mode: str, path: Path, *extra: str) -> dict:
    import json

    done = subprocess.run([sys.executable, "-c", CHECK, mode, str(path), *extra], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_child_counts_half_and_the_sample_is_the_same(genome_bcf):
    out = _check("same", genome_bcf)
    assert out["forks_alone"] == 0 and out["forks"] == [True]        # a child really ran, once
    assert out["same"]
    metadata = out["metadata"]
    assert metadata["mode"] == "indexed" and metadata["records_in_known_genes"] > 0
    assert metadata["noncoding"] + metadata["filtered"] > 0           # background records were counted
    names = " ".join(out["names"])
    assert "G1202R" in names and "MET" in names


def test_the_report_is_the_same_through_the_cli_with_a_child(genome_bcf):
    out = _check("cli", genome_bcf)
    assert out["exit"] == 0 and out["forks"] == [True]
    assert out["same"] and out["g1202r"]


@pytest.mark.parametrize("seconds", [0, 0.5])
def test_the_callers_work_runs_once_after_the_fork(genome_bcf, seconds):
    """``ReadOptions.meanwhile`` runs exactly once, with the child already started, and the sample is the
    same however long it takes (the child counts every interval while a slow one runs)."""
    out = _check(f"meanwhile:{seconds}", genome_bcf)
    assert out["forks"] == [True] and out["events"] == [["meanwhile", 1]]
    assert out["same"] and not out["children_left"]


def test_each_interval_is_counted_once_by_one_of_the_two(genome_bcf, tmp_path):
    """Both processes take intervals from one queue: every interval of the plan is counted exactly once,
    by the child or by this process, and the sample is the one reading in order gives."""
    out = _check("who-counts", genome_bcf, str(tmp_path))
    assert out["forks"] == [True] and out["same"]
    taken = [name.split("-") for name in out["marks"]]
    intervals = [int(interval) for interval, _side, _pid in taken]
    assert sorted(intervals) == list(range(len(_plan(genome_bcf)[0])))    # each once, none left out
    assert {side for _interval, side, _pid in taken} <= {"parent", "child"} and len({pid for *_, pid in taken}) <= 2


def test_a_failing_meanwhile_stops_the_child_and_is_raised(genome_bcf):
    out = _check("meanwhile:0:raise", genome_bcf)
    assert out["error"] == "the caller's work failed" and out["events"] == [["meanwhile", 1]]
    assert not out["children_left"]                                    # killed and reaped


@pytest.mark.parametrize("how", ["raise", "exit"])
@pytest.mark.parametrize("after", [1, 3])
def test_a_child_that_stops_midway_leaves_the_rest_to_the_parent(genome_bcf, how, after):
    """The child's intervals arrive one by one: when it fails or dies after some of them, this process
    keeps what arrived (counts and records) and reads the interval it had taken but not sent itself."""
    out = _check(f"child-stops:{how}:{after}", genome_bcf)
    assert out["forks"] == [True] and out["same"]


def test_a_child_that_fails_leaves_its_part_to_the_parent(genome_bcf):
    out = _check("child-fails", genome_bcf)
    assert out["forks"] == [True] and out["same"]


def _plan(path):
    from alkseq.readers.vcf import csi
    from alkseq.readers.vcf.bcfio import open_bcf
    from alkseq.readers.vcf.prefilter import spans_by_chrom

    table = csi.load(f"{path}.csi")
    with open_bcf(path, without_index=True) as handle:
        return bcf._interval_plan(handle, table, spans_by_chrom(("GRCh38",))), table


@pytest.mark.parametrize("broken_contigs", [("late",), ("early", "late"), ("early",)])
def test_errors_are_the_ones_reading_in_order_meets_first(genome_bcf, broken_contigs):
    """A record that cannot be read on an early contig, a late one, or both, whichever process takes its
    interval: the error is the one the sequential read raises (the early one's when both fail)."""
    plan, _table = _plan(genome_bcf)
    contigs = {"early": plan[0][1], "late": plan[-1][1]}
    assert contigs["early"] != contigs["late"]
    out = _check("errors:" + ",".join(f"{contigs[part]}={part}" for part in broken_contigs), genome_bcf)
    assert out["forks"] == [True]
    assert out["True"] == out["False"] and f"the {broken_contigs[0]} part" in out["True"]


def test_a_small_plan_is_not_shared(genome_bcf):
    """Under the size threshold (this 60,000-record file's genes span fewer bytes) nothing is forked."""
    plan, table = _plan(genome_bcf)
    assert len(plan) > 2 and bcf._work_order(table, plan) is None


def test_the_queue_gives_every_interval_largest_first(genome_bcf, monkeypatch):
    """The work order is every interval once, the biggest (by the bytes the index puts between its ends)
    first: the smallest are left for last, so neither process ends long after the other."""
    monkeypatch.setattr(bcf, "_HELPER_MIN_BYTES", 0)
    plan, table = _plan(genome_bcf)
    order = bcf._work_order(table, plan)
    assert sorted(order) == list(range(len(plan)))

    def size(interval):                   # no offset before a start (htslib decides there): size 0
        _chrom, rid, start, end, _earlier = plan[interval]
        begin, stop = table.start(rid, start - 1), table.start(rid, end)
        return 0 if begin is None or stop is None else stop - begin

    sizes = [size(interval) for interval in order]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


CLAIMS = r"""
import json, os, sys
from alkseq.readers.vcf import bcf
claims = bcf._Claims(list(range(256)))
taken = []
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    mine = bytes(claims)
    os.write(write_end, mine)
    os._exit(0)
os.close(write_end)
mine = list(claims)
theirs = b""
while True:
    part = os.read(read_end, 4096)
    if not part:
        break
    theirs += part
os.waitpid(pid, 0)
claims.close()
print(json.dumps({"parent": mine, "child": list(theirs)}))
"""


def test_two_processes_draining_the_claims_take_each_interval_once():
    """The queue is a pipe read one byte at a time: two processes reading it at once take every interval
    once between them, each in queue order."""
    import json

    done = subprocess.run([sys.executable, "-c", CLAIMS], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert sorted(out["parent"] + out["child"]) == list(range(256))
    assert out["parent"] == sorted(out["parent"]) and out["child"] == sorted(out["child"])


FORKED = r"""
import json, time
from alkseq import forked
child = forked.start(lambda: [{"counts": [1, 2], "text": "chr2\t29192774"}])
def halting():
    yield 1
    yield 2
    raise RuntimeError("stops after two values")
streamed = forked.start(lambda: iter([1, [2, "two"], {"three": 3}]))
halted = forked.start(halting)
left = forked.start(lambda: iter(range(10 ** 6)))
failing = forked.start(lambda: [1 / 0])
uncarried = forked.start(lambda: [object()])        # marshal cannot carry it
slow = forked.start(lambda: [time.sleep(30)])
began = time.monotonic()
slow.cancel()                                       # killed and reaped at once
cancel_seconds = time.monotonic() - began
def taken(started):
    values = list(started.values())
    return [values, started.complete]
value, failing_value, uncarried_value = taken(child), taken(failing), taken(uncarried)
streamed_values, halted_values = taken(streamed), taken(halted)
for first in left.values():                         # the caller stops after one value
    break
import os
try:
    children_left = os.waitpid(-1, os.WNOHANG) != (0, 0)
except ChildProcessError:
    children_left = False
print(json.dumps({"value": value, "failing": failing_value, "uncarried": uncarried_value,
                  "cancel_seconds": cancel_seconds, "streamed": streamed_values, "halted": halted_values,
                  "left": [first, left.complete], "children_left": children_left}))
"""


def test_forked_sends_the_childs_values_and_says_whether_it_finished():
    import json

    done = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["value"] == [[{"counts": [1, 2], "text": "chr2\t29192774"}], True]
    assert out["failing"] == [[], False] and out["uncarried"] == [[], False]
    assert out["cancel_seconds"] < 10
    # streamed: every value in order and complete; a failure keeps what was sent, not complete; a caller
    # that stops early leaves no child behind
    assert out["streamed"] == [[1, [2, "two"], {"three": 3}], True]
    assert out["halted"] == [[1, 2], False]
    assert out["left"] == [0, False] and not out["children_left"]


def test_no_fork_while_another_thread_runs():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.available()
        assert forked.start(lambda: 1) is None
    finally:
        stop.set()
        thread.join()


def _alkseq(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_command_leaves_quickly_with_its_whole_output():
    """``cli.run`` (the ``alkseq`` script) ends with ``os._exit`` after a good run: stdout is complete, the
    same as ``main``'s, and a failing run keeps its exit code and message."""
    quick = _alkseq("import sys; sys.argv = ['alkseq', 'lookup', 'G1202R', '--format', 'json']\n"
                    "from alkseq.cli import run; run()")
    usual = _alkseq("import sys; sys.argv = ['alkseq', 'lookup', 'G1202R', '--format', 'json']\n"
                    "from alkseq.cli import main; main()")
    assert quick.returncode == usual.returncode == 0, quick.stderr
    assert quick.stdout == usual.stdout and quick.stdout.rstrip().endswith("}")
    failed = _alkseq("import sys; sys.argv = ['alkseq', 'annotate', '/nonexistent.vcf']\n"
                     "from alkseq.cli import run; run()")
    assert failed.returncode == 3 and failed.stderr.startswith("alkseq: error:")


def test_an_exit_hook_keeps_the_usual_exit():
    """Something registered to run at exit (here a print) still runs: ``run`` leaves the usual way."""
    done = _alkseq("import atexit, sys; atexit.register(lambda: print('hook ran'))\n"
                   "sys.argv = ['alkseq', 'lookup', 'G1202R']\nfrom alkseq.cli import run; run()")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("hook ran")


def test_read_input_runs_meanwhile_before_any_other_reader(tmp_path):
    """A reader that does not run ``meanwhile`` itself (a MAF here) has it run before its ``read``: the
    caller's error comes before the input's."""
    from alkseq.readers import ReadOptions, read_input

    bad = tmp_path / "bad.maf"
    bad.write_text("#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\nALK\n", encoding="utf-8")
    calls = []

    def meanwhile():
        calls.append("meanwhile")
        raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError, match="the caller's work failed"):
        read_input(bad, ReadOptions(input_format="maf", meanwhile=meanwhile))
    assert calls == ["meanwhile"]
    (sample,) = read_input(ROOT / "examples" / "maf" / "two_samples.maf",
                           ReadOptions(meanwhile=lambda: calls.append("again"), sample="PT101"))
    assert calls == ["meanwhile", "again"]


def test_a_vcf_reader_runs_meanwhile_after_its_header(tmp_path):
    """The VCF reader runs ``meanwhile`` once its header is read: a header error comes first, a record
    error after it."""
    from alkseq.errors import InputError
    from alkseq.readers import ReadOptions, read_input

    good = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"
    lines = good.read_text(encoding="utf-8").splitlines(keepends=True)
    headless = tmp_path / "headless.vcf"
    headless.write_text("".join(line for line in lines if not line.startswith("#CHROM")), encoding="utf-8")
    broken = tmp_path / "broken.vcf"
    broken.write_text("".join(lines) + "chr2\t29443695\n", encoding="utf-8")    # two columns: an error
    for path, ran in ((headless, []), (broken, ["meanwhile"])):
        calls: list[str] = []
        with pytest.raises(InputError):
            read_input(path, ReadOptions(meanwhile=lambda: calls.append("meanwhile")))
        assert calls == ran, path.name


@pytest.mark.parametrize("helper", [False, True])
def test_annotate_checks_the_patient_once_with_or_without_a_helper(helper):
    """``api.annotate`` prepares its knowledge base and the patient's context once, whoever runs it (the
    reader, with ``helper_process``, or the API first): the same report, and an unknown drug is the same
    error."""
    from alkseq.api import annotate
    from alkseq.errors import UsageError
    from alkseq.readers import ReadOptions

    good = ROOT / "examples" / "post_alectinib_g1202r" / "tumor.vcf"
    plain = annotate(good, prior=["alectinib"])
    calls: list[str] = []
    shared = annotate(good, prior=["alectinib"],
                      options=ReadOptions(helper_process=helper, meanwhile=lambda: calls.append("caller")))
    assert shared == plain and shared[0].candidates[0].drugs == ("lorlatinib",)
    assert calls == ["caller"]                       # the caller's own work, once, with the API's
    with pytest.raises(UsageError, match="unknown drug 'notadrug'"):
        annotate(good, prior=["notadrug"], options=ReadOptions(helper_process=helper))
