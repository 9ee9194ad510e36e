"""Panel tables (CSV/TSV): one row per alteration, as labs export targeted-panel reports.

Columns: ``gene``, ``alteration`` (required); ``sample``, ``vaf``, ``copy_number``, ``depth``
(optional). Common header spellings are accepted (see ``HEADER_SYNONYMS``). ``alteration``
holds a protein change (G1202R, p.Gly1202Arg) or words: amplification, deletion, loss,
fusion, "EML4-ALK v3", "small-cell transformation", EMT. A header with no rows is a valid
"nothing found" result.
"""
from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from alkseq.errors import (InputError, InputTooLargeError, ParseError, SampleNotFoundError,
                           printable, quote)
from alkseq.genome.fusion import FUSION_KINASES
from alkseq.model import Alteration, Origin
from alkseq.readers.cells import TABLE_MISSING, number_cell
from alkseq.readers._text import check_cells, text_lines

FORMAT = "panel"

HEADER_SYNONYMS = {
    "gene": ("gene", "gene_symbol", "hugo_symbol", "symbol", "genes", "gene_name"),
    "alteration": ("alteration", "variant", "protein_change", "mutation", "hgvsp", "hgvs_p",
                   "hgvsp_short", "aa_change", "amino_acid_change", "change", "alteration_name",
                   "finding", "variant_name"),
    "sample": ("sample", "sample_id", "sample_name", "tumor_sample_barcode", "patient", "case"),
    "vaf": ("vaf", "af", "allele_frequency", "variant_allele_frequency", "allele_fraction",
            "vaf_percent", "vaf_%", "frequency", "mutant_allele_frequency"),
    "copy_number": ("copy_number", "cn", "copies", "copy_number_estimate", "gene_copy_number"),
    "depth": ("depth", "dp", "coverage", "read_depth", "total_depth"),
}

_WORDS = [  # (pattern, kind, label)
    (r"^(amplification|amplified|amp|high[- ]level amplification|focal amplification)$",
     "amplification", "amplification"),
    (r"^(gain|copy[- ]number gain|low[- ]level gain)$", "gain", "gain"),
    (r"^(deletion|homozygous deletion|deep deletion|homdel|del)$", "deletion", "deletion"),
    (r"^(loss|loss of function|lof|inactivation|inactivating|truncating|truncation)$", "loss",
     "loss of function"),
    (r"^(fusion|rearrangement|rearranged|translocation|sv)$", "fusion", "fusion"),
    (r"^(small[- ]cell|sclc)( lung cancer)?( transformation)?$", "transformation", "small-cell"),
    (r"^(squamous|squamous cell)( carcinoma)?( transformation)?$", "transformation", "squamous"),
    (r"^(emt|epithelial[- ]mesenchymal transition)$", "other", "EMT"),   # a phenotype: kind 'other' (model.AlterationKind)
    (r"^(exon ?14 skipping|exon14 skipping|ex14 skipping|metex14)$", "mutation", "exon 14 skipping"),
    (r"^(overexpression|expression|ihc positive|positive)$", "expression", "expression"),
]
_WORD_PATTERNS = [(re.compile(pattern, re.ASCII), kind, label) for pattern, kind, label in _WORDS]
_STATED_COPIES = re.compile(r"\s*[,;(]?\s*(?:(?:cn|copy number|copies|gcn)\s*[=:]?\s*(?P<n>\d+(?:\.\d+)?)"
                            r"|(?P<m>\d+(?:\.\d+)?)\s*copies)\s*\)?$")
_FUSION_TEXT = re.compile(
    r"^(?P<a>[A-Z0-9]+)\s*(?:-|::|–|/)\s*(?P<b>[A-Z0-9]+)(?:\s*(?:fusion|rearrangement))?"
    r"(?:\s*[,(]?\s*(?:variant|v)\s*(?P<v>[0-9]+[ab]?(?:/[ab])?)\)?)?"
    r"(?:\s*\(?(?:e|exon)\s*(?P<ea>\d+)[ab]?\s*(?:[:;-]|::)\s*(?:a|e|exon)?\s*(?P<eb>\d+)\)?)?\s*$",
    re.I | re.ASCII)


def sniff(head: bytes, path: Path) -> bool:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or re.fullmatch(r'"?sep=.?"?[,;\t]*', line.strip()):
            continue
        cols = {_canon(c) for c in re.split(r"[\t,;]", line)}
        return bool(cols & set(HEADER_SYNONYMS["gene"])) and \
            bool(cols & set(HEADER_SYNONYMS["alteration"]))
    return False


