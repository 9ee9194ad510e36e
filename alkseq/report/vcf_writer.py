"""VCF output: the input VCF again, with alkseq's findings as INFO fields and a summary header.

Only a VCF/BCF input can come back as a VCF. Every record alkseq interpreted gets the
``ALKSEQ_*`` INFO fields below; every other record passes through byte for byte (its text is
not re-serialised). The header gains one ``##INFO`` line per field, a provenance line
``##alkseq=<version=…,knowledge=…,command="…">`` and one ``##alkseq_summary=<ID=sample,…>``
line per sample (mechanism class, top candidates, argued-against therapies, the drug matrix).
A re-annotated alkseq VCF loses its old ``ALKSEQ_*`` fields and lines first.

Encoding (documented for parsers):
- every field is ``Number=A``: one value per ALT allele, in ALT order, ``.`` for an allele
  alkseq did not interpret, so split multi-allelic records stay exact per allele;
- one allele with several findings (a copy-number segment over two genes) joins them with
  ``&``, in the same order in every field;
- ``ALKSEQ_SENS`` is ``drug:class`` pairs joined by ``|`` (class: sensitive, intermediate,
  resistant, unknown) for that ALK kinase-domain mutation on its own; the whole patient's
  matrix is in ``##alkseq_summary`` (``Matrix=``);
- spaces become ``_``; ``%``, ``,``, ``;``, ``=``, ``&``, ``|``, ``:`` inside names are
  percent-encoded (VCF 4.3 style, ``%2C`` …).

Output types are bcftools' (``-O``): ``v`` plain VCF, ``z`` BGZF-compressed VCF with a
tabix index (pysam), ``b`` BCF and ``u`` uncompressed BCF (both written by htslib through
``readers/vcf/bcfio``, the module the BCF reader opens files with). Without ``-O`` the name decides: ``.vcf.gz``/``.vcf.bgz`` → z,
``.bcf`` → b, anything else → v. Files appear atomically and never over the input; binary
types to stdout are written whole once complete (a pipe gets them, a terminal does not).
"""
from __future__ import annotations

import gzip
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from alkseq.errors import InputError, OutputError, UsageError
from alkseq.model import Finding, Report
from alkseq.sanitise import printable

SUFFIX = ".vcf"
_ENCODE = {"%": "%25", ",": "%2C", ";": "%3B", "=": "%3D", "&": "%26", "|": "%7C", ":": "%3A",
           "\t": "_", "\r": "_", "\n": "_", " ": "_"}


def _encode(value) -> str:
    if value is None or value == "":
        return "."
    return "".join(_ENCODE.get(ch, ch) for ch in str(value))


def _encode_value(value) -> str:
    """A field value: text, or (name, class) pairs written ``name:class|name:class``."""
    if isinstance(value, list):
        return "|".join(":".join(_encode(part) for part in pair) for pair in value) or "."
    return _encode(value)


class _Sensitivity:
    """Per-mutation drug classes, from the report's own per-mutation calls."""

    def __init__(self, report: Report):
        self.report = report

    def __call__(self, f: Finding) -> str | None:
        if f.role != "alk_kinase_domain" or f.alteration.protein_change is None:
            return None
        calls = [(c.drug, c.drug_class)
                 for c in self.report.mutation_calls(f.alteration.protein_change.short)]
        return calls or None


def _compound(report: Report, f: Finding) -> str | None:
    change = f.alteration.protein_change
    if f.role != "alk_kinase_domain" or change is None:
        return None
    found = [(c.key, c.phase) for c in report.compounds if change.short in c.names]
    return found or None


