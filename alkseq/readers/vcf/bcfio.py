"""The one way alkseq opens, decodes and writes BCF: htslib through pysam's ``libcbcf`` extension,
for the reader (``bcf``) and the VCF writer's BCF input and ``-O b|u`` output alike.

Why pysam's ``libcbcf`` and not cyvcf2: measured 2026-12-01 (2-core machine, bytecode cached,
``/root/.pyenv/versions/3.11.7/bin/python``, best of 7 fresh processes), loading ``libcbcf`` alone
(``pysam_extension``) costs 4.5 ms, ``import cyvcf2`` 66–125 ms, 60–120 ms of it numpy. The indexed
BCF target is 3× ``bcftools view -r`` (~53 ms idle, so ~160 ms for the whole run, of which ~150 ms
is already the interpreter, click, alkseq and the knowledge base on an empty BCF): cyvcf2's import
alone would spend the rest.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

from alkseq.errors import InputError


def libcbcf():
    """``pysam.libcbcf`` with htslib quiet, without the rest of pysam."""
    from alkseq.readers.vcf.collect import pysam_extension

    return pysam_extension("libcbcf")


def open_bcf(file, *, index: str | None = None, path=None, what: str = "cannot read as BCF"):
    """A ``VariantFile`` reading ``file`` (with its CSI index when given); htslib's errors as one
    ``InputError`` naming ``path`` (the user's file; ``file`` may be a scratch copy of its records)."""
    try:
        return libcbcf().VariantFile(str(file), index_filename=index)
    except (OSError, ValueError) as exc:
        reason = "no valid VCF/BCF header" if "valid header" in str(exc) else str(exc)
        raise InputError(f"{what}: {reason}", path=str(path or file),
                         hint="is the file complete and a BCF 2? re-index with bcftools index if the index is stale") from None


def record_texts(handle, path, records=None, what: str = "unreadable BCF record") -> Iterator[str]:
    """Each record of an open ``VariantFile`` (or of ``records``, e.g. a fetch) as VCF text, no newline."""
    try:
        for record in handle if records is None else records:
            yield str(record).rstrip("\n")
    except (OSError, ValueError) as exc:
        raise InputError(f"{what}: {exc}", path=str(path)) from None


def text_lines(path, *, what: str) -> Iterator[str]:
    """A BCF (or any htslib-readable VCF) as VCF text lines: the header, then every record."""
    with quiet_stderr():
        handle = open_bcf(path, what=what)
    try:
        yield from str(handle.header).rstrip("\n").split("\n")
        yield from record_texts(handle, path)
    finally:
        handle.close()


def write_bcf(text_vcf: Path, part: Path, *, compressed: bool) -> None:
    """A text VCF (every contig declared) → BCF at ``part``; raises OSError/ValueError.

    Uncompressed is BGZF of stored (level 0) blocks, as alkseq's ``-O u`` always wrote it (pysam 0.24
    refuses htslib's ``wbu`` mode: "conflicting format specifiers")."""
    module = libcbcf()
    with quiet_stderr():
        with module.VariantFile(str(text_vcf)) as source, \
                module.VariantFile(str(part), "wb" if compressed else "wb0", header=source.header) as sink:
            for record in source:
                sink.write(record)


class quiet_stderr:
    """htslib prints ``[W::...]`` lines straight to fd 2: keep the CLI's output one line."""

    def __enter__(self):
        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)
        return False