def _canon(name: str) -> str:
    return re.sub(r"[\s()%]+", "_", name.strip().strip('"').lower()).strip("_").replace("__", "_")


MAX_ALTERATIONS = 2_000_000
"""Alterations kept per table (after --sample): a re-biopsy report has hundreds at most;
the cap bounds memory (about 1 KB each) for tables that are not one report."""


def _delimiter(header_line: str, forced: str | None) -> str:
    if forced:
        return forced
    counts = {d: header_line.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: (counts[d], d == "\t", d == ","))
    return best if counts[best] else "\t"


def read(path: Path, options) -> list:
    """Stream the table row by row (bounded: see ``alkseq.readers._text``)."""
    from alkseq.readers import SampleData

    path = Path(path)
    where = str(path)
    lines = text_lines(path)
    forced = None
    header_line_no, header_line = None, ""
    for number, line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        sep = re.fullmatch(r'"?sep=(.)"?[,;\t]*', stripped)
        if sep and forced is None:  # Excel's "sep=;" hint line
            forced = sep.group(1)
            continue
        header_line_no, header_line = number, line
        break
    if header_line_no is None:
        raise InputError("no header line", path=where,
                         hint="a panel table needs columns gene and alteration")
    delimiter = _delimiter(header_line, forced)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError(f"header line is not {_NAMES.get(delimiter, delimiter)}-separated "
                         f"text ({exc})", path=where, line=header_line_no) from None
    header = [" ".join(h.split()) for h in header]
    check_cells(header, path, header_line_no)
    columns = _map_header(header, path, header_line_no)
    used = set(columns.values())

    pending: list[int] = []  # line numbers csv has taken for the record being read

    def feed():
        for number, line in lines:
            if not pending and line.lstrip().startswith("#"):
                continue  # a comment line between records (inside a quoted cell it is text)
            pending.append(number)
            yield line + "\n"

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    samples: dict[str, list[Alteration]] = {}
    order: list[str] = []
    seen: list[str] = []   # samples passed over by --sample, named if it matches none
    default_sample = printable(path.name.split(".")[0]) or "sample"
    data_rows = 0
    kept = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            message = str(exc)
            first = pending[0] if pending else None
            if "field larger than field limit" in message:
                raise InputTooLargeError(f"a cell is longer than {csv.field_size_limit():,} "
                                         "characters", path=where, line=first,
                                         hint="an unbalanced quote can also cause this") from None
            raise InputError(f"broken quoting ({message})", path=where, line=first,
                             hint="a cell that starts with \" must end with \"") from None
        first, last = pending[0], pending[-1]
        pending.clear()
        if not cells or not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if last > first:
            _check_spanning(cells, used, header, delimiter, path, first, last)
        if len(cells) > len(header):
            if any(c.strip() for c in cells[len(header):]):
                raise InputError(f"{len(cells)} cells but the header has {len(header)}",
                                 path=where, line=first,
                                 hint="is a value containing the delimiter without quotes?")
            cells = cells[:len(header)]
        cells += [""] * (len(header) - len(cells))
        data_rows += 1
        row = {key: " ".join(cells[idx].split()) for key, idx in columns.items()}
        check_cells(list(row.values()), path, first, list(row))
        sample = row.get("sample") or default_sample
        if options.sample and sample != options.sample:
            if sample not in seen:
                seen.append(sample)
            continue
        if sample not in samples:
            samples[sample] = []
            order.append(sample)
        kept += 1
        if kept > MAX_ALTERATIONS:
            raise InputTooLargeError(f"more than {MAX_ALTERATIONS:,} alterations", path=where,
                                     line=first, hint="alkseq reads one report per sample; "
                                     "pick one with --sample or split the table")
        samples[sample].append(parse_row(row, path, first, options))
    if not order:
        if options.sample and data_rows:
            raise SampleNotFoundError(options.sample, seen, path=where)
        order = [options.sample or default_sample]
        samples[order[0]] = []
    return [SampleData(s, tuple(samples[s]), FORMAT, where) for s in order]


_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


