"""VCF header: checked line by line in Python (htslib can crash on a broken header), parsed for
the field types, the annotation layouts (VEP CSQ, snpEff ANN), the tumour sample and the build."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from alkseq.errors import InputError, InputTooLargeError
from alkseq.genome.transcript import BUILD_BY_CONTIG_LENGTH as CONTIG_LENGTHS


@dataclass
class Header:
    """What the record parser needs from a VCF header: declared fields and their types."""

    lines: list[str]
    format_ids: set[str]
    info_ids: set[str]
    csq_fields: list[str] = field(default_factory=list)
    ann_fields: list[str] = field(default_factory=list)
    tumor_sample: str | None = None
    normal_sample: str | None = None
    source: str = ""

    @classmethod
    def parse(cls, raw: str) -> "Header":
        lines = raw.rstrip("\n").split("\n")
        format_ids = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", raw, re.M))
        info_ids = set(re.findall(r"^##INFO=<ID=([^,>]+)", raw, re.M))
        header = cls(lines, format_ids, info_ids)
        for line in lines:
            if line.startswith("##INFO=<ID=CSQ,"):
                match = re.search(r"Format: ([^\"]+)", line)
                header.csq_fields = match.group(1).strip().split("|") if match else []
            elif line.startswith("##INFO=<ID=ANN,"):
                match = re.search(r"'([^']+)'", line) or re.search(r"Functional annotations: ([^\"]+)", line)
                header.ann_fields = [f.strip() for f in match.group(1).split("|")] if match else []
            elif line.lower().startswith("##tumor_sample="):
                header.tumor_sample = line.split("=", 1)[1].strip()
            elif line.lower().startswith("##normal_sample="):
                header.normal_sample = line.split("=", 1)[1].strip()
            elif line.startswith("##GATKCommandLine") and "Mutect2" in line:
                # GATK 4 Mutect2 names its samples on the command line: --tumor-sample/-tumor, --normal-sample/-normal
                tumour = re.search(r"(?:--tumor-sample|--tumor_sample|\s-tumor)[ =]([^\s\",>]+)", line)
                normal = re.search(r"(?:--normal-sample|--normal_sample|\s-normal)[ =]([^\s\",>]+)", line)
                header.tumor_sample = header.tumor_sample or (tumour.group(1) if tumour else None)
                header.normal_sample = header.normal_sample or (normal.group(1) if normal else None)
            elif line.startswith("##source="):
                header.source += line.split("=", 1)[1].strip('"') + " "
        return header

    def build(self) -> tuple[str | None, str]:
        """(build, why) from ##contig lengths, then assembly= tags, then ##reference."""
        for line in self.lines:
            match = re.match(r"##contig=<ID=(?:chr)?([12]),.*?length=(\d+)", line)
            if match and int(match.group(2)) in CONTIG_LENGTHS:
                return CONTIG_LENGTHS[int(match.group(2))], \
                    f"##contig length of chr{match.group(1)}: {int(match.group(2)):,}"
        for line in self.lines:
            lower = line.lower()
            if lower.startswith(("##assembly", "##reference", "##contig")) or "assembly=" in lower:
                if re.search(r"grch38|hg38|\bb38\b|hs38|38\.fa", lower):
                    return "GRCh38", line.split(",")[0][:80]
                if re.search(r"grch37|hg19|\bb37\b|hs37|human_g1k_v37|/b37/|37\.fa", lower):
                    return "GRCh37", line.split(",")[0][:80]
        return None, ""


_MANDATORY = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]


def split_header(path: Path, chunks, max_line_bytes: int) -> tuple[list[str], bytes, int]:
    """(header lines incl. #CHROM, the bytes after the header, lines before the body) — checked in Python
    first, because htslib can crash on a broken header."""
    lines: list[str] = []
    buffer = b""
    number = 0
    for chunk in chunks:
        buffer += chunk
        start = 0                      # lines are cut by offset: no copy of the rest of the chunk per line
        while True:
            cut = buffer.find(b"\n", start)
            if cut < 0:
                buffer = buffer[start:]
                if len(buffer) > max_line_bytes:
                    raise InputTooLargeError("header line longer than 64 MB", path=str(path), line=number + 1)
                break
            raw, start = buffer[start:cut], cut + 1
            number += 1
            line = decode_line(raw, path, number).rstrip("\r")
            _check_header_line(line, number, path)
            lines.append(line)
            if line.startswith("#CHROM"):
                return lines, buffer[start:], number
    if buffer:
        number += 1
        line = decode_line(buffer, path, number).rstrip("\r")
        _check_header_line(line, number, path)
        if line.startswith("#CHROM"):
            return lines + [line], b"", number
    if number == 0:
        raise InputError("file is empty", path=str(path))
    raise InputError("no #CHROM header line (empty or header-only file cut short)", path=str(path))


