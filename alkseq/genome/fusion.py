"""EML4-ALK fusion naming: exon pair → variant label, and fusion descriptions → parts.

Labs write one fusion many ways (``EML4(NM_019063)-ALK(NM_004304) fusion (E13;A20)``,
``EML4-ALK v3``, ``EML4-ALK.E6aA20``, ``EML4::ALK e13::e20``, ``EML4-ALK variant 1``).
Variant labels come only from ``reference/genome/eml4_alk_variants.tsv`` (each row cites
its source); an exon pair not in that table gets no label rather than a guessed one.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from alkseq.errors import KnowledgeError, ParseError

VARIANT_TABLE = "genome/eml4_alk_variants.tsv"
# the kinases whose fusions alkseq reads (the 3' kinase gene; the other gene is the partner), ALK first
# so an ALK fusion with another kinase is ALK's; every reader takes this one list
FUSION_KINASES = ("ALK", "ROS1", "RET", "NTRK1", "BRAF", "MET", "FGFR1")
_COLUMNS = ("eml4_exon", "alk_exon", "variant", "source", "locator", "directness", "note")


def _reference_dir() -> Path:
    from alkseq.knowledge.paths import reference_dir

    return reference_dir()


def _exon_key(exon: int | str) -> str:
    """Normalise an exon token ('13', 13, 'E6a', 'e6b', 'exon 2') to '13', '6a' …"""
    text = str(exon).strip().lower()
    text = re.sub(r"^(?:exon|ex|e|a)\s*", "", text)
    match = re.fullmatch(r"0*([1-9][0-9]{0,2})([ab]?)", text)
    if not match:
        raise ParseError(f"not an exon number: '{exon}'")
    return match.group(1) + match.group(2)


@lru_cache(maxsize=4)
def load_variant_table(path: str | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """Read the exon-pair → variant table once; keys are (eml4_exon, alk_exon) strings."""
    table_path = Path(path) if path else _reference_dir() / VARIANT_TABLE
    try:
        text = table_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"cannot read EML4-ALK variant table: {exc.strerror or exc}",
                             path=str(table_path)) from None
    rows: dict[tuple[str, str], dict[str, str]] = {}
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.startswith("#")]
    if not lines:
        raise KnowledgeError("EML4-ALK variant table is empty", path=str(table_path))
    header_line, header = lines[0]
    columns = tuple(header.split("\t"))
    if columns != _COLUMNS:
        raise KnowledgeError(f"header must be {', '.join(_COLUMNS)}", path=str(table_path),
                             line=header_line)
    for number, line in lines[1:]:
        cells = line.split("\t")
        if len(cells) != len(_COLUMNS):
            raise KnowledgeError(f"expected {len(_COLUMNS)} columns, found {len(cells)}",
                                 path=str(table_path), line=number)
        row = dict(zip(_COLUMNS, cells))
        if not row["variant"] or not row["source"] or not row["locator"]:
            raise KnowledgeError("variant, source and locator are required",
                                 path=str(table_path), line=number)
        try:
            key = (_exon_key(row["eml4_exon"]), _exon_key(row["alk_exon"]))
        except ParseError as exc:
            raise KnowledgeError(exc.message, path=str(table_path), line=number) from None
        if key in rows:
            raise KnowledgeError(f"duplicate exon pair E{key[0]};A{key[1]}",
                                 path=str(table_path), line=number)
        rows[key] = row
    return rows


def eml4_alk_variant(eml4_exon: int | str, alk_exon: int | str) -> str | None:
    """Variant label for an EML4 exon joined to an ALK exon ('v1' for 13/20), or None."""
    try:
        key = (_exon_key(eml4_exon), _exon_key(alk_exon))
    except ParseError:
        return None
    row = load_variant_table().get(key)
    return row["variant"] if row else None


def eml4_alk_variant_row(eml4_exon: int | str, alk_exon: int | str) -> dict[str, str] | None:
    """The whole table row (with source/locator) behind a variant label, for citing it."""
    try:
        key = (_exon_key(eml4_exon), _exon_key(alk_exon))
    except ParseError:
        return None
    row = load_variant_table().get(key)
    return dict(row) if row else None


def _exons_for_label(label: str) -> tuple[str, str] | None:
    """Exon pair for a stated label ('v1', 'v3', 'v3a') when the table names exactly one."""
    family = label.lower()
    pairs = {key for key, row in load_variant_table().items()
             if row["variant"].lower() == family}
    if not pairs:
        pairs = {(re.sub(r"[ab]$", "", key[0]), key[1]) for key, row in load_variant_table().items()
                 if re.fullmatch(rf"{re.escape(family)}(?:[ab](?:/b)?)?", row["variant"].lower())}
    return next(iter(pairs)) if len(pairs) == 1 else None


_GENE = r"[A-Z][A-Z0-9]{1,15}(?:-AS\d)?"
_EXON = r"(?:0*[1-9][0-9]{0,2}[ab]?)"
def _inline_exon(group: str) -> str:
    """Optional '(exon 13)' / 'exon 13' right after a gene symbol (text is upper-cased)."""
    return rf"(?:\s*\(?\s*(?:EXON|EX)\s*(?P<{group}>{_EXON.upper()})\s*\)?)?"


@lru_cache(maxsize=1)
def _patterns():
    """(genes, exon patterns, variant), compiled on first use (most runs describe no fusion)."""
    genes = re.compile(
        rf"(?P<g5>{_GENE})\s*(?:\((?P<t5>[NX][MR]_\d+(?:\.\d+)?)\))?{_inline_exon('x5')}"
        rf"\s*(?:::|-|/|_|–|>)\s*"
        rf"(?P<g3>{_GENE})\s*(?:\((?P<t3>[NX][MR]_\d+(?:\.\d+)?)\))?{_inline_exon('x3')}")
    exons = [
        # E13;A20  E13:A20  (E6a;A20)  E6aA20  E13A20
        re.compile(rf"\bE(?P<e5>{_EXON})\s*[;:]?\s*A(?P<e3>{_EXON})\b", re.I),
        # e13::e20  exon13::exon20  e13-e20
        re.compile(rf"\b(?:e|ex|exon)\s*(?P<e5>{_EXON})\s*(?:::|;|-|/)\s*(?:e|ex|exon)\s*(?P<e3>{_EXON})\b",
                   re.I),
        # EML4 exon 13 - ALK exon 20 / EML4(exon 13)-ALK(exon 20)
        re.compile(rf"\(?\s*(?:exon|ex|e)\s*(?P<e5>{_EXON})\s*\)?.*?\(?\s*(?:exon|ex|e)\s*(?P<e3>{_EXON})\b",
                   re.I),
    ]
    variant = re.compile(r"(?:\bvariant\s*|\bv)(?P<v>[1-9][0-9]?(?:[ab](?:/b)?|')?)(?![0-9])", re.I)
    return genes, exons, variant


def parse_fusion_description(text: str) -> dict:
    """Split a fusion description into partner, gene, exons and variant label.

    Returns a dict with ``five_prime``, ``three_prime`` (gene symbols as written, 5' first),
    ``gene`` (ALK when ALK is one of the two, else the 3' gene), ``partner`` (the other one),
    ``five_prime_exon``/``three_prime_exon`` (strings such as '13' or '6a', or None),
    ``transcripts`` (gene → accession when written), ``variant`` (label from the table or
    the text), ``variant_stated`` (label as written, or None), ``breakpoint``
    ('EML4 e13::ALK e20'), and ``notes`` (disagreements between the text and the table).
    Raises ``ParseError`` when no two genes can be read.
    """
    if text is None or not str(text).strip():
        raise ParseError("empty fusion description")
    raw = " ".join(str(text).split())
    if len(raw) > 500:
        raise ParseError(f"fusion description too long: '{raw[:60]}…'")
    genes_pattern, exon_patterns, variant_pattern = _patterns()
    genes = genes_pattern.search(raw.upper())
    if not genes or genes.group("g5") == genes.group("g3"):
        raise ParseError(f"no two genes in fusion description '{raw}'",
                         hint="expected e.g. EML4-ALK, EML4::ALK or EML4(NM_019063)-ALK(NM_004304)")
    five, three = genes.group("g5"), genes.group("g3")
    rest = raw[genes.end():]
    transcripts = {gene: acc for gene, acc in ((five, genes.group("t5")), (three, genes.group("t3")))
                   if acc}
    exon5 = exon3 = None
    if genes.group("x5") and genes.group("x3"):
        exon5, exon3 = _exon_key(genes.group("x5")), _exon_key(genes.group("x3"))
    for pattern in ([] if exon5 else exon_patterns):
        match = pattern.search(rest)
        if match:
            exon5, exon3 = _exon_key(match.group("e5")), _exon_key(match.group("e3"))
            break
    stated_match = variant_pattern.search(rest)
    stated = f"v{stated_match.group('v').lower()}" if stated_match else None

    notes: list[str] = []
    variant = None
    is_eml4_alk = (five, three) == ("EML4", "ALK")
    if is_eml4_alk and exon5 and exon3:
        variant = eml4_alk_variant(exon5, exon3)
        if variant is None and exon5[-1] in "ab":
            variant = eml4_alk_variant(exon5[:-1], exon3)
        if stated and variant and not _same_variant(stated, variant):
            notes.append(f"'{raw}': stated {stated} but E{exon5};A{exon3} is {variant} "
                         "in the variant table; the exon pair is kept")
        if variant is None and stated:
            variant = stated
            notes.append(f"E{exon5};A{exon3} is not in the EML4-ALK variant table; "
                         f"label {stated} kept as written")
    elif is_eml4_alk and stated:
        pair = _exons_for_label(stated)
        if pair:
            exon5, exon3 = pair
            variant = eml4_alk_variant(*pair) or stated
        else:
            variant = stated
            notes.append(f"EML4-ALK {stated} is not in the EML4-ALK variant table; "
                         "no exons inferred")
    elif stated:
        variant = stated

    if "ALK" in (five, three):
        gene, partner = "ALK", (five if three == "ALK" else three)
    else:
        gene, partner = three, five
    breakpoint = (f"{five} e{exon5}::{three} e{exon3}" if exon5 and exon3 else None)
    return {
        "five_prime": five, "three_prime": three, "gene": gene, "partner": partner,
        "five_prime_exon": exon5, "three_prime_exon": exon3, "transcripts": transcripts,
        "variant": variant, "variant_stated": stated, "breakpoint": breakpoint,
        "notes": tuple(notes),
    }


def _same_variant(stated: str, label: str) -> bool:
    """'v3' agrees with 'v3a/b' and 'v3a'; 'v1' only with 'v1'."""
    stated, label = stated.lower(), label.lower()
    return stated == label or re.fullmatch(rf"{re.escape(stated)}(?:[ab](?:/b)?)?", label) is not None \
        or re.fullmatch(rf"{re.escape(label)}(?:[ab](?:/b)?)?", stated) is not None


class Fusion(NamedTuple):
    """A fusion placed from its two breakpoints: the kinase gene, its partner, exons joined, label."""

    gene: str
    partner: str | None
    variant: str | None
    breakpoint: str            # 'EML4 e13::ALK e20'
    notes: tuple[str, ...] = ()


def fusion_at(build: str, gene_a: str | None, pos_a: int, gene_b: str | None, pos_b: int,
              exons: dict[str, str] | None = None) -> Fusion | None:
    """Two breakpoint ends (genes and positions in ``build``) → the fusion of the kinase among them, its
    exons from the shipped transcripts (a breakpoint in an intron joins the next exon of the 3' kinase
    and the last whole exon of the partner) unless ``exons`` states them; None when no kinase is involved."""
    from alkseq.genome.transcript import load_transcript

    pair = [g for g in (gene_a, gene_b) if g]
    three = next((g for g in FUSION_KINASES if g in pair), None)
    if three is None or (gene_a == gene_b):
        return None
    partner = gene_b if three == gene_a else gene_a
    three_pos = pos_a if three == gene_a else pos_b
    partner_pos = pos_b if three == gene_a else pos_a
    exons = dict(exons or {})
    notes = []
    if three not in exons:
        tx = load_transcript(three, build)
        if tx is not None:
            where, number = tx.locate(three_pos)
            if where == "exon":
                exons[three] = str(number)
            elif where == "intron":
                exons[three] = str(number + 1)
                notes.append(f"{three} breakpoint in intron {number}: exon {number + 1} joined")
    if partner and partner not in exons:
        tx = load_transcript(partner, build)
        if tx is not None:
            where, number = tx.locate(partner_pos)
            if where in ("exon", "intron"):
                exons[partner] = str(number)
                if where == "intron":
                    notes.append(f"{partner} breakpoint in intron {number}: exon {number} joined")
    variant = None
    if partner == "EML4" and three == "ALK" and "EML4" in exons and "ALK" in exons:
        variant = eml4_alk_variant(exons["EML4"], exons["ALK"])
    left = f"{partner} e{exons[partner]}" if partner and partner in exons else (partner or "unknown partner")
    right = f"{three} e{exons[three]}" if three in exons else three
    if partner is None:
        notes.append(f"partner end at {partner_pos} is not in a gene alkseq knows")
    return Fusion(three, partner, variant, f"{left}::{right}", tuple(notes))
