"""Readers: every input kind becomes ``SampleData`` holding ``Alteration`` objects.

Each reader is one module following the ``Reader`` protocol: ``FORMAT`` (its name),
``sniff(head, path)`` (does this content look like mine?) and
``read(path, options) -> list[SampleData]``. Readers only parse: where a record has
genomic coordinates, what it does to a protein is the genome layer's answer
(``alkseq.genome.locate``). The registry below is the one place formats are listed;
modules are imported lazily so ``alkseq --help`` never pays for cyvcf2 or pysam.
"""
from __future__ import annotations

import importlib
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from alkseq.errors import InputError, UsageError
from alkseq.model import dataclass  # frozen records without code generation at import
from alkseq.model import Alteration, Compound

if TYPE_CHECKING:
    from collections.abc import Callable

# Order matters: the first reader whose sniff() accepts the content wins.
READER_MODULES: dict[str, str] = {
    "vcf": "alkseq.readers.vcf",
    "foundation": "alkseq.readers.foundation",
    "maf": "alkseq.readers.maf",
    "panel": "alkseq.readers.panel",
}


@dataclass(frozen=True)
class ReadOptions:
    """Per-call reader options (never globals)."""

    input_format: str | None = None      # override content sniffing
    build: str | None = None             # GRCh37 | GRCh38; None = detect
    sample: str | None = None            # tumour sample column / barcode
    include_filtered: bool = False
    amp_threshold: float = 6.0           # absolute copy number called amplification (see README)
    fasta: str | None = None             # reference FASTA to translate beyond the shipped window
    bam: str | None = None               # reads for phasing
    vectorised: bool = False             # numpy is paid for (a batch worker): text VCFs over 16 KB are
                                         # filtered and counted a chunk at a time (same results)
    helper_process: bool = False         # a forked child may count part of an indexed BCF's background
                                         # records (``alkseq.forked``; the CLI's one-file run): same results
    meanwhile: Callable[[], object] | None = None   # the caller's own work (``api.annotate``: its knowledge
                                         # base and interpreter), run once when the records are about to be
                                         # read: after the header is checked, or after a helper started


@dataclass(frozen=True)
class SampleData:
    """What one reader found for one sample."""

    sample: str
    alterations: tuple[Alteration, ...]
    input_format: str
    path: str
    build: str | None = None
    compounds: tuple[Compound, ...] = ()   # phase decided by the reader (VCF phase / MNV)
    warnings: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)


@runtime_checkable
class Reader(Protocol):
    """What every module in ``READER_MODULES`` is (tests/test_contracts.py checks each one)."""

    FORMAT: str

    def sniff(self, head: bytes, path: Path) -> bool:
        """Does this content (the first bytes, decompressed) look like this reader's format?"""

    def read(self, path: Path, options: ReadOptions) -> list[SampleData]:
        """One ``SampleData`` per sample; bad input is an ``InputError`` naming the file (and line)."""


def reader_module(name: str) -> Reader:
    if name not in READER_MODULES:
        raise UsageError(f"unknown input format '{name}'",
                         hint="choose one of " + ", ".join(sorted(READER_MODULES)))
    return cast(Reader, importlib.import_module(READER_MODULES[name]))


def _head(path: Path, size: int = 65536) -> bytes:
    """First bytes of a file, decompressed when gzip/BGZF so sniffers see text."""
    from alkseq.readers._text import decompressed_head

    return decompressed_head(path, size)


def detect_format(path: Path) -> str:
    """Name the reader for a file by its content (extension only breaks ties)."""
    head = _head(path)
    for name in READER_MODULES:
        if reader_module(name).sniff(head, path):
            return name
    if not head.strip():
        raise InputError(_empty_reason(path), path=str(path))
    raise InputError("cannot tell the input format from its content", path=str(path),
                     hint="supported: " + ", ".join(READER_MODULES) + "; or pass --input-format")


def _empty_reason(path: Path) -> str:
    """Why a file shows no content: empty, a compressed file holding nothing, or one cut short."""
    from alkseq.readers.vcf.containers import EOF_BLOCK

    try:
        with open(path, "rb") as handle:
            raw = handle.read(1 << 16)
    except OSError:
        return "file is empty"
    if not raw:
        return "file is empty"
    if raw[:2] != b"\x1f\x8b":
        return "file holds only blank lines"
    if raw == EOF_BLOCK or raw.endswith(EOF_BLOCK) and len(raw) <= 2 * len(EOF_BLOCK):
        return "compressed file holds no data (a BGZF end-of-file block only)"
    if raw[3:4] == b"\x04" and raw[12:14] == b"BC" and not raw.endswith(EOF_BLOCK):
        return "truncated BGZF file: cut short before any data (no end-of-file block)"
    return "compressed file holds no data, or is cut short"


def read_input(path: str | Path, options: ReadOptions | None = None) -> list[SampleData]:
    """Read any supported input into one ``SampleData`` per sample; ``options.meanwhile`` runs before the
    reader's ``read``, or inside it for a reader that says it runs it (``RUNS_MEANWHILE``: the VCF one,
    after the header)."""
    from alkseq.readers._source import local_input

    options = options or ReadOptions()
    path = Path(path)
    with local_input(path) as local:    # checks the node; a FIFO or pipe is read once, spooled
        name = options.input_format or detect_format(local)
        reader = reader_module(name)
        if options.meanwhile is not None and not getattr(reader, "RUNS_MEANWHILE", False):
            options.meanwhile()
        samples = reader.read(local, options)
    if local == path:
        return samples
    return [_renamed(sample, str(local), str(path)) for sample in samples]


def _renamed(sample: SampleData, copy: str, given: str) -> SampleData:
    """A sample read from a pipe's spooled copy, naming the pipe the user gave instead."""
    from dataclasses import replace

    alterations = tuple(replace(a, origin=replace(a.origin, path=given))
                        if a.origin.path == copy else a for a in sample.alterations)
    return replace(sample, path=given if sample.path == copy else sample.path,
                   alterations=alterations,
                   warnings=tuple(w.replace(copy, given) for w in sample.warnings))