# (INFO id, description, value of one finding: (report, finding, sensitivity) -> text or None)
FIELDS: tuple[tuple[str, str, Callable], ...] = (
    ("ALKSEQ_GENE", "Gene alkseq assigned to this ALT allele",
     lambda r, f, s: f.alteration.gene),
    ("ALKSEQ_PC", "Protein change, HGVS p. one-letter (ALK on NM_004304.5), e.g. G1202R",
     lambda r, f, s: f.alteration.protein_change.short if f.alteration.protein_change else None),
    ("ALKSEQ_HGVSP", "Protein change, HGVS p. three-letter, e.g. p.Gly1202Arg",
     lambda r, f, s: f.alteration.protein_change.hgvs if f.alteration.protein_change else None),
    ("ALKSEQ_NAME", "alkseq name of the finding (e.g. ALK_G1202R, EML4-ALK_fusion_v1)",
     lambda r, f, s: f.alteration.name),
    ("ALKSEQ_ROLE", "Role: alk_kinase_domain, alk_other, fusion, bypass, transformation, other",
     lambda r, f, s: f.role),
    ("ALKSEQ_MECH", "Resistance mechanism class this finding adds: alk_dependent, bypass, "
                    "transformation ('.' none)",
     lambda r, f, s: f.mechanism_class),
    ("ALKSEQ_MECHID", "Curated mechanism id (alkseq reference/mechanisms.tsv)",
     lambda r, f, s: f.mechanism),
    ("ALKSEQ_SENS", "ALK TKI classes for this kinase-domain mutation alone: drug:class joined "
                    "by '|' (sensitive, intermediate, resistant, unknown)",
     lambda r, f, s: s(f)),
    ("ALKSEQ_COMPOUND", "ALK compound this mutation is part of and its phase "
                        "(e.g. L1196M+G1202R:cis; '|' between several)",
     lambda r, f, s: _compound(r, f)),
)


# --------------------------------------------------------------------------- input text

def _input_lines(path: Path) -> Iterator[str]:
    """The lines of a VCF, VCF.gz or BCF as text without newlines, streamed."""
    from alkseq.readers.vcf.containers import container_of

    try:
        container = container_of(path)
        if container == "bcf":
            yield from _bcf_lines(path)
            return
        opener = gzip.open if container in ("bgzf", "gzip") else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            for line in handle:
                line = line.rstrip("\r\n")
                if line:
                    yield line
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the input VCF again to annotate it: {exc}",
                         path=str(path)) from None


def _bcf_lines(path: Path) -> Iterator[str]:
    """BCF as VCF text lines: htslib's own BCF → VCF formatting, opened as the reader opens it."""
    from alkseq.readers.vcf.bcfio import text_lines

    yield from text_lines(path, what="cannot read the input BCF again to annotate it")


# --------------------------------------------------------------------------- matching

def _trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Minimal representation: strip the shared suffix, then the shared prefix."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref.upper(), alt.upper()


def _allele(f: Finding, pos: int, ref: str, alts: list[str]) -> str | None:
    """Which ALT of the record this finding came from."""
    g = f.alteration.genomic
    original = g.original if g is not None else None
    if original is not None and (original[0], original[1].upper()) == (pos, ref):   # the record's own alleles
        for alt in alts:
            if alt.upper() == original[2].upper():
                return alt
    if g is not None:
        for alt in alts:
            if g.pos == pos and g.alt.upper() == alt.upper():
                return alt
        wanted = _trim(g.pos, g.ref, g.alt)
        for alt in alts:
            if _trim(pos, ref, alt) == wanted:
                return alt
        for alt in alts:  # left-aligned indels: same inserted/deleted length and bases
            a, b = _trim(pos, ref, alt), wanted
            if len(a[1]) - len(a[2]) == len(b[1]) - len(b[2]) and \
                    sorted(a[1] + a[2]) == sorted(b[1] + b[2]):
                return alt
    return alts[0] if len(alts) == 1 else None


def _annotations(reports: list[Report]) -> dict[tuple, list[dict[str, str]]]:
    """(chrom, pos, REF, ALT) → the field values of each finding read from that allele."""
    table: dict[tuple, list[dict[str, str]]] = {}
    for report in reports:
        sensitivity = _Sensitivity(report)
        for f in report.findings:
            origin = f.alteration.origin
            if origin.reader != "vcf" or not origin.text:
                continue
            parts = origin.text.split("\t")
            if len(parts) < 5:
                continue
            chrom, pos, ref, alts = parts[0], int(parts[1]), parts[3].upper(), parts[4].split(",")
            values = {name: _encode_value(get(report, f, sensitivity)) for name, _, get in FIELDS}
            keys = []
            alt = _allele(f, pos, ref, alts)
            if alt is not None:
                keys.append((chrom, pos, ref, alt.upper()))
            if f.alteration.genomic is not None:  # one change merged from several records in a codon
                keys.extend((chrom, p, r.upper(), a.upper()) for p, r, a in f.alteration.genomic.merged_from)
            for key in dict.fromkeys(keys):
                table.setdefault(key, []).append(values)
    return table