def _check_spanning(cells, used, header, delimiter, path, first, last) -> None:
    """A quoted cell may hold line breaks (Excel notes), but an unbalanced quote that
    swallowed whole rows must not lose them silently."""
    for index, cell in enumerate(cells):
        if "\n" not in cell:
            continue
        name = header[index] if index < len(header) else f"#{index + 1}"
        if index in used:
            raise ParseError(f"the {quote(name, 40)} cell spans lines {first}–{last}",
                             path=str(path), line=first,
                             hint="check for an unbalanced quote (\")")
        for continuation in cell.split("\n")[1:]:
            if continuation.count(delimiter) >= max(1, len(header) - 1):
                raise ParseError(f"a quoted {quote(name, 40)} cell spanning lines "
                                 f"{first}–{last} holds what look like whole rows",
                                 path=str(path), line=first,
                                 hint="check for an unbalanced quote (\")")


def _map_header(header: list[str], path: Path, line: int) -> dict[str, int]:
    canon = [_canon(h) for h in header]
    columns: dict[str, int] = {}
    for key, names in HEADER_SYNONYMS.items():
        for idx, name in enumerate(canon):
            if name in names and key not in columns:
                columns[key] = idx
    for key in ("gene", "alteration"):
        if key not in columns:
            raise InputError(f"no '{key}' column (header: {quote(', '.join(header), 200)})",
                             path=str(path),
                             line=line, hint="columns gene and alteration are required")
    if "vaf" in columns and ("%" in header[columns["vaf"]] or "percent" in canon[columns["vaf"]]):
        columns["vaf_percent"] = columns.pop("vaf")
    return columns


MAX_ALTERATION_CHARS = 200
_ASCII_SYMBOL = re.compile(r"[!-~]+(?: [!-~]+)*")


def parse_row(row: dict[str, str], path: Path, line: int, options) -> Alteration:
    """One table row → one Alteration (pure; raises ParseError naming file and line)."""
    gene = row.get("gene", "").upper()
    text = " ".join(row.get("alteration", "").split())
    if gene and not _ASCII_SYMBOL.fullmatch(gene):
        raise ParseError(f"gene {quote(gene)} is not a gene symbol (ASCII letters, digits, "
                         "'-', '.')", path=str(path), line=line)
    if len(text) > MAX_ALTERATION_CHARS:
        raise ParseError(f"alteration {quote(text, 60)} is longer than "
                         f"{MAX_ALTERATION_CHARS} characters", path=str(path), line=line,
                         hint="one protein change or word per row")
    if not gene and not _is_transformation(text):
        raise ParseError("empty gene", path=str(path), line=line)
    if not text:
        raise ParseError(f"empty alteration for {gene}", path=str(path), line=line)
    def cell(name: str, label: str, integer: bool = False):
        return number_cell(row.get(name, ""), f"{label} ", path=path, line=line, percent=True,
                           missing=TABLE_MISSING, integer=integer)

    vaf = cell("vaf", "vaf")
    if "vaf_percent" in row:
        pct = cell("vaf_percent", "vaf")
        vaf = None if pct is None else round(pct / 100, 6)
    elif vaf is not None and (vaf > 1 or row.get("vaf", "").endswith("%")):
        vaf = round(vaf / 100, 6)  # written as a percentage
    if vaf is not None and not 0 <= vaf <= 1:
        raise ParseError(f"vaf {quote(row.get('vaf') or row.get('vaf_percent'))} is outside "
                         "0–1 (or 0–100%)",
                         path=str(path), line=line)
    copy_number = cell("copy_number", "copy_number")
    depth_value = cell("depth", "depth", integer=True)
    depth = None if depth_value is None else int(depth_value)
    origin = Origin(str(path), line, text, FORMAT)
    common = dict(vaf=vaf, depth=depth, copy_number=copy_number, origin=origin)

    lowered = " ".join(text.lower().split())
    stated = _STATED_COPIES.search(lowered)    # 'amplification (CN=12)', 'amplified, 8 copies'
    if stated and _word_kind(lowered[:stated.start()]) in ("amplification", "gain"):
        lowered = lowered[:stated.start()]
        if copy_number is None:
            copy_number = float(stated.group("n") or stated.group("m"))
            common["copy_number"] = copy_number
    fusion = _FUSION_TEXT.fullmatch(text)
    if fusion and fusion.group("a").upper() != fusion.group("b").upper() and \
            not re.match(r"[A-Z]\d", text):
        return _fusion(gene, fusion, text, common)
    kinase = _kinase_of_fusion_name(gene)
    if kinase is not None:
        fusion = _FUSION_TEXT.fullmatch(gene) if _word_kind(lowered) in ("fusion", "expression") else \
            _FUSION_TEXT.fullmatch(f"{gene} {text}")
        if fusion:
            return _fusion(kinase, fusion, f"{gene} {text}", common)
        gene = kinase    # 'EML4-ALK' + 'G1202R': a mutation in the fusion's ALK kinase domain
    for pattern, kind, label in _WORD_PATTERNS:
        if pattern.fullmatch(lowered):
            if kind == "amplification" and copy_number is not None \
                    and copy_number < options.amp_threshold:
                kind, label = "gain", f"gain (CN {copy_number:g} < amplification threshold "\
                                      f"{options.amp_threshold:g})"
            return Alteration(gene=gene, kind=kind, label=label, **common)
    try:
        named_gene, change = _parse_protein_change(_protein_part(text))
    except ParseError as exc:
        raise ParseError(f"{gene}: {exc.message}", path=str(path), line=line,
                         hint=exc.hint or "use a protein change or one of: amplification, "
                         "deletion, loss, fusion, small-cell transformation") from None
    if named_gene and gene and named_gene != gene:
        raise ParseError(f"alteration names gene {named_gene} but the gene column says {gene}",
                         path=str(path), line=line)
    return Alteration(gene=gene or named_gene or "", kind="mutation", protein_change=change,
                      label=text, **common)


