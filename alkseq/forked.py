"""Run one function in a forked child process while this one goes on, and take the values it sends.

Why: an indexed genome's reading is Python work holding the GIL (htslib's text of each record, then
its background test), and so is drawing HTML pages; a thread cannot share it, a forked child can, with
every module, table and report already in memory. Used only where it is safe and pays: Linux, two
usable CPUs, no other thread running (a fork copies only the calling thread), and a caller that asked
(``ReadOptions.helper_process``: the CLI's one-file run; a serial batch's ``--html-dir`` pages).

The child's values cross a pipe as ``marshal`` bytes (built in: plain tuples, lists, dicts, strings
and numbers), one framed message each, so the caller takes each one while the child makes the next.
Whatever goes wrong in the child (an exception, a value ``marshal`` cannot carry, a kill) ends the
values early with ``complete`` False, and the caller does the rest of that work itself: the child
can only ever save time, never change an answer or an error message. The child never writes to
stdout or stderr and leaves with ``os._exit`` (no buffered output or exit handler of this process
runs twice).
"""
from __future__ import annotations

import os
import sys

_VALUE, _END, _FAILED = b"v", b"e", b"f"     # message tags: a value, the end, a failure


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
    """A function running in a forked child. ``values()`` gives what it sends as each value arrives, then
    ``complete`` says whether it ran to its end."""

    def __init__(self, pid: int, read_end: int):
        self.pid, self.read_end = pid, read_end
        self.complete = False
        self._open = True

    def values(self):
        """Each value the child sent, as it arrives (the child goes on meanwhile); after the last one,
        ``complete`` is True only when the child finished its work and exited cleanly. A value that cannot
        be read ends the stream as a failure would."""
        import marshal

        ended = False
        try:
            while True:
                head = self._read(5)
                if head is None:
                    break
                tag, size = head[:1], int.from_bytes(head[1:], "little")
                if tag != _VALUE:
                    ended = tag == _END
                    break
                data = self._read(size)
                if data is None:
                    break
                try:
                    value = marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    break
                yield value
        finally:
            self.complete = self._close(kill=not ended) == 0 and ended

    def cancel(self) -> None:
        """Stop waiting: the child is killed and reaped (the caller is leaving early, e.g. on an error)."""
        self._close(kill=True)

    def _read(self, size: int) -> bytes | None:
        """Exactly ``size`` bytes from the pipe, or None at its end (the child has gone)."""
        parts, wanted = [], size
        while wanted:
            part = os.read(self.read_end, wanted)
            if not part:
                return None
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)

    def _close(self, kill: bool) -> int | None:
        """Close the pipe and reap the child (killed first when ``kill``); its exit status, once."""
        if not self._open:
            return None
        self._open = False
        if kill:
            import signal

            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        os.close(self.read_end)
        return _reap(self.pid)


def start(work) -> Child | None:
    """``work()`` in a forked child, each value of the iterable it returns sent as it is made; None when
    forking is not available or fails (do the work here)."""
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
                for value in work():
                    _send(write_end, _VALUE, marshal.dumps(value))
                tag = _END
            except BaseException:      # noqa: BLE001 — the parent does the rest of the work itself
                tag = _FAILED
            _send(write_end, tag, b"")
        except BaseException:          # noqa: BLE001 — a closed pipe: the parent has gone
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return Child(pid, read_end)


def _send(descriptor: int, tag: bytes, data: bytes) -> None:
    """One framed message: its tag, its length (4 bytes, little-endian), its bytes."""
    view = memoryview(tag + len(data).to_bytes(4, "little") + data)
    while view:
        view = view[os.write(descriptor, view):]


def _reap(pid: int) -> int | None:
    """The child's exit status (0 when it exited cleanly)."""
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)
