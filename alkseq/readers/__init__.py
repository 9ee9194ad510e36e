"""Readers: every input kind becomes ``SampleData`` holding ``Alteration`` objects.

Each reader is one module exposing ``FORMAT`` (its name), ``sniff(head, path)``
(does this content look like mine?) and ``read(path, options) -> list[SampleData]``.
The registry below is the one place formats are listed; modules are imported lazily
so ``alkseq --help`` never pays for cyvcf2 or pysam.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from alkseq.errors import InputError, UsageError
from alkseq.model import Alteration, Compound

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


def reader_module(name: str) -> ModuleType:
    if name not in READER_MODULES:
        raise UsageError(f"unknown input format '{name}'",
                         hint="choose one of " + ", ".join(sorted(READER_MODULES)))
    return importlib.import_module(READER_MODULES[name])


def _head(path: Path, size: int = 65536) -> bytes:
    """First bytes of a file, decompressed when gzip/BGZF so sniffers see text."""
    import zlib

    try:
        with open(path, "rb") as handle:
            raw = handle.read(size)
    except IsADirectoryError:
        raise InputError("is a directory, not an input file", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from None
    from alkseq.readers._text import refuse_unsupported_compression

    refuse_unsupported_compression(raw, path, "alkseq reads plain text, gzip/bgzip and BCF")
    if raw[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
        except zlib.error:
            return raw
    return raw


def detect_format(path: Path) -> str:
    """Name the reader for a file by its content (extension only breaks ties)."""
    head = _head(path)
    for name in READER_MODULES:
        if reader_module(name).sniff(head, path):
            return name
    if not head.strip():
        raise InputError("file is empty", path=str(path),
                         hint="a panel table needs at least a header line")
    raise InputError("cannot tell the input format from its content", path=str(path),
                     hint="supported: " + ", ".join(READER_MODULES) + "; or pass --input-format")


def read_input(path: str | Path, options: ReadOptions | None = None) -> list[SampleData]:
    """Read any supported input into one ``SampleData`` per sample."""
    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=str(path))
    name = options.input_format or detect_format(path)
    return reader_module(name).read(path, options)
