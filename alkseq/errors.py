"""One exception tree for alkseq; each class carries the exit code the CLI uses.

Every message should name the file, the line or record where it can, and what to do.
"""
from __future__ import annotations


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
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())


class UsageError(AlkseqError):
    """Options that contradict each other or name nothing alkseq knows."""

    exit_code = 2


class InputError(AlkseqError):
    """An input file that cannot be read as the format it claims to be."""

    exit_code = 3


class ParseError(InputError):
    """A value inside an input (e.g. a protein change) that does not parse."""


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


INTERNAL_ERROR_EXIT = 70