# --------------------------------------------------------------------------- header

def _quote(text: str) -> str:
    """A quoted header value: one line, control characters escaped (alkseq.sanitise)."""
    text = printable(str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " "))
    return '"' + text.replace("\t", " ") + '"'


def _header_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", str(text)) or "sample"


def _summary_line(report: Report) -> str:
    candidates = "|".join(f"{c.rank}:{c.therapy} [{c.evidence_level}]"
                          + (f" ({c.reading} reading)" if c.reading else "")
                          for c in report.candidates[:5])
    against = "|".join(n.therapy for n in report.not_recommended)
    matrix = "|".join(f"{m.drug}:{m.drug_class}" for m in report.matrix)
    keys = "|".join(f.alteration.name for f in report.findings if f.role != "other")
    fields = [("ID", _header_id(report.sample)), ("Sample", _quote(report.sample)),
              ("MechanismClass", report.mechanism_class), ("KeyAlterations", _quote(keys)),
              ("Candidates", _quote(candidates)), ("NotRecommended", _quote(against)),
              ("Matrix", _quote(matrix)),
              ("PriorTherapies", _quote(";".join(report.context.prior_therapies))),
              ("Warnings", str(len(report.warnings))),
              ("Description", _quote("alkseq findings for this sample; research use only"))]
    return "##alkseq_summary=<" + ",".join(f"{k}={v}" for k, v in fields) + ">"


def _new_header(header: list[str], reports: list[Report], command: str | None) -> list[str]:
    from alkseq._version import __version__

    if not header or not header[-1].startswith("#CHROM"):
        raise InputError("the input VCF has no #CHROM header line")
    kept = [line for line in header[:-1]
            if not line.startswith(("##alkseq=", "##alkseq_summary=", "##INFO=<ID=ALKSEQ_"))]
    knowledge = reports[0].knowledge_version if reports else "unknown"
    added = [f'##INFO=<ID={name},Number=A,Type=String,Description="{description}">'
             for name, description, _ in FIELDS]
    added.append(f"##alkseq=<version={__version__},knowledge={knowledge},"
                 f"command={_quote(command or 'alkseq')}>")
    added.extend(_summary_line(r) for r in reports)
    return kept + added + [header[-1]]


# --------------------------------------------------------------------------- records

def _annotate_record(line: str, table: dict) -> str:
    parts = line.split("\t", 8)
    if len(parts) < 8:
        return line
    info_old = parts[7]
    had_alkseq = "ALKSEQ_" in info_old
    try:
        pos = int(parts[1])
    except ValueError:
        return line
    ref, alts = parts[3].upper(), parts[4].split(",")
    per_allele = [table.get((parts[0], pos, ref, alt.upper()), []) for alt in alts]
    if not any(per_allele) and not had_alkseq:
        return line  # not interpreted: byte for byte as read
    info = [item for item in info_old.split(";") if item and item != "."
            and not item.startswith("ALKSEQ_")]
    if any(per_allele):
        for name, _, _ in FIELDS:
            values = ["&".join(v[name] for v in entries) if entries else "." for entries in per_allele]
            if any(v.strip(".&") for v in values):
                info.append(f"{name}={','.join(values)}")
    parts[7] = ";".join(info) or "."
    return "\t".join(parts)


