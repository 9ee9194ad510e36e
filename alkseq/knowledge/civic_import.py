"""`alkseq kb import civic`: a CIViC export → a validated overlay directory + a diff.

The diff compares what the export says with the shipped tables, cell by cell and
evidence item by item:

* ``new``           an item gives a row no shipped row cites (written to the overlay)
* ``contradicting`` a new row whose class differs from the shipped cell's (written with a
                    ``conflict:`` note, or — when the same paper already gives the cell
                    another class — left to the curator, since one source gives one class)
* ``changed``       a shipped row cites the item for this cell with another class (not
                    written: edit the shipped row)
* ``unsupported``   a shipped row cites an item that, read by these rules, gives no row for
                    that cell (e.g. several therapies and no interaction type)
* ``retired``       a shipped row cites an item the export no longer accepts
* ``absent``        a shipped row cites an item the export lacks (retired, if the export is
                    CIViC's full nightly file; a partial export simply does not have it)
* ``not_keyed``     an in-scope item with ALK mutations that gives no row, and why

Only rows that pass validation together with the shipped tables are written; the
directory appears whole or not at all.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alkseq.errors import KnowledgeError, OutputError
from alkseq.knowledge import schema as S
from alkseq.knowledge.civic import CivicItem, map_item, read_civic
from alkseq.knowledge.kb import KnowledgeBase

DIFF_COLUMNS = ("kind", "mutation", "drug", "shipped_class", "civic_class", "evidence_id",
                "source", "shipped_lines", "reason")
SENSITIVITY_COLUMNS = next(t.columns for t in S.TABLES if t.name == "sensitivity.tsv")
_EID = re.compile(r"CIViC EIDs?\s*([\d/, and]+)")


@dataclass(frozen=True)
class ImportResult:
    """What a CIViC import made: the overlay's rows and sources, the diff, what was skipped."""

    rows: tuple[dict, ...]          # written to the overlay's sensitivity.tsv
    sources: tuple[dict, ...]       # written to the overlay's sources/civic.tsv
    diff: tuple[dict, ...]
    items: int
    in_scope: int
    skipped: dict[str, int]         # out-of-scope reasons → count

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for entry in self.diff:
            out[entry["kind"]] = out.get(entry["kind"], 0) + 1
        return out


def cited_eids(locator: str) -> list[int]:
    """CIViC evidence ids a shipped row's locator cites ('CIViC EID 1354', 'CIViC EIDs 32/33')."""
    out = []
    for match in _EID.finditer(locator or ""):
        out += [int(n) for n in re.findall(r"\d+", match.group(1))]
    return out


def _canonical(kb: KnowledgeBase):
    from alkseq.knowledge.loader import canonical_mutation

    return lambda name: canonical_mutation(name, kb.alk_protein)


def plan_import(items: list[CivicItem], kb: KnowledgeBase) -> ImportResult:
    """Pure: what the export adds, changes and contradicts, against ``kb``."""
    mapped = [map_item(item, kb.resolve_drug, _canonical(kb)) for item in items]
    by_eid = {m.item.evidence_id: m for m in mapped}
    shipped: dict[int, list] = {}                 # EID → shipped rows citing it
    for rows in kb.sensitivity.values():
        for row in rows:
            for eid in cited_eids(row.citation.locator):
                shipped.setdefault(eid, []).append(row)
    diff: list[dict] = []
    written: list[dict] = []
    skipped: dict[str, int] = {}

    def entry(kind, mutation, drug, shipped_class, civic_class, eid, source, lines, reason):
        diff.append(dict(zip(DIFF_COLUMNS, (kind, mutation, drug, shipped_class, civic_class,
                                            str(eid), source, lines, reason))))

    for m in mapped:
        eid = m.item.evidence_id
        if not m.in_scope:
            reason = re.sub(r" '.*'", "", m.reason.split(":")[0])
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        if not m.rows:
            if m.mutations:
                entry("not_keyed", "+".join(m.mutations), ", ".join(m.item.therapies), "", "",
                      eid, f"PMID:{m.item.citation_id}", "", m.reason)
            continue
        for given in m.rows:
            cell = kb.sensitivity_rows(given["mutation"], given["drug"])
            same_eid = [r for r in cell if eid in cited_eids(r.citation.locator)]
            lines = ",".join(str(r.line) for r in same_eid)
            if same_eid:
                if not any(r.drug_class == given["class"] for r in same_eid):
                    entry("changed", given["mutation"], given["drug"],
                          "/".join(sorted({r.drug_class for r in same_eid})), given["class"], eid,
                          given["source"], lines, "the shipped row reads this item differently: "
                          "edit the shipped row")
                continue
            stated = {r.drug_class for r in cell if r.drug_class != "unknown"}
            other = stated - {given["class"]}
            if other and given["class"] != "unknown":
                same_paper = [r for r in cell if r.citation.source == given["source"]
                              and r.drug_class in other]
                cell_lines = ",".join(str(r.line) for r in cell if r.drug_class in other)
                if same_paper:
                    entry("contradicting", given["mutation"], given["drug"], "/".join(sorted(other)),
                          given["class"], eid, given["source"], cell_lines,
                          "the same paper already gives this cell another class in the shipped "
                          "table: not written (one source, one class; review both)")
                    continue
                sources = sorted({r.citation.source for r in cell if r.drug_class in other})
                given = dict(given, note=f"conflict: shipped rows say {'/'.join(sorted(other))} "
                           f"({', '.join(sources)}); this CIViC item says {given['class']}. "
                           + given["note"])
                entry("contradicting", given["mutation"], given["drug"], "/".join(sorted(other)),
                      given["class"], eid, given["source"], cell_lines,
                      "written with a 'conflict:' note: sources disagree")
            else:
                entry("new", given["mutation"], given["drug"], "/".join(sorted(stated)),
                      given["class"], eid, given["source"], "", "")
            written.append(given)

    for eid, cited_rows in sorted(shipped.items()):
        found = by_eid.get(eid)
        for row in cited_rows:
            if found is None:
                entry("absent", row.mutation, row.drug, row.drug_class, "", eid,
                      row.citation.source, str(row.line), f"CIViC EID {eid} is not in this "
                      "export: retired if the export is CIViC's full nightly file")
                continue
            if found.item.status != "ACCEPTED":
                entry("retired", row.mutation, row.drug, row.drug_class, "", eid,
                      row.citation.source, str(row.line),
                      f"CIViC EID {eid} is {found.item.status.lower() or 'without status'} in the export")
                continue
            if any((r["mutation"], r["drug"]) == (row.mutation, row.drug) for r in found.rows):
                continue
            if row.mutation == "WT" or row.drug_class == "unknown":
                continue  # a baseline or an 'unknown' row claims nothing the item must support
            why = found.reason or ("the item gives " + ", ".join(
                f"{r['mutation']} x {r['drug']}" for r in found.rows))
            entry("unsupported", row.mutation, row.drug, row.drug_class,
                  "", eid, row.citation.source, str(row.line), why)

    new_sources = {}
    for written_row in written:
        if written_row["source"] not in kb.sources and written_row["source"] not in new_sources:
            item = next(m.item for m in mapped if f"PMID:{m.item.citation_id}" == written_row["source"])
            new_sources[written_row["source"]] = {
                "source": written_row["source"],
                "citation": item.citation or item.title or f"PubMed {item.citation_id}",
                "title": item.title, "year": item.year,
                "url": f"https://pubmed.ncbi.nlm.nih.gov/{item.citation_id}/",
                "note": f"from the CIViC export (EID {item.evidence_id}); not re-read"}
    return ImportResult(tuple(written), tuple(new_sources.values()), tuple(diff), len(items),
                        sum(1 for m in mapped if m.in_scope), skipped)


