"""Run one function in a forked child process while this one goes on, and take its return value.

Why: an indexed genome's reading is Python work holding the GIL (htslib's text of each record, then
its background test), so a thread cannot share it; a forked child can, with every module and table
already loaded. Used only where it is safe and pays: Linux, two usable CPUs, no other thread running
(a fork copies only the calling thread), and a caller that asked (``ReadOptions.helper_process``).

The child's value crosses a pipe as ``marshal`` bytes (built in: plain tuples, lists, dicts, strings
and numbers). Whatever goes wrong in the child (an exception, a value ``marshal`` cannot carry, a
kill) makes ``result`` return None, and the caller does that work itself: the child can only ever
save time, never change an answer or an error message. The child never writes to stdout or stderr
and leaves with ``os._exit`` (no buffered output or exit handler of this process runs twice).
"""
from __future__ import annotations

import os
import sys

_OK, _FAILED = b"1", b"0"


def available() -> bool:
    """Whether ``start`` may fork here: Linux, at least two usable CPUs, this the only thread."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False
    except (AttributeError, OSError):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


class Child:
    """A function running in a forked child; ``result()`` waits for it and returns its value (or None)."""

    def __init__(self, pid: int, read_end: int):
        self.pid, self.read_end = pid, read_end

    def result(self):
        import marshal

        parts = []
        try:
            while True:
                part = os.read(self.read_end, 1 << 20)
                if not part:
                    break
                parts.append(part)
        finally:
            os.close(self.read_end)
            status = _reap(self.pid)
        payload = b"".join(parts)
        if status != 0 or payload[:1] != _OK:
            return None
        try:
            return marshal.loads(payload[1:])
        except (EOFError, ValueError, TypeError):
            return None

    def cancel(self) -> None:
        """Stop waiting: the child is killed and reaped (the caller is leaving early, e.g. on an error)."""
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        os.close(self.read_end)
        _reap(self.pid)


def start(work) -> Child | None:
    """``work()`` in a forked child; None when forking is not available or fails (do the work here)."""
    if not available():
        return None
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:                       # the child: never returns
        code = 0
        try:
            os.close(read_end)
            import gc
            import marshal

            gc.disable()               # short-lived: no collection passes over the parent's objects
            try:
                payload = _OK + marshal.dumps(work())
            except BaseException:      # noqa: BLE001 — the parent does the work itself
                payload = _FAILED
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:          # noqa: BLE001 — a closed pipe: the parent has gone
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return Child(pid, read_end)


def _reap(pid: int) -> int | None:
    """The child's exit status (0 when it exited cleanly)."""
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)
