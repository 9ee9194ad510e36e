"""Read a CIViC evidence export and map ALK predictive evidence in lung cancer onto rows of
the sensitivity schema.

Two forms are read, both downloaded by the user (nothing is fetched): the nightly
``ClinicalEvidenceSummaries.tsv`` (snake_case columns, values like ``Sensitivity/Response``)
and the GraphQL-style JSON list (camelCase, values like ``SENSITIVITYRESPONSE``), as in
``../shared/kb-sources/civic_alk_evidence.json``. Values are compared letters-only and
upper-case, so both spellings map the same way.

Mapping is conservative: a molecular profile with several ALK mutations becomes a
``+`` compound only for mutations the statement puts in cis; otherwise the item is not
keyed and its co-occurring findings are reported. An item naming several therapies with
no interaction type (or a sequential one) gives no class for any one drug. Numbers in a
statement are never parsed into IC50 columns: a curator copies them.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from alkseq.errors import AlkseqError, ParseError

# ClinicalEvidenceSummaries.tsv columns this reader needs (the file has more)
TSV_REQUIRED = ("molecular_profile", "disease", "therapies", "evidence_type",
                "evidence_direction", "evidence_level", "significance", "evidence_statement",
                "citation_id", "source_type", "evidence_status", "evidence_id")

SIGNIFICANCE = {"SENSITIVITYRESPONSE": "sensitive", "RESISTANCE": "resistant",
                "REDUCEDSENSITIVITY": "intermediate"}
LEVEL_EVIDENCE = {"A": "clinical", "B": "clinical", "C": "case_report", "D": "preclinical"}


def _key(value) -> str:
    """'Sensitivity/Response' and 'SENSITIVITYRESPONSE' → 'SENSITIVITYRESPONSE'."""
    return re.sub(r"[^A-Za-z]", "", str(value or "")).upper()


@dataclass(frozen=True)
class CivicItem:
    """One CIViC evidence item, in the fields the mapping reads."""

    evidence_id: int
    profile: str
    disease: str
    therapies: tuple[str, ...]
    interaction: str          # COMBINATION | SEQUENTIAL | SUBSTITUTES | '' (letters only)
    evidence_type: str        # PREDICTIVE | ...
    direction: str            # SUPPORTS | DOESNOTSUPPORT
    level: str                # A..E
    significance: str         # SENSITIVITYRESPONSE | RESISTANCE | ...
    statement: str
    citation_id: str
    source_type: str          # PUBMED | ASCO | ASH
    citation: str = ""
    title: str = ""
    year: str = ""
    rating: str = ""
    status: str = ""          # ACCEPTED | SUBMITTED | REJECTED
    line: int | None = None


# ---- reading ------------------------------------------------------------------------------

def read_civic(path: str | Path) -> list[CivicItem]:
    """Every evidence item of a CIViC export (TSV or JSON, told apart by content)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 (byte {exc.start})", path=str(path)) from None
    if text.lstrip()[:1] in ("[", "{"):
        return _read_json(text, path)
    return _read_tsv(text, path)


def _read_json(text: str, path: Path) -> list[CivicItem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from None
    if isinstance(data, dict):  # {"evidenceItems": [...]} or {"data": {...: {"nodes": [...]}}}
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data.get("nodes", data)
    if not isinstance(data, list):
        raise ParseError("expected a JSON list of CIViC evidence items", path=str(path))
    items = []
    for number, raw in enumerate(data, start=1):
        try:
            items.append(_json_item(raw))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParseError(f"evidence item #{number} lacks a field CIViC items have ({exc})",
                             path=str(path)) from None
    return items


def _json_item(raw: dict) -> CivicItem:
    source = raw.get("source") or {}
    return CivicItem(
        evidence_id=int(raw["id"]),
        profile=str((raw.get("molecularProfile") or {})["name"]),
        disease=str((raw.get("disease") or {}).get("name") or ""),
        therapies=tuple(str(t["name"]) for t in raw.get("therapies") or ()),
        interaction=_key(raw.get("therapyInteractionType")),
        evidence_type=_key(raw["evidenceType"]),
        direction=_key(raw.get("evidenceDirection")),
        level=_key(raw.get("evidenceLevel")),
        significance=_key(raw.get("significance")),
        statement=str(raw.get("description") or ""),
        citation_id=str(source.get("citationId") or ""),
        source_type=_key(source.get("sourceType")),
        citation=str(source.get("citation") or ""),
        title=str(source.get("title") or ""),
        year=str(source.get("publicationYear") or ""),
        rating=str(raw.get("evidenceRating") or ""),
        status=_key(raw.get("status")),
    )


def _read_tsv(text: str, path: Path) -> list[CivicItem]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reader = csv.reader(lines, delimiter="\t")
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        raise ParseError("empty file", path=str(path)) from None
    missing = [c for c in TSV_REQUIRED if c not in header]
    if missing:
        raise ParseError("not a CIViC ClinicalEvidenceSummaries.tsv: missing column(s) "
                         + ", ".join(missing), path=str(path), line=1)
    items = []
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):  # trailing empty columns may be cut; required ones not
            cells = cells + [""] * (len(header) - len(cells))
        if len(cells) > len(header):
            raise ParseError(f"{len(cells)} cells, header has {len(header)}", path=str(path),
                             line=number)
        row = dict(zip(header, (c.strip() for c in cells)))
        if not row["evidence_id"].isdigit():
            raise ParseError(f"evidence_id {row['evidence_id']!r} is not a number",
                             path=str(path), line=number)
        citation = row.get("citation", "")
        year = re.search(r"\b(19|20)\d\d\b", citation)
        items.append(CivicItem(
            evidence_id=int(row["evidence_id"]), profile=row["molecular_profile"],
            disease=row["disease"],
            therapies=tuple(t.strip() for t in row["therapies"].split(",") if t.strip()),
            interaction=_key(row.get("therapy_interaction_type")),
            evidence_type=_key(row["evidence_type"]), direction=_key(row["evidence_direction"]),
            level=_key(row["evidence_level"]), significance=_key(row["significance"]),
            statement=row["evidence_statement"], citation_id=row["citation_id"],
            source_type=_key(row["source_type"]), citation=citation,
            year=year.group(0) if year else "", rating=row.get("rating", ""),
            status=_key(row["evidence_status"]), line=number))
    return items