# 'c.3604G>A (p.G1202R)', 'p.Gly1202Arg (c.3604G>A)', 'c.3604G>A; p.G1202R': clinical reports
# write both; the protein change is the one alkseq reads (the row keeps the text as written)
_WITH_CODING = re.compile(r"^(?:c\.\S+\s*[(;,/|]?\s*(?P<a>p\.[^\s();,|]+)\)?|(?P<b>p\.[^\s();,|]+)\s*[(;,/|]?\s*c\.\S+?\)?)$")


def _protein_part(text: str) -> str:
    both = _WITH_CODING.fullmatch(text)
    return (both.group("a") or both.group("b")) if both else text


@functools.lru_cache(maxsize=65536)  # large tables repeat the same changes
def _parse_protein_change(text: str):
    from alkseq.genome.protein import parse_protein_change

    return parse_protein_change(text)


def _word_kind(lowered: str) -> str | None:
    """The kind a word of ``_WORDS`` names ('amplification', 'fusion' …), or None."""
    return next((kind for pattern, kind, _ in _WORD_PATTERNS if pattern.fullmatch(lowered)), None)


def _kinase_of_fusion_name(gene: str) -> str | None:
    """The kinase of a gene column that names a fusion ('EML4-ALK', 'EML4::ALK' → ALK), as many
    panel exports write it; None for a plain or hyphenated symbol (NKX2-1)."""
    named = _FUSION_TEXT.fullmatch(gene)
    if not named or named.group("v") or named.group("ea"):
        return None
    a, b = named.group("a").upper(), named.group("b").upper()
    if a == b:
        return None
    return b if b in FUSION_KINASES else (a if a in FUSION_KINASES else None)


def _is_transformation(text: str) -> bool:
    return bool(re.search(r"transformation|small[- ]cell|sclc|squamous|emt", text, re.I))


def _fusion(gene: str, m: re.Match, text: str, common: dict) -> Alteration:
    """'EML4-ALK v3', 'EML4::ALK e13::e20' → a fusion Alteration with partner and variant."""
    a, b = m.group("a").upper(), m.group("b").upper()
    variant = f"v{m.group('v')}" if m.group("v") else None
    breakpoint = None
    if m.group("ea") and m.group("eb"):
        breakpoint = f"{a} e{m.group('ea')}::{b} e{m.group('eb')}"
        if variant is None and a == "EML4" and b == "ALK":
            try:
                from alkseq.genome.fusion import eml4_alk_variant
                variant = eml4_alk_variant(int(m.group("ea")), int(m.group("eb")))
            except ImportError:
                variant = None
    # the 3' kinase partner is the gene of interest (ALK, MET, RET …); the other is the partner
    three_prime = b
    if gene and gene in (a, b) and gene in FUSION_KINASES:
        three_prime = gene
    partner = a if three_prime == b else b
    return Alteration(gene=three_prime, kind="fusion", partner=partner, fusion_variant=variant,
                      breakpoint=breakpoint, label=text, **common)