# ---- writing --------------------------------------------------------------------------------

def _tsv(columns, rows, comments=()) -> str:
    lines = [f"# {c}" for c in comments] + ["\t".join(columns)]
    lines += ["\t".join(str(row.get(c, "")).replace("\t", " ") for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def summary_text(result: ImportResult, export: str) -> str:
    counts = result.counts()
    lines = [f"CIViC import from {export}: {result.items} evidence items, {result.in_scope} "
             "ALK predictive items in lung cancer (accepted)",
             f"rows written to the overlay: {len(result.rows)}",
             "diff: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in
                                  ("new", "contradicting", "changed", "unsupported", "retired",
                                   "absent", "not_keyed"))]
    if result.skipped:
        lines.append("out of scope: " + "; ".join(
            f"{reason} ({n})" for reason, n in sorted(result.skipped.items(), key=lambda x: -x[1])))
    absent = sorted({int(d["evidence_id"]) for d in result.diff if d["kind"] == "absent"})
    if absent:
        lines.append(f"  absent: shipped rows cite {len(absent)} CIViC items not in this export "
                     f"(EIDs {', '.join(map(str, absent))}); see civic-diff.tsv")
    for kind in ("contradicting", "changed", "unsupported", "retired", "not_keyed"):
        for e in (d for d in result.diff if d["kind"] == kind):
            lines.append(f"  {kind}: {e['mutation']} x {e['drug']} (EID {e['evidence_id']}, "
                         f"{e['source']}"
                         + (f", shipped line(s) {e['shipped_lines']}" if e["shipped_lines"] else "")
                         + (f"): shipped {e['shipped_class']}" if e["shipped_class"] else ")")
                         + (f", CIViC {e['civic_class']}" if e["civic_class"] else "")
                         + (f" — {e['reason']}" if e["reason"] else ""))
    return "\n".join(lines) + "\n"


def import_civic(export: str, out_dir: str) -> ImportResult:
    """Read ``export``, write the overlay + diff into ``out_dir`` (new or empty), validated
    against the shipped tables (the overlay is meant to be used alone with --knowledge)."""
    from alkseq.knowledge.loader import load_knowledge, validate_knowledge

    target = Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError("exists and is not an empty directory; give a new directory",
                          path=str(target))
    if not target.parent.is_dir():
        raise OutputError("output's parent directory does not exist", path=str(target.parent))
    items = read_civic(export)
    kb = load_knowledge()
    result = plan_import(items, kb)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        (staging / "sources").mkdir()
        header = [f"Sensitivity rows imported from a CIViC export ({Path(export).name}) by "
                  "`alkseq kb import civic`; CIViC data are CC0. Review civic-diff.tsv before "
                  "merging any row into the shipped tables."]
        (staging / "sensitivity.tsv").write_text(
            _tsv(SENSITIVITY_COLUMNS, result.rows, header))
        (staging / "sources" / "civic.tsv").write_text(
            _tsv(S.SOURCES_SPEC.columns, result.sources))
        (staging / "civic-diff.tsv").write_text(_tsv(DIFF_COLUMNS, result.diff))
        (staging / "civic-import.txt").write_text(summary_text(result, Path(export).name))
        _, problems = validate_knowledge(None, str(staging))
        if problems:
            raise KnowledgeError(f"the imported rows do not validate: {problems[0]}"
                                 + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result