# ---- mapping ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mapped:
    """What one evidence item gives: sensitivity rows, or why none (``reason``)."""

    item: CivicItem
    rows: tuple[dict, ...] = ()             # sensitivity.tsv rows (column → text)
    reason: str = ""                        # why no row (empty when rows were made)
    in_scope: bool = False                  # ALK, predictive, lung, accepted
    mutations: tuple[str, ...] = ()         # the ALK kinase-domain mutations of the profile
    co_occurring: tuple[str, ...] = field(default_factory=tuple)


_ALK_FUSION = re.compile(r"(?:^|::)ALK\b.*(?:Fusion|e\d+::e\d+)|::ALK\b|^ALK Fusion$", re.I)


def is_lung(disease: str, profile: str = "", statement: str = "") -> bool:
    """Lung cancer other than small-cell (NSCLC, lung adenocarcinoma, ...); also CIViC's
    catch-all disease 'Cancer' when the item is about EML4-ALK, the lung-cancer fusion (CIViC
    files most Ba/F3 EML4-ALK experiments under 'Cancer')."""
    name = disease.lower()
    if name.strip() == "cancer":
        return bool(re.search(r"EML4", profile + " " + statement))
    return "lung" in name and ("non-small" in name or "small cell" not in name)


def _components(profile: str) -> list[str] | None:
    if re.search(r"\s(?:OR|NOT)\s|^NOT\s", profile):
        return None
    return [part.strip() for part in re.split(r"\s+AND\s+", profile) if part.strip()]


def cis_groups(statement: str, mutations: list[str]) -> list[set[str]]:
    """Sets of profile mutations the statement puts in cis ('X in cis with Y', 'X and Y in cis').

    Only mutations of the profile count, and only when the words name them beside 'cis':
    a sentence that also names a third mutation does not put that one in cis.
    """
    names = "|".join(re.escape(m) for m in sorted(mutations, key=len, reverse=True))
    if not names or not statement:
        return []
    mut = rf"(?:ALK\s+)?(?:p\.)?({names})\b"
    gap = r"(?:(?!\.\s|;).)"  # within one clause ('3.07%' is not a sentence end)
    pairs: list = []
    for match in re.finditer(rf"{mut}{gap}{{0,40}}?\bin cis with\s+{mut}", statement):
        pairs.append((match.group(1), match.group(2), match.group(0)))
    for match in re.finditer(
            rf"{mut}\s*(?:and|/|\+|–|-)\s*{mut}{gap}{{0,30}}?\b(?:in cis|cis)\b", statement):
        pairs.append((match.group(1), match.group(2), match.group(0)))
    for match in re.finditer(rf"\bcis\b{gap}{{0,15}}?{mut}\s*(?:and|/|\+|–|-)\s*{mut}", statement):
        pairs.append((match.group(1), match.group(2), match.group(0)))
    pairs = [(a, b) for a, b, text in pairs if not re.search(r"\b(?:not|no|trans)\b", text)]
    groups: list[set[str]] = []
    for a, b in pairs:
        if a == b:
            continue
        joined = {a, b}
        for group in [g for g in groups if g & joined]:
            joined |= group
            groups.remove(group)
        groups.append(joined)
    return groups


def _clean(text: str, limit: int | None = None) -> str:
    text = " ".join(str(text).replace("\t", " ").split())
    if limit and len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text


