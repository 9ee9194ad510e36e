"""Panel tables (CSV/TSV): one row per alteration, as labs export targeted-panel reports.

Columns: ``gene``, ``alteration`` (required); ``sample``, ``vaf``, ``copy_number``, ``depth``
(optional). Common header spellings are accepted (see ``HEADER_SYNONYMS``). ``alteration``
holds a protein change (G1202R, p.Gly1202Arg) or words: amplification, deletion, loss,
fusion, "EML4-ALK v3", "small-cell transformation", EMT. A header with no rows is a valid
"nothing found" result.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from alkseq.errors import InputError, ParseError
from alkseq.model import Alteration, Origin

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
    (r"^(emt|epithelial[- ]mesenchymal transition)$", "phenotype", "EMT"),
    (r"^(exon ?14 skipping|exon14 skipping|ex14 skipping|metex14)$", "mutation", "exon 14 skipping"),
    (r"^(overexpression|expression|ihc positive|positive)$", "expression", "expression"),
]
_FUSION_TEXT = re.compile(
    r"^(?P<a>[A-Z0-9]+)\s*(?:-|::|–|/)\s*(?P<b>[A-Z0-9]+)(?:\s*(?:fusion|rearrangement))?"
    r"(?:\s*[,(]?\s*(?:variant|v)\s*(?P<v>[0-9]+[ab]?(?:/[ab])?)\)?)?"
    r"(?:\s*\(?(?:e|exon)\s*(?P<ea>\d+)[ab]?\s*(?:[:;-]|::)\s*(?:a|e|exon)?\s*(?P<eb>\d+)\)?)?\s*$",
    re.I)


def sniff(head: bytes, path: Path) -> bool:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = {_canon(c) for c in re.split(r"[\t,;]", line)}
        return bool(cols & set(HEADER_SYNONYMS["gene"])) and \
            bool(cols & set(HEADER_SYNONYMS["alteration"]))
    return False


def _canon(name: str) -> str:
    return re.sub(r"[\s()%]+", "_", name.strip().strip('"').lower()).strip("_").replace("__", "_")


def read(path: Path, options) -> list:
    from alkseq.readers import SampleData

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if raw[:2] == b"\x1f\x8b":
        import gzip
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"damaged gzip file ({exc})", path=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path),
                         hint="save the table as UTF-8") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError("no header line", path=str(path),
                         hint="a panel table needs columns gene and alteration")
    header_line_no, header_line = lines[0]
    delimiter = "\t" if header_line.count("\t") >= max(header_line.count(","), 1) else ","
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns = _map_header(header, path, header_line_no)
    samples: dict[str, list[Alteration]] = {}
    order: list[str] = []
    default_sample = path.name.split(".")[0]
    for number, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line), delimiter=delimiter))
        if len(cells) > len(header):
            raise InputError(f"{len(cells)} cells but the header has {len(header)}",
                             path=str(path), line=number)
        cells += [""] * (len(header) - len(cells))
        row = {key: cells[idx].strip() for key, idx in columns.items()}
        sample = row.get("sample") or default_sample
        if options.sample and sample != options.sample:
            continue
        if sample not in samples:
            samples[sample] = []
            order.append(sample)
        samples[sample].append(parse_row(row, path, number, options))
    if not order:
        if options.sample and len(lines) > 1:
            raise InputError(f"no rows for sample '{options.sample}'", path=str(path))
        order = [options.sample or default_sample]
        samples[order[0]] = []
    return [SampleData(s, tuple(samples[s]), FORMAT, str(path)) for s in order]


def _map_header(header: list[str], path: Path, line: int) -> dict[str, int]:
    canon = [_canon(h) for h in header]
    columns: dict[str, int] = {}
    for key, names in HEADER_SYNONYMS.items():
        for idx, name in enumerate(canon):
            if name in names and key not in columns:
                columns[key] = idx
    for key in ("gene", "alteration"):
        if key not in columns:
            raise InputError(f"no '{key}' column (header: {', '.join(header)})", path=str(path),
                             line=line, hint="columns gene and alteration are required")
    if "vaf" in columns and ("%" in header[columns["vaf"]] or "percent" in canon[columns["vaf"]]):
        columns["vaf_percent"] = columns.pop("vaf")
    return columns


def _number(text: str, what: str, path: Path, line: int) -> float | None:
    if not text or text in (".", "NA", "N/A", "-", "nan"):
        return None
    try:
        return float(text.rstrip("%"))
    except ValueError:
        raise ParseError(f"{what} '{text}' is not a number", path=str(path), line=line) from None


def parse_row(row: dict[str, str], path: Path, line: int, options) -> Alteration:
    """One table row → one Alteration (pure; raises ParseError naming file and line)."""
    from alkseq.genome.protein import parse_protein_change

    gene = row.get("gene", "").upper()
    text = row.get("alteration", "")
    if not gene and not _is_transformation(text):
        raise ParseError("empty gene", path=str(path), line=line)
    if not text:
        raise ParseError(f"empty alteration for {gene}", path=str(path), line=line)
    vaf = _number(row.get("vaf", ""), "vaf", path, line)
    if "vaf_percent" in row:
        pct = _number(row["vaf_percent"], "vaf", path, line)
        vaf = None if pct is None else round(pct / 100, 6)
    elif vaf is not None and (vaf > 1 or row.get("vaf", "").endswith("%")):
        vaf = round(vaf / 100, 6)  # written as a percentage
    if vaf is not None and not 0 <= vaf <= 1:
        raise ParseError(f"vaf {row.get('vaf') or row.get('vaf_percent')} is outside 0–1 (or 0–100%)",
                         path=str(path), line=line)
    copy_number = _number(row.get("copy_number", ""), "copy_number", path, line)
    depth_value = _number(row.get("depth", ""), "depth", path, line)
    depth = None if depth_value is None else int(depth_value)
    origin = Origin(str(path), line, text, FORMAT)
    common = dict(vaf=vaf, depth=depth, copy_number=copy_number, origin=origin)

    lowered = " ".join(text.lower().split())
    fusion = _FUSION_TEXT.match(text.strip())
    if fusion and fusion.group("a").upper() != fusion.group("b").upper() and \
            not re.match(r"^[A-Z]\d", text.strip()):
        return _fusion(gene, fusion, text, common)
    for pattern, kind, label in _WORDS:
        if re.match(pattern, lowered):
            if kind == "amplification" and copy_number is not None \
                    and copy_number < options.amp_threshold:
                kind, label = "gain", f"gain (CN {copy_number:g} < amplification threshold "\
                                      f"{options.amp_threshold:g})"
            return Alteration(gene=gene, kind=kind, label=label, **common)
    try:
        named_gene, change = parse_protein_change(text)
    except ParseError as exc:
        raise ParseError(f"{gene}: {exc.message}", path=str(path), line=line,
                         hint=exc.hint or "use a protein change or one of: amplification, "
                         "deletion, loss, fusion, small-cell transformation") from None
    if named_gene and gene and named_gene != gene:
        raise ParseError(f"alteration names gene {named_gene} but the gene column says {gene}",
                         path=str(path), line=line)
    return Alteration(gene=gene or named_gene or "", kind="mutation", protein_change=change,
                      label=text, **common)


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
    three_prime = b if b in ("ALK", "MET", "RET", "ROS1", "NTRK1", "BRAF") or a == gene else b
    if gene and gene in (a, b) and gene in ("ALK", "MET", "RET", "ROS1", "NTRK1", "BRAF"):
        three_prime = gene
    partner = a if three_prime == b else b
    return Alteration(gene=three_prime, kind="fusion", partner=partner, fusion_variant=variant,
                      breakpoint=breakpoint, label=text, **common)
