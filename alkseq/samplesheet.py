"""Samplesheets for ``alkseq batch`` and safe per-sample output names.

A samplesheet is a CSV (or TSV) with one row per sample::

    sample,path,bam,prior,histology,progression,build,specimen,input_sample
    PT001,rebiopsy/PT001.vcf.gz,,crizotinib;alectinib,,systemic,GRCh38,tissue,

``sample`` and ``path`` are required; every other column is optional. ``prior`` lists the
lines of prior therapy separated by ``;``, oldest first; drugs given together in one line join
with ``+`` (``alectinib;carboplatin+pemetrexed`` is two lines). ``input_sample`` names the tumour sample inside a
file that holds several (VCF column, MAF barcode). Relative paths are read relative to the
samplesheet. Problems with the sheet itself (no such column, a repeated sample) stop the batch;
problems with one sample's values or file become that sample's error row.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from alkseq.errors import InputError, OutputError

REQUIRED = ("sample", "path")
OPTIONAL = ("bam", "prior", "histology", "progression", "build", "specimen", "input_sample")
MAX_NAME = 100
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}


@dataclass(frozen=True)
class SampleRow:
    """One samplesheet row, with paths already resolved against the samplesheet's folder."""

    sample: str
    path: str
    line: int
    bam: str | None = None
    prior: tuple[str, ...] = ()
    histology: str | None = None
    progression: str | None = None
    build: str | None = None
    specimen: str | None = None
    input_sample: str | None = None


def read_samplesheet(path: str | Path) -> list[SampleRow]:
    """Every row of a samplesheet, in order; InputError naming the line for a broken sheet."""
    from alkseq.readers._source import check_input, read_pipe_bytes

    sheet = Path(path)
    kind = check_input(sheet, "samplesheet")   # directory, unreadable, FIFO without writer …
    try:
        text = (read_pipe_bytes(sheet) if kind == "pipe" else sheet.read_bytes()).decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such samplesheet", path=str(sheet)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a samplesheet", path=str(sheet)) from None
    except OSError as exc:
        raise InputError(f"cannot read samplesheet: {exc.strerror or exc}", path=str(sheet)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"samplesheet is not UTF-8 text (byte {exc.start})", path=str(sheet)) from None
    # split on CR/LF only: str.splitlines() also breaks at U+2028, form feeds etc., which would
    # make the line numbers in messages disagree with an editor's
    lines = [(number, line) for number, line in enumerate(_LINE_BREAK.split(text), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError("samplesheet is empty", path=str(sheet),
                         hint="it needs a header with columns sample and path")
    header_no, header_line = lines[0]
    delimiter = "\t" if header_line.count("\t") > header_line.count(",") else ","
    try:
        header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter))]
    except csv.Error as exc:
        raise InputError(f"unreadable header: {exc}", path=str(sheet), line=header_no) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"samplesheet lacks column(s) {', '.join(missing)}", path=str(sheet),
                         line=header_no, hint="columns: " + ", ".join(REQUIRED + OPTIONAL))
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError(f"samplesheet repeats column(s) {', '.join(repeated)}", path=str(sheet),
                         line=header_no)
    base = sheet.resolve().parent
    rows: list[SampleRow] = []
    seen: dict[str, int] = {}
    for number, line in lines[1:]:
        if "\x00" in line:
            raise InputError("NUL character in the samplesheet", path=str(sheet), line=number)
        try:
            cells = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
        except csv.Error as exc:
            raise InputError(f"unreadable row: {exc}", path=str(sheet), line=number) from None
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise InputError(f"{len(cells)} cells but the header has {len(header)}",
                             path=str(sheet), line=number)
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        sample = values["sample"]
        if not sample:
            raise InputError("empty sample name", path=str(sheet), line=number)
        if sample in seen:
            raise InputError(f"sample '{sample}' appears twice (lines {seen[sample]} and {number})",
                             path=str(sheet), line=number, hint="sample names must be unique")
        seen[sample] = number
        if not values["path"]:
            raise InputError(f"sample '{sample}' has no path", path=str(sheet), line=number)
        rows.append(SampleRow(
            sample=sample, path=_resolve(base, values["path"]), line=number,
            bam=_resolve(base, values["bam"]) if values.get("bam") else None,
            prior=tuple(p.strip() for p in values.get("prior", "").split(";") if p.strip()),
            histology=values.get("histology") or None,
            progression=values.get("progression") or None,
            build=values.get("build") or None,
            specimen=values.get("specimen") or None,
            input_sample=values.get("input_sample") or None))
    if not rows:
        raise InputError("samplesheet has a header but no sample rows", path=str(sheet),
                         line=header_no, hint="add one row per sample: sample,path,...")
    return rows


def _resolve(base: Path, value: str) -> str:
    """``~`` / ``~user`` expanded where that user exists; otherwise the text is a plain path
    (relative to the samplesheet), which then fails as that sample's 'no such file'."""
    given = Path(value)
    if value.startswith("~"):
        try:
            given = given.expanduser()
        except RuntimeError:    # '~0', '~nosuchuser': no home directory to expand to
            pass
    return str(given if given.is_absolute() else base / given)


def safe_name(sample: str) -> str:
    """A file-name stem for a sample: letters, digits, '.', '_' and '-' only.

    A name that had to change gets a short hash of the original, so two samples that
    differ only in unsafe characters ('a/b', 'a_b') never share a file.
    """
    cleaned = _UNSAFE.sub("_", sample).strip("._-")[:MAX_NAME] or "sample"
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    if cleaned != sample:
        digest = hashlib.sha1(sample.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cleaned = f"{cleaned}-{digest}"
    return cleaned


class OutputFolder:
    """Where a batch writes one file per sample: the folder is resolved once (a batch writes
    hundreds of pages into it, and every path component costs an ``lstat``), each name is
    checked on its own: only a name that is already a symlink needs resolving."""

    def __init__(self, directory: str | Path):
        self.root = Path(directory).resolve()

    def path(self, sample: str, suffix: str) -> Path:
        """``<folder>/<safe name><suffix>``, guaranteed to lie inside the folder."""
        target = self.root / (safe_name(sample) + suffix)
        if target.is_symlink():
            target = target.resolve()
            if target.parent != self.root:
                raise OutputError(f"sample name '{sample}' would write outside the output folder",
                                  path=str(self.root))
        return target


def output_path(directory: str | Path, sample: str, suffix: str) -> Path:
    """``directory/<safe name><suffix>``, guaranteed to lie inside ``directory``."""
    return OutputFolder(directory).path(sample, suffix)