def _check_vcf_input(reports: list[Report], input_path) -> Path:
    path = input_path or (reports[0].input_path if reports else None)
    if not path:
        raise UsageError("--format vcf needs the input VCF", hint="annotate a VCF/BCF file")
    formats = {r.input_format for r in reports}
    if formats - {"vcf"} or not reports:
        raise UsageError(f"--format vcf writes a VCF input back with alkseq's findings; {path} was "
                         f"read as {', '.join(sorted(f or '?' for f in formats)) or 'nothing'}",
                         hint="use --format text, json or tsv for this input")
    return Path(path)


def annotated_lines(reports: list[Report], *, input_path=None,
                    command: str | None = None) -> Iterator[str]:
    """The input VCF line by line (no newlines) with alkseq's header lines and INFO fields."""
    path = _check_vcf_input(reports, input_path)
    table = _annotations(reports)
    header: list[str] = []
    in_header = True
    for line in _input_lines(path):
        if in_header:
            if line.startswith("#"):
                header.append(line)
                if line.startswith("#CHROM"):
                    yield from _new_header(header, reports, command)
                    in_header = False
                continue
            raise InputError("the input VCF has no #CHROM header line", path=str(path))
        yield _annotate_record(line, table)
    if in_header:
        raise InputError("the input VCF has no #CHROM header line", path=str(path))


def render(reports: list[Report], *, input_path=None, command: str | None = None,
           **_options) -> str:
    """The input VCF as text with alkseq's INFO fields and header lines added."""
    return "".join(line + "\n" for line in annotated_lines(
        reports, input_path=input_path, command=command))


OUTPUT_TYPES = {"v": "VCF", "z": "BGZF-compressed VCF + .tbi", "b": "BCF", "u": "uncompressed BCF"}


def output_type_from_name(name: str | None) -> str:
    """bcftools' -O letter a file name implies (v for stdout and unknown names)."""
    if not name or name == "-":
        return "v"
    if name.endswith((".gz", ".bgz", ".bgzf")):
        return "z"
    if name.endswith(".bcf"):
        return "b"
    return "v"


def write(reports: list[Report], output, *, input_path, inputs=(), command: str | None = None,
          output_type: str | None = None, **_options) -> None:
    """To stdout or a file, as ``output_type`` (v, z, b, u; default: from the name).

    The input is streamed: a whole-genome VCF is never held in memory.
    """
    from alkseq.report.output import open_output, resolve_output

    kind = output_type or output_type_from_name(output)
    if kind not in OUTPUT_TYPES:
        raise UsageError(f"unknown VCF output type '{kind}'", hint="choose v, z, b or u")
    destination = resolve_output(output, (input_path, *inputs))
    lines = annotated_lines(reports, input_path=input_path, command=command)
    if destination.kind != "file":      # stdout, /dev/fd/N, a device or a FIFO: written through
        if kind == "v":
            with open_output(output, inputs=(input_path, *inputs)) as handle:
                for chunk in _chunks(lines):
                    handle.write(chunk)
            return
        if kind == "z" and destination.kind == "node":
            _write_bgzf_through(lines, destination)
            return
        if destination.is_stdout and sys.stdout.isatty():
            raise UsageError(f"refusing to write {OUTPUT_TYPES[kind]} to a terminal",
                             hint="redirect to a file or pipe, or give -o")
        with tempfile.TemporaryDirectory(prefix="alkseq-") as scratch:
            built = Path(scratch) / ("out.bcf" if kind in "bu" else "out.vcf.gz")
            _write_kind(lines, built, kind)
            with open(built, "rb") as source, \
                    open_output(output, inputs=(input_path, *inputs), binary=True) as handle:
                while chunk := source.read(1 << 20):
                    handle.write(chunk)
        return
    target = destination.path          # symlinks resolved: the link stays, its target is replaced
    _refuse_inputs(target, (input_path, *inputs))
    _write_kind(lines, target, kind)

def _write_kind(lines: Iterator[str], target: Path, kind: str) -> None:
    if kind in ("v", "z"):
        _write_atomic_lines(lines, target, compressed=kind == "z")
    else:
        _write_bcf(lines, target, compressed=kind == "b")


