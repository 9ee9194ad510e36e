"""``alkseq batch`` leaves no process behind (issue 15 item 11): SIGTERM/SIGHUP/SIGINT end the
pool and exit 143/129/130; a SIGKILL of the batch ends its workers too (PR_SET_PDEATHSIG).

Each sample is a FIFO nobody writes to, so every worker sits in it (up to ALKSEQ_PIPE_WAIT,
set far beyond the test) until something ends it — a slow sample that costs no CPU.
Processes are found by scanning /proc for the batch's process group."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


def stat_of(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = stat_of(int(entry))
            if info and info[2] == pgid and info[0] not in ("Z", "X"):
                members.append(int(entry))
    return members


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = stat_of(int(entry))
            if info and info[1] == pid and info[0] not in ("Z", "X"):
                out.append(int(entry))
    return out


def start_batch(tmp_path: Path, workers: int = 2) -> subprocess.Popen:
    rows = []
    for number in range(workers * 2):
        fifo = tmp_path / f"sample{number}.vcf"
        os.mkfifo(fifo)
        rows.append(f"S{number},{fifo}")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("sample,path\n" + "\n".join(rows) + "\n")
    env = {**os.environ, "ALKSEQ_PIPE_WAIT": "600"}
    process = subprocess.Popen([sys.executable, "-m", "alkseq", "batch", str(sheet), "--workers",
                                str(workers), "--quiet", "-o", str(tmp_path / "cohort.csv")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)      # its own group: ours to scan
    deadline = time.monotonic() + 120
    while len(children(process.pid)) < workers:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    time.sleep(1.0)   # let the workers reach their samples
    return process


def wait_until_empty(pgid: int, seconds: float = 30) -> list[int]:
    deadline = time.monotonic() + seconds
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return group_members(pgid)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                         (signal.SIGINT, 130)])
def test_signal_ends_the_pool_and_exits(tmp_path, signum, code):
    process = start_batch(tmp_path)
    pgid = process.pid
    try:
        os.kill(process.pid, signum)           # the batch alone, as a workflow manager does
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == code, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in stderr
        assert "interrupt" in lines[0] or "aborted" in lines[0]
        assert wait_until_empty(pgid) == []
        assert not (tmp_path / "cohort.csv").exists()          # nothing half-written
        assert not list(tmp_path.glob(".*.part"))
    finally:
        kill_group(pgid)


def test_sigkill_of_the_batch_ends_its_workers(tmp_path):
    process = start_batch(tmp_path)
    pgid = process.pid
    workers = children(process.pid)
    try:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        assert wait_until_empty(pgid) == [], f"orphans of {workers}"
    finally:
        kill_group(pgid)


def test_a_worker_freezes_what_it_inherits():
    """``_worker_init`` (first thing in every worker) freezes the objects inherited from the batch and
    collects the young generation every 20,000 new containers; a fresh interpreter plays the worker."""
    import json

    code = ("import gc, json, os\nfrom alkseq import batching\nbefore = gc.get_freeze_count()\n"
            "batching._worker_init(os.getppid())\n"
            "print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()[0]]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, after, young = json.loads(done.stdout)
    assert before == 0 and after > 1000 and young == 20_000
