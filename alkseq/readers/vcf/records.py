"""Text VCF records → ``Call`` with the values htslib/cyvcf2 would give.

Kept apart from the header and the interpretation so the htslib semantics (single-precision
floats, missing markers, END handling) live in one place and can be tested on strings.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import NamedTuple

from alkseq.errors import InputError
from alkseq.readers.vcf.header import Header, TextHeader

_MISSING_INT = -2147483640


_INFO_KEYS = ("SVTYPE", "END", "CN", "MATEID", "CHR2", "GENE_NAME", "EXON_NUM", "READ_COUNT", "AF", "DP",
              "FOLD_CHANGE_LOG", "LOG2", "CSQ", "ANN", "TVAF", "TDP", "FAO", "FDP", "AO", "SVLEN")
_FORMAT_KEYS = ("AD", "AF", "DP", "FA", "FREQ", "RD", "TIR", "TAR", "AU", "CU", "GU", "TU", "FAO", "FDP",
                "AO", "RO", "CN", "PS", "PGT", "PID", "ADT", "DPT", "VF")


class Unplaceable(InputError):
    """A record without a usable CHROM/POS: it cannot be in a gene, so it is skipped with a warning
    (htslib reads such a POS as 0 and carries on)."""


class Call(NamedTuple):
    """One VCF record reduced to plain Python values (tumour sample only)."""

    chrom: str
    pos: int
    end: int
    ident: str | None
    ref: str
    alts: list[str]
    filters: str | None
    info: dict
    fmt: dict
    genotype: list[int]
    phased: bool
    line: int | None
    record: int

    def where(self, path: str) -> str:
        return f"{path}:{self.line}" if self.line else f"{path} record {self.record} ({self.chrom}:{self.pos})"


def _clean(value):
    """cyvcf2/numpy value → plain Python, with VCF missing markers as None."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value <= _MISSING_INT:
        return None
    if isinstance(value, str) and value in (".", ""):
        return None
    return value


def as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [_clean(v) for v in value.split(",")]
    return [value]


def to_number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    return None if math.isnan(number) else number


_FLOAT32 = None
_INFO_KEY_SET = frozenset(_INFO_KEYS)
FORMAT_KEY_SET = frozenset(_FORMAT_KEYS)
_GT_SPLIT = re.compile(r"[/|]")
_GT_SEPARATOR = re.compile(r"[/|]")


def _float32(text: str) -> float | None:
    """A VCF Float as htslib stores it (single precision), missing as None."""
    global _FLOAT32
    if _FLOAT32 is None:
        import struct
        _FLOAT32 = struct.Struct("<f")
    try:
        value = float(text)
    except ValueError:
        return None
    if math.isnan(value):
        return None
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _integer(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if -2147483648 < value < 2147483648 and value > _MISSING_INT else None


def typed_values(values: list[str], kind: str) -> list:
    if kind == "Integer":
        return [None if v in (".", "") else _integer(v) for v in values]
    if kind == "Float":
        return [None if v in (".", "") else _float32(v) for v in values]
    return values


def _info_value(raw: str | None, number: str, kind: str):
    """An INFO value as the cyvcf2 path returned it after ``_clean``."""
    if kind == "Flag":
        return True
    if raw is None:
        return True if kind == "Flag" else None
    if kind == "String" or kind == "Character":
        return None if raw in (".", "") else raw
    values = typed_values(raw.split(","), kind)
    if len(values) == 1:
        return values[0]
    return values


def parse_record(line: str, text_header: TextHeader, header: Header, sample_index: int | None,
                  line_number: int | None, record: int, path: Path, fields: list[str] | None = None) -> Call:
    """One text VCF record → ``Call``, with the values htslib/cyvcf2 would give (floats single precision,
    PASS → None, '.' → None, END extends the record only when it is an Integer ≥ POS)."""
    if fields is None:
        fields = line.rstrip("\r").split("\t")
    where = {"path": str(path), "line": line_number}
    if len(fields) < 8:
        raise InputError(f"record has {len(fields)} tab-separated columns, a VCF record needs at least 8",
                         **where, hint=None if line_number else f"record {record}")
    chrom, pos_text, ident, ref, alt_text, _qual, filters, info_text = fields[:8]
    try:
        pos = int(pos_text)
    except ValueError:
        raise Unplaceable(f"POS '{pos_text[:20]}' is not a number", **where) from None
    if pos < 0 or not chrom:
        raise Unplaceable(f"bad CHROM/POS '{chrom[:20]}:{pos_text[:20]}'", **where)
    info_raw: dict[str, str | None] = {}
    if info_text not in (".", ""):
        for item in info_text.split(";"):
            key, eq, value = item.partition("=")
            if key and key not in info_raw:
                info_raw[key] = value if eq else None
    info = {}
    for key, raw_value in info_raw.items():
        if key not in _INFO_KEY_SET or not (key in header.info_ids or key in ("SVTYPE", "END")):
            continue
        number, kind = text_header.info.get(key, (".", "String"))
        value = _info_value(raw_value, number, kind)
        if value is not None:
            info[key] = value
    end = pos + len(ref) - 1
    end_type = text_header.info.get("END", (None, None))[1]
    if "END" in info_raw and end_type == "Integer":
        end_value = _integer(info_raw["END"] or "")
        if end_value is not None and end_value >= pos:
            end = end_value
    fmt: dict = {}
    genotype: list[int] = []
    phased = False
    if sample_index is not None and len(fields) > 9:
        keys = fields[8].split(":")
        column = fields[9 + sample_index] if len(fields) > 9 + sample_index else "."
        values = column.split(":")
        for at, key in enumerate(keys):
            if key not in FORMAT_KEY_SET or key not in header.format_ids or key in fmt:
                continue
            raw = values[at] if at < len(values) else "."
            kind = text_header.format.get(key, (".", "String"))[1]
            if kind in ("String", "Character"):
                fmt[key] = [None if raw in (".", "") else raw]
            else:
                fmt[key] = typed_values(raw.split(","), kind)
        if "GT" in header.format_ids and "GT" in keys:
            at = keys.index("GT")
            gt = values[at] if at < len(values) else "."
            alleles = _GT_SPLIT.split(gt)
            genotype = [-1 if a in (".", "") else (_integer(a) if _integer(a) is not None else -1) for a in alleles]
            separators = _GT_SEPARATOR.findall(gt)
            phased = separators[-1] == "|" if separators else True   # cyvcf2 calls a haploid GT phased
    # bases upper-cased like REF (soft-masked lower case is still sequence); symbolic and breakend
    # ALTs keep their text, whose case can matter (<DEL>, chr names in brackets)
    alts = [] if alt_text in (".", "") else [a if "<" in a or "[" in a or "]" in a else a.upper()
                                              for a in alt_text.split(",")]
    return Call(chrom, pos, end, None if ident in (".", "") else ident, ref.upper(), alts,
                 None if filters in ("PASS", ".", "") else filters, info, fmt, genotype, phased,
                 line_number, record)