def _write_bcf(lines: Iterator[str], target: Path, *, compressed: bool) -> None:
    """The annotated VCF text → BCF with htslib (``bcfio``, the reader's binding), through a scratch
    VCF beside the target, then renamed into place. htslib needs every contig declared to write BCF:
    a header without ``##contig`` lines gets them from the records (as ``bcftools view`` does)."""
    from alkseq.readers.vcf.bcfio import write_bcf

    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError("output directory does not exist", path=str(directory))
    scratch = tempfile.mkdtemp(prefix=f".{target.name}.", dir=directory)
    text_path = Path(scratch) / "annotated.vcf"
    part = Path(scratch) / "out.bcf"
    try:
        _write_atomic_lines(_with_contigs(lines, text_path), text_path, compressed=False)
        try:
            write_bcf(text_path, part, compressed=compressed)
        except (OSError, ValueError) as exc:
            raise OutputError(f"cannot write BCF: {exc}", path=str(target)) from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(part, 0o666 & ~umask)
        os.replace(part, target)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(target)) from None
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


def _with_contigs(lines: Iterator[str], spool: Path) -> Iterator[str]:
    """The lines, with ``##contig=<ID=…>`` added for every CHROM the header does not declare
    (records are spooled to a second scratch file to learn them)."""
    header: list[str] = []
    records = spool.with_suffix(".records")
    declared: set[str] = set()
    seen: dict[str, None] = {}
    with open(records, "w", encoding="utf-8") as handle:
        for line in lines:
            if line.startswith("#"):
                header.append(line)
                match = re.match(r"##contig=<ID=([^,>]+)", line)
                if match:
                    declared.add(match.group(1))
                continue
            seen.setdefault(line.split("\t", 1)[0], None)
            handle.write(line + "\n")
    missing = [f"##contig=<ID={chrom}>" for chrom in seen if chrom not in declared]
    yield from header[:-1]
    yield from missing
    yield from header[-1:]
    with open(records, encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")
    records.unlink()


def _write_bgzf_through(lines: Iterator[str], destination) -> None:
    """BGZF straight into a FIFO or device (no tabix index: there is no file to index)."""
    from pysam.libcbgzf import BGZFile

    try:
        with BGZFile(str(destination.path), "wb") as handle:
            for chunk in _chunks(lines):
                handle.write(chunk.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=destination.given) from None


def _refuse_inputs(target: Path, inputs) -> None:
    for given in inputs:
        if not given:
            continue
        for candidate in (target, Path(str(target) + ".tbi")):
            if Path(given).exists() and candidate.exists() and os.path.samefile(given, candidate):
                raise OutputError("refusing to overwrite an input file", path=str(candidate))


def _write_atomic_lines(lines: Iterator[str], target: Path, *, compressed: bool) -> None:
    """Stream into a temporary file beside the target (BGZF + .tbi when compressed), then
    rename into place: readers see the old file or the whole new one."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError("output directory does not exist", path=str(directory))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part" + (".vcf.gz" if compressed else ""),
                               dir=directory)
    index = tmp + ".tbi"
    try:
        umask = os.umask(0)
        os.umask(umask)
        # mkstemp makes 0600; a VCF is shared like any file, and a replaced one keeps its mode
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.is_file() else 0o666 & ~umask)
        if compressed:
            from pysam.libcbgzf import BGZFile

            os.close(fd)
            with BGZFile(tmp, "wb") as handle:
                for chunk in _chunks(lines):
                    handle.write(chunk.encode("utf-8"))
            _tabix(tmp, index, target)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for chunk in _chunks(lines):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
        if compressed:
            os.replace(index, str(target) + ".tbi")
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(target)) from None
    finally:
        for leftover in (tmp, index):
            try:
                os.unlink(leftover)
            except OSError:
                pass


def _chunks(lines: Iterator[str], size: int = 4096) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "\n".join(batch) + "\n"
            batch = []
    if batch:
        yield "\n".join(batch) + "\n"


def _tabix(path: str, index: str, target: Path) -> None:
    import pysam

    try:
        pysam.tabix_index(path, preset="vcf", force=True, index=index)
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot index the output with tabix: {exc}", path=str(target),
                          hint="is the input sorted by position? (bcftools sort)") from None