def decode_line(raw: bytes, path: Path, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                         path=str(path), line=number, hint="a VCF is UTF-8 text; is this the right file?") from None


def _check_header_line(line: str, number: int, path: Path) -> None:
    if number == 1:
        line = line.lstrip("\ufeff")
        if line.startswith("##fileformat=VCF"):
            return
        if not line.startswith("#"):   # a header without ##fileformat is read on (warned: TextHeader)
            raise InputError("no ##fileformat=VCF line at the top", path=str(path), line=1)
    if line.startswith("##"):
        return                         # an unterminated ##KEY=<... line is a warning (TextHeader)
    if line.startswith("#CHROM"):
        if line.split("\t")[:8] != _MANDATORY:
            raise InputError("the #CHROM line lacks the eight tab-separated VCF columns",
                             path=str(path), line=number)
        return
    raise InputError("header ends without a #CHROM line", path=str(path), line=number)


# Only a ``##KEY=<...`` line is structured and needs its closing '>'; ``=<`` elsewhere (a quoted
# command line such as RTG's ``##CL=... "##FORMAT=<ID=PS..."``) is plain text.
_STRUCTURED = re.compile(r"##([A-Za-z0-9_.-]+)=<")


class TextHeader:
    """Types of INFO/FORMAT fields and the sample columns of a text VCF header."""

    def __init__(self, lines: list[str]):
        self.info: dict[str, tuple[str, str]] = {}
        self.format: dict[str, tuple[str, str]] = {}
        self.problems: list[str] = []      # header lines that break the VCF 4.x spec (warned, not fatal)
        if not lines[0].lstrip("\ufeff").startswith("##fileformat=VCF"):
            self.problems.append("a VCF without its ##fileformat header line")
        for number, line in enumerate(lines, 1):
            structured = _STRUCTURED.match(line)
            closed = line.rstrip().endswith(">")
            if structured and not closed:
                # htslib reads on ("Incomplete header line, trying to proceed anyway"); so does alkseq
                self.problems.append(f"header line {number}: ##{structured.group(1)}=<... line lacks its "
                                     "closing '>'")
            if line.startswith(("##INFO=<", "##FORMAT=<")):
                body = line.rstrip()[line.index("<") + 1:-1 if closed else None]
                fields = dict(re.findall(r'(\w+)=("[^"]*"|[^,]*)', body))
                ident = fields.get("ID")
                kind = line[2:line.index("=")]
                problem = _field_definition_problem(kind, fields)
                if problem:
                    self.problems.append(f"header line {number}: ##{kind} {problem}")
                if ident:
                    target = self.info if kind == "INFO" else self.format
                    target.setdefault(ident, (fields.get("Number", "."), fields.get("Type", "String")))
        columns = lines[-1].split("\t")
        self.samples = columns[9:] if len(columns) > 9 else []
        if len(set(self.samples)) != len(self.samples):
            self.problems.append(f"header line {len(lines)}: duplicate sample names")


_TYPES = {"INFO": {"Integer", "Float", "Flag", "Character", "String"},
          "FORMAT": {"Integer", "Float", "Character", "String"}}


def _field_definition_problem(kind: str, fields: dict[str, str]) -> str | None:
    """What is wrong with one ##INFO/##FORMAT definition (VCF 4.x §1.4.2–1.4.4), or None.

    Deliberately lenient where real callers are not strict (IDs starting with a digit, Flag numbers)."""
    ident, number, type_, description = (fields.get(k) for k in ("ID", "Number", "Type", "Description"))
    if not ident:
        return "has no ID"
    if number is None or not re.fullmatch(r"L?[ARG]|[.PM]|\d+", number):
        return f"{ident}: Number '{(number or '')[:10]}' is not an integer, A, R, G or ."
    if type_ not in _TYPES[kind]:
        return f"{ident}: Type '{(type_ or '')[:20]}' is not one of {', '.join(sorted(_TYPES[kind]))}"
    if kind == "INFO" and ident == "END" and (type_ != "Integer" or number != "1"):
        return "END must be Number=1, Type=Integer"
    if description is None or not description.startswith('"'):
        return f"{ident}: no quoted Description"
    return None
