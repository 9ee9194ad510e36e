"""One exception tree for alkseq; each class carries the exit code the CLI uses.

Every message should name the file, the line or record where it can, and what to do.
``docs/errors.md`` documents the tree, the exit codes and the resource limits.

    AlkseqError (1)
    ├── UsageError (2)            options that contradict each other or name nothing known
    ├── InputError (3)            an input that cannot be read as the format it claims
    │   ├── ParseError            a value inside an input (a protein change, a number)
    │   ├── InputTooLargeError    an input over a resource limit (decompressed size, line length)
    │   └── BuildMismatchError (4) a reference allele disagrees: most often the wrong build
    ├── KnowledgeError (5)        a knowledge table that breaks its schema or contradicts itself
    ├── OutputError (6)           an output that cannot be written (or would overwrite an input)
    └── BatchPartialFailure (10)  a batch finished but some samples failed
    anything else                 internal error, exit 70 (a bug: please report it)

This module is on the ``alkseq --help`` path: standard library only (``alkseq.sanitise`` is too).
"""
from __future__ import annotations

from alkseq.sanitise import printable  # noqa: F401  (re-exported: the one sanitiser)

MAX_MESSAGE_CHARS = 2000
"""A one-line error never floods the terminal (an input may echo a 10 MB cell)."""


def quote(value, limit: int = 80) -> str:
    """A value echoed in a message: quoted, control characters escaped, long ones cut."""
    text = printable(str(value))
    if len(text) > limit:
        text = text[:limit] + f"… ({len(str(value)):,} characters)"
    return f"'{text}'"


class AlkseqError(Exception):
    """Root of every error alkseq raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``path:line: message (hint)`` on one line, printable, at most ~2,000 characters."""
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        text = printable(" ".join(text.split()))
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS] + " …"
        return text


class UsageError(AlkseqError):
    """Options that contradict each other or name nothing alkseq knows."""

    exit_code = 2


class InputError(AlkseqError):
    """An input file that cannot be read as the format it claims to be."""

    exit_code = 3


class SampleNotFoundError(InputError):
    """``--sample`` names no sample of the input: one wording and one exit code for every reader."""

    def __init__(self, wanted: str, available, *, path: str | None = None):
        names = [str(name) for name in available]
        shown = ", ".join(quote(name, 40) for name in names[:20])
        if len(names) > 20:
            shown += f", … ({len(names):,} in all)"
        super().__init__(f"no sample {quote(wanted)} in this file", path=path,
                         hint=("samples in the file: " + shown) if names else
                         "the file names no samples")


class ParseError(InputError):
    """A value inside an input (e.g. a protein change) that does not parse."""


class InputTooLargeError(InputError):
    """An input over one of alkseq's resource limits (see docs/errors.md)."""


class BuildMismatchError(InputError):
    """A reference allele disagrees with alkseq's sequence: most often the wrong genome build."""

    exit_code = 4


class KnowledgeError(AlkseqError):
    """A knowledge table that breaks its schema or contradicts itself."""

    exit_code = 5


class OutputError(AlkseqError):
    """An output that cannot be written (or would overwrite an input)."""

    exit_code = 6


class BatchPartialFailure(AlkseqError):
    """A batch finished but some samples failed; their rows say why."""

    exit_code = 10


class SignalInterrupt(BaseException):
    """SIGTERM or SIGHUP arrived (a workflow manager's timeout, a closed terminal).

    A ``BaseException`` like ``KeyboardInterrupt``: no ``except Exception`` (a batch's
    per-sample failure rows) may swallow it.  Exit code 128 + the signal number.
    """

    def __init__(self, signum: int):
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


INTERNAL_ERROR_EXIT = 70

EXIT_CODES: dict[int, str] = {
    0: "success",
    UsageError.exit_code: "usage error",
    InputError.exit_code: "input error",
    BuildMismatchError.exit_code: "reference-allele mismatch (most often the wrong genome build)",
    KnowledgeError.exit_code: "knowledge-base error",
    OutputError.exit_code: "output error",
    BatchPartialFailure.exit_code: "batch finished with failed samples",
    INTERNAL_ERROR_EXIT: "internal error (a bug: re-run with --debug and report it)",
    129: "interrupted by SIGHUP (the terminal closed)",
    130: "interrupted (Ctrl-C, SIGINT)",
    143: "interrupted by SIGTERM (e.g. a workflow manager's timeout)",
}
"""Every exit code the CLI uses (docs/errors.md lists the same; a test keeps them in step)."""