def map_item(item: CivicItem, resolve_drug, canonical) -> Mapped:
    """One item → rows of the sensitivity schema, or the reason it gives none.

    ``resolve_drug(name)`` gives the generic name or raises; ``canonical(change)`` gives the
    canonical short ALK change or raises (both from the knowledge base the rows will join).
    """
    parts = _components(item.profile)
    if parts is None:
        return Mapped(item, reason="profile joins variants with OR/NOT: not one molecular state")
    mutations, other, unparsed = [], [], []
    for part in parts:
        gene, _, variant = part.partition(" ")
        if gene == "ALK" and variant and not re.search(r"fusion|amplification|deletion|"
                                                       r"transcript|mutation|exon", variant, re.I):
            try:
                mutations.append(canonical(variant))
            except AlkseqError:
                unparsed.append(part)
            continue
        if not _ALK_FUSION.search(part):
            other.append(part)
    alk = any(p.startswith("ALK ") or "ALK" in p.split("::") or "::ALK" in p for p in parts)
    lung = is_lung(item.disease, item.profile, item.statement)
    in_scope = alk and item.evidence_type == "PREDICTIVE" and lung and item.status == "ACCEPTED"
    base: dict[str, Any] = dict(item=item, in_scope=in_scope, mutations=tuple(mutations))
    if not alk:
        return Mapped(**base, reason="not ALK")
    if item.status != "ACCEPTED":
        return Mapped(**base, reason=f"status {item.status.lower() or 'not given'}")
    if item.evidence_type != "PREDICTIVE":
        return Mapped(**base, reason=f"{item.evidence_type.lower()} evidence, not predictive")
    if not lung:
        return Mapped(**base, reason=f"disease '{item.disease}' is not lung cancer")
    if unparsed:
        return Mapped(**base, reason=f"{', '.join(unparsed)}: not one protein change (a residue "
                      "or a class of changes names no cell)")
    if not mutations:
        return Mapped(**base, reason="no ALK kinase-domain mutation in the profile"
                      + (f" ({', '.join(other)})" if other else " (fusion only)"))
    if other:
        return Mapped(**base, co_occurring=tuple(other),
                      reason=f"the profile also needs {', '.join(other)}: not a mutation cell")
    key_mutations = sorted(set(mutations), key=lambda m: int(re.sub(r"\D", "", m)[:4] or 0))
    co_occurring: list[str] = []
    if len(key_mutations) > 1:
        groups = cis_groups(item.statement, key_mutations)
        if len(groups) != 1:
            return Mapped(**base, co_occurring=tuple(key_mutations),
                          reason="several ALK mutations and the statement puts none (or several "
                                 "separate pairs) in cis: co-occurring findings, not keyed")
        cis = groups[0]
        co_occurring = [m for m in key_mutations if m not in cis]
        try:
            key = canonical("+".join(m for m in key_mutations if m in cis))
        except AlkseqError as exc:
            return Mapped(**base, reason=f"compound: {exc.message}")
    else:
        key = key_mutations[0]
    drug_class = SIGNIFICANCE.get(item.significance)
    if drug_class is None:
        return Mapped(**base, reason=f"significance {item.significance.lower()}: no class")
    if item.direction != "SUPPORTS":
        return Mapped(**base, reason="evidence does not support the significance: no class "
                      "follows (not supporting sensitivity is not resistance)")
    evidence = LEVEL_EVIDENCE.get(item.level)
    if evidence is None:
        return Mapped(**base, reason=f"level {item.level or '?'} (inferential): not mapped")
    if item.source_type != "PUBMED" or not item.citation_id.isdigit():
        return Mapped(**base, reason=f"source {item.source_type.lower()} {item.citation_id}: "
                      "no PMID to cite")
    if not item.therapies:
        return Mapped(**base, reason="no therapy named")
    if len(item.therapies) > 1 and item.interaction != "SUBSTITUTES":
        how = item.interaction.lower() or "no interaction type"
        return Mapped(**base, reason=f"{len(item.therapies)} therapies ({', '.join(item.therapies)}; "
                      f"{how}): the class of any one drug is not stated")
    drugs = []
    for name in item.therapies:
        try:
            drugs.append(resolve_drug(name))
        except AlkseqError:
            return Mapped(**base, reason=f"unknown drug '{name}' (add it to drugs.tsv first)")
    note = [f"CIViC EID {item.evidence_id} (imported): {item.significance.lower()}, level "
            f"{item.level}" + (f", rating {item.rating}" if item.rating else "")
            + f"; disease {item.disease}"]
    if "+" in key:
        note.append(f"{key.replace('+', ' and ')} in cis as the statement says")
    if co_occurring:
        note.append(f"co-occurring {', '.join(co_occurring)} (phase not stated, not keyed)")
    note.append(f"statement: '{_clean(item.statement, 300)}'")
    rows = tuple({
        "mutation": key, "drug": drug, "class": drug_class, "ic50_nm": "", "wt_ic50_nm": "",
        "fold_vs_wt": "", "assay": "patient" if evidence in ("clinical", "case_report")
        else "preclinical model (CIViC statement)",
        "evidence": evidence, "source": f"PMID:{item.citation_id}",
        "locator": f"CIViC EID {item.evidence_id}", "directness": "curated_summary",
        "note": _clean("; ".join(note)),
    } for drug in drugs)
    return Mapped(**base, rows=rows, co_occurring=tuple(co_occurring))
