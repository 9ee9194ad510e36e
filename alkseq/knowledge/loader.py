"""Read the reference tables as text, check every rule at once, build a ``KnowledgeBase``.

Tables are read with the csv module (no pandas: this is on every sample's path) and
every problem is collected with file, line and column before one ``KnowledgeError``
is raised, so a curator fixes a table in one pass.
"""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import NamedTuple

from alkseq.errors import KnowledgeError, ParseError
from alkseq.knowledge import schema as S
from alkseq.knowledge.conflicts import acknowledges_conflict
from alkseq.knowledge.kb import (Drug, KnowledgeBase, Mechanism, MechanismTherapy, Rule,
                                 SensitivityRow, Source, Therapy, norm_name)
from alkseq.knowledge.paths import reference_dir
from alkseq.model import Citation


class Problem(NamedTuple):
    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.message}"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path, line, column, message) -> None:
        self.problems.append(Problem(str(path), line, column, message))


Row = dict[str, str]


def read_tsv(path: Path, spec: S.TableSpec, out: _Collector) -> list[tuple[int, Row]]:
    """Rows as text with their line numbers; schema problems go to ``out``."""
    rows: list[tuple[int, Row]] = []
    text = _read_text(path, out)
    if text is None:
        return rows
    header: list[str] | None = None
    for number, line in enumerate(_lines(text), start=1):
        if line.startswith("#"):
            for message in comment_problems(line):
                out.add(path, number, None, message)
            continue
        if not line.strip():
            continue
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in spec.columns if c not in header]
            unknown = [c for c in header if c not in spec.columns]
            for col in missing:
                out.add(path, number, col, "missing column")
            for col in unknown:
                out.add(path, number, col, "unknown column (typo?)")
            if len(set(header)) != len(header):
                out.add(path, number, None, "duplicate column names")
            if missing:
                return rows
            continue
        if len(cells) != len(header):
            out.add(path, number, None, f"{len(cells)} cells, header has {len(header)}")
            continue
        row = {col: cell.strip() for col, cell in zip(header, cells)}
        ok = True
        for col in spec.required:
            if not row.get(col):
                out.add(path, number, col, "required value is empty" +
                        (" (every row must cite its source)" if col in S.CITED else ""))
                ok = False
        for col, allowed in spec.vocab.items():
            value = row.get(col, "")
            if value and value not in allowed:
                out.add(path, number, col, f"'{value}' is not one of {sorted(allowed)}")
                ok = False
            if col == "generation" and value not in allowed:
                ok = False
        for col in spec.numeric:
            value = row.get(col, "")
            if value:
                try:
                    number_value = float(value)
                except ValueError:
                    out.add(path, number, col, f"'{value}' is not a number (nM, digits only)")
                    ok = False
                    continue
                if not math.isfinite(number_value) or number_value <= 0 or number_value > 1e6:
                    out.add(path, number, col, f"{value} is not a possible value "
                            "(must be > 0 and ≤ 1,000,000 nM)")
                    ok = False
        if row.get("source"):
            for src in _split(row["source"]):
                if not _valid_source_id(src):
                    out.add(path, number, "source", f"'{src}' is not PMID:…, DOI:…, NCT…, URL:… or REF:…")
                    ok = False
        if ok:
            rows.append((number, row))
    if header is None:
        out.add(path, None, None, "no header line")
    return rows


# A comment that names a machine path or states a count goes stale or leaks a workstation:
# comments speak of sources and decisions; `alkseq kb coverage` computes the counts.
_MACHINE_PATH = re.compile(r"(?<![\w.:/])(?:/(?:work|home|Users|tmp|mnt|root|var|opt|private)/"
                           r"|~/|\.\./shared\b|[A-Za-z]:\\)")
_COUNT = re.compile(r"\b[A-Za-z_]+\s*=\s*\d+\b")


def comment_problems(line: str) -> list[str]:
    """What is wrong with one comment line of a table (a machine path, a stale-prone count)."""
    problems = []
    found = _MACHINE_PATH.search(line)
    if found:
        problems.append(f"comment names a machine path ('{found.group(0)}…'): cite the source, "
                        "not where a file sat")
    found = _COUNT.search(line)
    if found:
        problems.append(f"comment states a count ('{found.group(0)}'): counts in comments go "
                        "stale; `alkseq kb coverage` computes them")
    return problems


def _read_text(path: Path, out: _Collector) -> str | None:
    """A table's text (UTF-8, a byte-order mark is fine); problems go to ``out``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        out.add(path, None, None, f"cannot read: {exc.strerror or exc}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        out.add(path, line, None, f"not UTF-8 ({exc.reason} at byte {exc.start}); "
                "save the table as UTF-8")
        return None


def _lines(text: str) -> list[str]:
    """Lines split on LF, CRLF or CR only: a U+2028 or form feed inside a note is text,
    not a row break (``str.splitlines`` would split there and shift every line number)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _split(cell: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(sep) if part.strip())


def _valid_source_id(src: str) -> bool:
    if src.startswith("PMID:"):
        return src[5:].isdigit()
    if src.startswith("DOI:"):
        return src[4:].startswith("10.")
    if src.startswith("NCT"):
        return src[3:].isdigit()
    if src.startswith("REF:"):  # a source with no PMID/DOI/URL (e.g. a conference talk)
        return len(src) > 6 and " " not in src
    return src.startswith("URL:http")


def _top_level_parts(cell: str) -> list[str]:
    """``cell`` split on ';' outside brackets and quotes ('Table 1 (a; b); Abstract' → 2 parts)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(cell):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "'" and (i == 0 or not cell[i - 1].isalnum()) or ch == "'" and quoted:
            quoted = not quoted
        elif ch == ";" and depth == 0 and not quoted:
            parts.append(cell[start:i].strip())
            start = i + 1
    parts.append(cell[start:].strip())
    return [p for p in parts if p]


def _citations(row: Row) -> tuple[Citation, ...]:
    """One citation per source; a row citing several sources may give one locator per source,
    in the same order, ';'-separated (else every source shows the whole locator)."""
    sources = _split(row.get("source", ""))
    locator, directness = row.get("locator", ""), row.get("directness", "")
    locators = _top_level_parts(locator) if len(sources) > 1 else []
    if len(locators) != len(sources):
        locators = [locator] * len(sources)
    return tuple(Citation(src, loc, directness) for src, loc in zip(sources, locators))


def _table_paths(base: Path, overlay: Path | None, name: str) -> list[Path]:
    paths = [base / name]
    if overlay is not None and (overlay / name).is_file():
        paths.append(overlay / name)
    return paths


def _merge(spec: S.TableSpec, tables: list[list[tuple[int, Row]]], paths: list[Path],
           out: _Collector) -> list[tuple[str, int, Row]]:
    """Concatenate base + overlay; on keyed tables the overlay replaces the base row."""
    merged: dict[tuple, tuple[str, int, Row]] = {}
    plain: list[tuple[str, int, Row]] = []
    for layer, (path, rows) in enumerate(zip(paths, tables)):
        seen_here: set[tuple] = set()
        for number, row in rows:
            if spec.key is None:
                plain.append((str(path), number, row))
                continue
            key = tuple(row[k] for k in spec.key)
            if key in seen_here:
                out.add(path, number, ",".join(spec.key), f"duplicate key {'/'.join(key)}")
                continue
            seen_here.add(key)
            merged[key] = (str(path), number, row)
    return list(merged.values()) + plain


def validate_knowledge(path: str | None = None, overlay: str | None = None
                       ) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Every problem in the tables (empty list when they are sound)."""
    return _load(Path(path) if path else reference_dir(), Path(overlay) if overlay else None)


def knowledge_warnings(kb: KnowledgeBase) -> list[Problem]:
    """What a curator should look at but that does not make the tables wrong: cells whose
    sources disagree with no row saying why (the call shows both sides either way)."""
    from alkseq.knowledge.conflicts import unacknowledged_conflicts

    return [Problem(path, line or None, "class", message)
            for path, line, message in unacknowledged_conflicts(kb)]


def _load(base: Path, overlay: Path | None) -> tuple[KnowledgeBase | None, list[Problem]]:
    out = _Collector()
    if not base.is_dir():
        out.add(base, None, None, "knowledge directory not found")
        return None, out.problems
    if overlay is not None and not overlay.is_dir():
        out.add(overlay, None, None, "knowledge overlay directory not found")
        return None, out.problems
    manifest = _read_manifest(base, out)

    loaded: dict[str, list[tuple[str, int, Row]]] = {}
    for spec in S.TABLES:
        paths = [p for p in _table_paths(base, overlay, spec.name) if p.is_file()]
        if not paths:
            out.add(base / spec.name, None, None, "table missing")
            loaded[spec.name] = []
            continue
        tables = [read_tsv(p, spec, out) for p in paths]
        loaded[spec.name] = _merge(spec, tables, paths, out)

    sources = _load_sources(base, overlay, out)
    alk_protein = _read_alk_protein(base)

    drugs, synonyms = _build_drugs(loaded["drugs.tsv"], out)

    def check_drug(path, line, column, name, quiet=False) -> bool:
        if name not in drugs:
            if not quiet:
                out.add(path, line, column, f"unknown drug '{name}' (add it to drugs.tsv)")
            return False
        return True

    check_drug.out = out  # type: ignore[attr-defined]

    therapies = _build_therapies(loaded["therapies.tsv"], check_drug)
    sensitivity = _build_sensitivity(loaded["sensitivity.tsv"], check_drug, alk_protein, out,
                                     {name: d.drug_class for name, d in drugs.items()})
    mechanisms = tuple(
        Mechanism(r["mechanism"], r["label"], r["gene"], r["alteration_kind"],
                  r["protein_match"], r["histology"], r["role"], r["frequency"],
                  _citations(r), r["note"])
        for _, _, r in loaded["mechanisms.tsv"])
    for path, line, r in loaded["mechanisms.tsv"]:
        if r["protein_match"]:
            import re
            try:
                re.compile(r["protein_match"])
            except re.error as exc:
                out.add(path, line, "protein_match", f"bad regular expression: {exc}")
        if r["alteration_kind"] != "transformation" and not r["gene"] and \
                r["alteration_kind"] != "phenotype":
            out.add(path, line, "gene", "a gene is required for this alteration kind")
    mech_ids = {m.mechanism for m in mechanisms}
    mech_therapies: dict[str, list[MechanismTherapy]] = {}
    for path, line, r in loaded["mechanism_therapies.tsv"]:
        if r["mechanism"] not in mech_ids:
            out.add(path, line, "mechanism", f"unknown mechanism '{r['mechanism']}'")
            continue
        _check_therapy_ref(r["therapy"], therapies, check_drug, path, line)
        mech_therapies.setdefault(r["mechanism"], []).append(
            MechanismTherapy(r["mechanism"], r["therapy"], r["category"], r["evidence"],
                             r["rationale"], _citations(r), r["note"]))

    priorities: dict[str, int] = {}
    for path, line, r in loaded["priorities.tsv"]:
        try:
            priorities[r["name"]] = int(r["priority"])
        except ValueError:
            out.add(path, line, "priority", f"'{r['priority']}' is not a whole number")
    therapy_classes = _build_therapy_classes(loaded["therapy_classes.tsv"], check_drug, mech_ids, out)
    check_drug.priorities = priorities  # type: ignore[attr-defined]
    check_drug.classes = therapy_classes  # type: ignore[attr-defined]
    rules = _load_rules(base, overlay, therapies, check_drug, out)

    # the EML4-ALK variant table (reference/genome/) is knowledge too: checked and cited
    cited: list[tuple[str, int, str]] = []
    variant_table = base / "genome" / "eml4_alk_variants.tsv"
    if variant_table.is_file():
        from alkseq.errors import KnowledgeError
        from alkseq.genome.fusion import load_variant_table

        try:
            for row in load_variant_table(str(variant_table)).values():
                cited += [(str(variant_table), 0, s) for s in _split(row["source"])]
        except KnowledgeError as exc:
            out.add(exc.path or variant_table, exc.line, None, exc.message)
    # every cited source must be in the bibliography
    for name, rows in loaded.items():
        for path, line, r in rows:
            cited += [(path, line, s) for s in _split(r.get("source", ""))]
    for rule in rules:
        cited += [(str(base / "rules.yaml"), 0, c.source) for c in rule.citations]
    for path, line, src in cited:
        if src not in sources:
            out.add(path, line or None, "source", f"'{src}' is not in sources/*.tsv")

    if out.problems:
        return None, out.problems
    kb = KnowledgeBase(
        version=str(manifest.get("version", "")), date=str(manifest.get("date", "")),
        drugs=drugs, therapies=therapies, sensitivity=sensitivity, mechanisms=mechanisms,
        mechanism_therapies={k: tuple(v) for k, v in mech_therapies.items()},
        rules=rules, sources=sources, alk_protein=alk_protein, synonym_index=synonyms,
        priorities=priorities, therapy_classes=therapy_classes,
    )
    return kb, []


def _build_therapy_classes(rows, check_drug, mech_ids, out: _Collector) -> dict:
    """therapy_classes.tsv rows; agents must be in drugs.tsv, triggers must name known things."""
    from alkseq.knowledge.kb import TherapyClass

    classes = {}
    for path, line, r in rows:
        agents = tuple(a for a in _split(r["agents_named"]) if a.lower() != "none named")
        for agent in agents:
            check_drug(path, line, "agents_named", agent)
        triggers = _split(r["applies_when"])
        for trigger in triggers:
            kind, _, value = trigger.partition(":")
            if kind not in S.CLASS_TRIGGERS:
                out.add(path, line, "applies_when", f"unknown trigger '{trigger}' "
                        f"(one of {', '.join(S.CLASS_TRIGGERS)}, with ':value' where needed)")
            elif kind == "mechanism" and value not in mech_ids:
                out.add(path, line, "applies_when", f"unknown mechanism '{value}'")
            elif kind == "alk_tki_setting" and value not in S.ALK_TKI_SETTINGS:
                out.add(path, line, "applies_when", f"'{value}' is not one of "
                        f"{sorted(S.ALK_TKI_SETTINGS)}")
        classes[r["class"]] = TherapyClass(
            r["class"], r["label"], _split(r["targets"]), agents, triggers,
            r["with_alk_tki"] or "not stated", r["strength"], r["rationale"], _citations(r),
            r["note"])
    return classes


_YAML_FAILED = object()


def _load_yaml(path: Path, out: _Collector):
    """YAML from a knowledge file (safe loader, no aliases); ``_YAML_FAILED`` on a problem.

    Aliases are refused: ``*a`` repeated inside lists of ``*b`` … expands exponentially
    when walked (a "billion laughs" in YAML), and curated files never need them.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster

    text = _read_text(path, out)
    if text is None:
        return _YAML_FAILED
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*name) are not allowed in knowledge files",
                    event.start_mark)  # type: ignore[arg-type]  # the C and Python loaders' Mark types
        return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        out.add(path, mark.line + 1 if mark else None, None,
                f"not valid YAML: {' '.join(str(problem).split())}")
        return _YAML_FAILED


def _read_manifest(base: Path, out: _Collector) -> dict:
    path = base / "manifest.yaml"
    if not path.is_file():
        out.add(path, None, None, "manifest missing")
        return {}
    data = _load_yaml(path, out)
    if data is _YAML_FAILED:
        return {}
    if not isinstance(data, dict) or not data.get("version"):
        out.add(path, None, "version", "manifest needs a version")
        return {}
    return data


def _read_alk_protein(base: Path) -> str:
    """The ALK protein (NM_004304.5 / Q9UM73) used to check residues in mutation names."""
    for candidate in sorted((base / "genome").glob("ALK*protein*.fa")):
        seq = "".join(line.strip() for line in candidate.read_text().splitlines()
                      if line and not line.startswith(">"))
        return seq.rstrip("*")
    return ""


def _load_sources(base: Path, overlay: Path | None, out: _Collector) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    dirs = [base / "sources"] + ([overlay / "sources"] if overlay else [])
    for directory in dirs:
        for path in sorted(directory.glob("*.tsv")) if directory.is_dir() else []:
            seen_here: dict[str, int] = {}
            for line, r in read_tsv(path, S.SOURCES_SPEC, out):
                if r["source"] in seen_here:
                    out.add(path, line, "source", f"'{r['source']}' is listed twice in this file "
                            f"(line {seen_here[r['source']]})")
                seen_here.setdefault(r["source"], line)
                src = Source(r["source"], r["citation"], r["title"], r["year"], r["url"])
                sources.setdefault(src.source, src)  # first listing wins
    if not sources:
        out.add(base / "sources", None, None, "no bibliography (sources/*.tsv)")
    return sources


def _build_drugs(rows, out: _Collector) -> tuple[dict[str, Drug], dict[str, str]]:
    drugs: dict[str, Drug] = {}
    index: dict[str, str] = {}
    for path, line, r in rows:
        name = r["drug"]
        if name != name.lower() or " " in name.strip():
            out.add(path, line, "drug", f"'{name}': generic names are lowercase, one word")
        if r["drug_class"] == "alk_tki" and not r["generation"]:
            out.add(path, line, "generation", "an ALK TKI needs its generation")
        drug = Drug(name, r["drug_class"], r["generation"], r["alk_status"],
                    _split(r["targets"]), _split(r["synonyms"]), _citations(r), r["note"])
        drugs[name] = drug
        for alias in (name,) + drug.synonyms:
            key = norm_name(alias)
            if key in index and index[key] != name:
                out.add(path, line, "synonyms",
                        f"'{alias}' already names {index[key]}")
            index[key] = name
    return drugs, index


def _build_therapies(rows, check_drug) -> dict[str, Therapy]:
    therapies: dict[str, Therapy] = {}
    for path, line, r in rows:
        slots = tuple(_split(slot, "|") for slot in _split(r["drugs"]))
        for slot in slots:
            for drug in slot:
                if drug != "@current_tki":
                    check_drug(path, line, "drugs", drug)
        therapies[r["therapy"]] = Therapy(r["therapy"], r["name"], slots, r["category"],
                                          r["histology"], _citations(r), r["note"])
    return therapies


def _check_therapy_ref(ref: str, therapies, check_drug, path, line, column="therapy") -> None:
    """A therapy reference: an id in therapies.tsv, a drug, or drugs joined with '+'."""
    if ref in therapies:
        return
    for drug in ref.split("+"):
        if drug.strip() != "@current_tki":
            if not check_drug(path, line, column, drug.strip(), quiet=True):
                check_drug.out.add(path, line, column,
                                   f"unknown drug '{drug.strip()}': '{ref}' is neither a therapy "
                                   "id in therapies.tsv nor drugs (joined with '+') in drugs.tsv")


def canonical_mutation(name: str, alk_protein: str) -> str:
    """Canonical short name of an ALK mutation or `+`-compound (residue order)."""
    from alkseq.genome.protein import normalise_on_sequence, parse_protein_change

    if name == "WT":
        return name
    parts = []
    for part in name.split("+"):
        gene, change = parse_protein_change(part.strip())
        if gene not in (None, "ALK"):
            raise ParseError(f"'{part}' is not an ALK change")
        if alk_protein:
            change = normalise_on_sequence(change, alk_protein)
        parts.append(change)
    parts.sort(key=lambda c: (c.start, c.short))
    return "+".join(c.short for c in parts)


def _build_sensitivity(rows, check_drug, alk_protein: str, out: _Collector,
                       drug_classes: dict[str, str] | None = None
                       ) -> dict[tuple[str, str], tuple[SensitivityRow, ...]]:
    drug_classes = drug_classes or {}
    cells: dict[tuple[str, str], list[SensitivityRow]] = {}
    by_source: dict[tuple[str, str, str], list[tuple]] = {}
    exact_rows: dict[tuple, tuple[str, int]] = {}
    for path, line, r in rows:
        if not check_drug(path, line, "drug", r["drug"]):
            continue
        try:
            mutation = canonical_mutation(r["mutation"], alk_protein)
        except ParseError as exc:
            out.add(path, line, "mutation", exc.message)
            continue
        if mutation != r["mutation"]:
            out.add(path, line, "mutation",
                    f"write '{r['mutation']}' as '{mutation}' (canonical, residue order)")
            continue
        ic50, wt, fold = (float(r[c]) if r[c] else None
                          for c in ("ic50_nm", "wt_ic50_nm", "fold_vs_wt"))
        if ic50 and wt and fold and abs(fold - ic50 / wt) > 0.25 * max(fold, ic50 / wt) + 0.5:
            out.add(path, line, "fold_vs_wt",
                    f"fold {fold} contradicts ic50/wt = {ic50 / wt:.2f}")
        if mutation == "WT":
            # the wild-type row is the baseline: its fold is 1 and its IC50 is the WT IC50
            if fold is not None and abs(fold - 1) > 0.05:
                out.add(path, line, "fold_vs_wt", f"a WT row has fold {fold:g}; WT vs WT is 1")
            if ic50 and wt and abs(ic50 - wt) > 0.05 * max(ic50, wt):
                out.add(path, line, "wt_ic50_nm",
                        f"a WT row with ic50 {ic50:g} but wt_ic50 {wt:g}; they are the same")
            if r["class"] == "resistant" and drug_classes.get(r["drug"]) == "alk_tki":
                out.add(path, line, "class", "wild-type ALK 'resistant' to an ALK TKI: a WT "
                        "baseline row is 'sensitive' or 'unknown' (check the row)")
        # the same row twice (same numbers from the same place in the same source)
        exact = (mutation, r["drug"], r["class"], r["ic50_nm"], r["wt_ic50_nm"],
                 r["fold_vs_wt"], r["assay"], r["source"], r["locator"])
        if exact in exact_rows:
            first_path, first_line = exact_rows[exact]
            where = f"line {first_line}" if first_path == path else f"{first_path}:{first_line}"
            out.add(path, line, None, f"duplicate of {where}")
        exact_rows.setdefault(exact, (path, line))
        if "+" in mutation and _phase_unstated(mutation, r["note"]):
            out.add(path, line, "mutation",
                    f"'{mutation}' says the mutations are in cis ('+'), but the note says the "
                    "phase is not stated: key the mutation the source puts in cis and name the "
                    "others in the note")
        for source in _split(r["source"]):
            by_source.setdefault((mutation, r["drug"], source), []).append(
                (path, line, r["class"], r["assay"], acknowledges_conflict(r["note"])))
        cites = _citations(r)
        cells.setdefault((mutation, r["drug"]), []).append(SensitivityRow(
            mutation, r["drug"], r["class"], ic50, wt, fold, r["assay"], r["evidence"],
            cites[0] if len(cites) == 1 else Citation(r["source"], r["locator"], r["directness"]),
            r["note"], line, str(path)))
    _one_source_one_class(by_source, out)
    return {k: tuple(v) for k, v in cells.items()}


# a `+` compound whose own note says its phase is unknown contradicts the key's meaning (cis)
_PHASE_UNSTATED = re.compile(r"\b(?:phase|cis/trans|cis or trans)\b[^;.]{0,40}?"
                             r"\bnot (?:stated|given|known|reported|determined)", re.I)
_MUTATION_NAME = re.compile(r"\b[A-Z]\d{3,4}(?:[A-Z*]|del|dup|ins[A-Z]*|fs)\b")


def _phase_unstated(compound: str, note: str) -> bool:
    """A note clause saying the phase is not stated, about the key's own mutations (a clause
    naming only a co-occurring partner outside the key is fine)."""
    parts = set(compound.split("+"))
    for clause in re.split(r"[;.]\s", note or ""):
        if _PHASE_UNSTATED.search(clause):
            named = set(_MUTATION_NAME.findall(clause))
            if not named or named & parts:
                return True
    return False


def _one_source_one_class(by_source: dict[tuple[str, str, str], list[tuple]],
                          out: _Collector) -> None:
    """One source gives one cell one class: same assay, any two classes differ; across assays,
    two stated classes (not 'unknown') differ. A row may differ only if it says why."""
    for (mutation, drug, source), rows in by_source.items():
        if len(rows) < 2:
            continue
        for i, (path, line, cls, assay, acknowledged) in enumerate(rows):
            if acknowledged:
                continue
            for other in rows[:i] + rows[i + 1:]:
                o_path, o_line, o_cls, o_assay, _ = other
                same_assay = o_assay == assay
                if o_cls == cls or (not same_assay and "unknown" in (cls, o_cls)):
                    continue
                if same_assay and other in rows[i + 1:]:
                    continue  # same-assay pairs are reported once, on the later row
                where = f"line {o_line}" if o_path == path else f"{o_path}:{o_line}"
                what = "same source and assay" if same_assay else "same source"
                out.add(path, line, "class",
                        f"contradicts {where}: {what} ({source}) says '{o_cls}' for "
                        f"{mutation} x {drug}; one source, one class, unless each row says why "
                        "in its note ('conflict: …')")
                break


def _load_rules(base: Path, overlay: Path | None, therapies, check_drug, out: _Collector
                ) -> tuple[Rule, ...]:
    rules: dict[str, Rule] = {}
    for path in [base / "rules.yaml"] + ([overlay / "rules.yaml"] if overlay else []):
        if not path.is_file():
            if path.parent == base:
                out.add(path, None, None, "rules.yaml missing")
            continue
        data = _load_yaml(path, out)
        if data is _YAML_FAILED:
            continue
        data = data or {}
        items = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(items, list):
            out.add(path, None, "rules", "expected a top-level 'rules:' list")
            continue
        ids_here: set[str] = set()
        for number, item in enumerate(items, start=1):
            for rule in _rules(item, number, path, therapies, check_drug, out):
                if rule.id in ids_here:  # an overlay may replace a shipped rule, not repeat one
                    out.add(path, None, f"rules[{number}]", f"duplicate rule id '{rule.id}'")
                ids_here.add(rule.id)
                rules[rule.id] = rule
    return tuple(rules.values())


def _one_of(value, vocabulary) -> bool:
    return isinstance(value, str) and value in vocabulary


def _rules(item, number, path, therapies, check_drug, out: _Collector) -> list[Rule]:
    """One rule item → Rules (a `recommend:` list gives one Rule per therapy)."""
    where = f"rules[{number}]"
    if not isinstance(item, dict):
        out.add(path, None, where, "each rule is a mapping")
        return []
    rid = item.get("id")
    if rid is not None and not isinstance(rid, (str, int)):
        out.add(path, None, where, "'id' is a word, not a list or mapping")
        return []
    where = f"rules[{number}] {rid}"
    problems_before = len(out.problems)
    for key in ("id", "when", "then", "evidence", "source", "locator", "directness"):
        if not item.get(key):
            out.add(path, None, where, f"'{key}' is required")
    when = item.get("when") or {}
    then = item.get("then") or {}
    if not isinstance(when, dict) or not isinstance(then, dict):
        out.add(path, None, where, "'when' and 'then' are mappings")
        return []
    for cond, value in when.items():
        if cond not in S.RULE_CONDITIONS:
            out.add(path, None, where, f"unknown condition '{cond}'")
            continue
        vocab = {"mechanism_class": S.MECHANISM_CLASSES, "progression": S.PROGRESSION_PATTERNS,
                 "histology": S.PATIENT_HISTOLOGIES, "specimen": S.SPECIMENS,
                 "last_alk_tki_generation": {"1", "2", "3", "next"},
                 "alk_tki_generation_given": {"1", "2", "3", "next"},
                 "alk_tki_setting": S.ALK_TKI_SETTINGS,
                 "findings_include": S.MECHANISM_CLASSES, "findings_exclude": S.MECHANISM_CLASSES,
                 }.get(cond)
        values = value if isinstance(value, list) else [value]
        if vocab:
            for v in values:
                if str(v) not in vocab:
                    out.add(path, None, where, f"'{v}' is not a value of {cond}: {sorted(vocab)}")
        if cond in ("prior_includes_any", "prior_excludes_all"):
            for v in values:
                check_drug(path, None, where, str(v))
    actions = [a for a in then if a in S.RULE_ACTIONS]
    if len(actions) != 1:
        out.add(path, None, where, f"'then' needs exactly one of {sorted(S.RULE_ACTIONS)}")
        return []
    action = actions[0]
    target = then[action]
    targets: list[str | None] = [None]
    drugs: tuple[str, ...] = ()
    if action == "recommend":
        named = [str(t) for t in (target if isinstance(target, list) else [target])]
        for t in named:
            if t.startswith("class:"):  # a class-level option from therapy_classes.tsv
                if t[6:] not in getattr(check_drug, "classes", {}):
                    out.add(path, None, where, f"unknown therapy class '{t[6:]}' "
                            "(add it to therapy_classes.tsv)")
                continue
            _check_therapy_ref(t, therapies, check_drug, path, None, where)
        targets = list(named)
    elif action == "not_recommend":
        if isinstance(target, list):
            drugs = tuple(str(t) for t in target)
            for d in drugs:
                check_drug(path, None, where, d)
            targets = ["+".join(drugs)]
            if not then.get("name"):
                out.add(path, None, where, "a list of drugs needs a display 'name'")
        else:
            targets = [str(target)]
            _check_therapy_ref(str(target), therapies, check_drug, path, None, where)
    if not _one_of(item.get("evidence"), S.EVIDENCE_KINDS):
        out.add(path, None, where, f"evidence must be one of {sorted(S.EVIDENCE_KINDS)}")
    sources = item.get("source") or []
    sources = sources if isinstance(sources, list) else [sources]
    # one directness for every source, or one per source (a rule resting on a primary paper and,
    # as extra support, a tertiary page must label each as what it is)
    cited = max(len(sources), 1)
    directness = item.get("directness")
    directness = directness if isinstance(directness, list) else [directness] * cited
    if not directness or not all(_one_of(d, S.DIRECTNESS) for d in directness):
        out.add(path, None, where, f"directness must be one of {sorted(S.DIRECTNESS)}")
    elif len(directness) != cited:
        out.add(path, None, where, "a list of directness values needs one per source")
    for src in sources:
        if not _valid_source_id(str(src)):
            out.add(path, None, where, f"'{src}' is not PMID:…, DOI:…, NCT…, URL:… or REF:…")
    text = then.get("rationale") or then.get("reason") or \
        (target if action == "advise" else "")
    if not text:
        out.add(path, None, where, "a rationale/reason/advice sentence is required")
    category = then.get("category")
    if category and not _one_of(category, S.THERAPY_CATEGORIES):
        out.add(path, None, where, f"category must be one of {sorted(S.THERAPY_CATEGORIES)}")
    priority = then.get("priority", 50)
    priority_names = getattr(check_drug, "priorities", {})
    if isinstance(priority, str) and priority in priority_names:
        priority = priority_names[priority]  # a name from reference/priorities.tsv
    elif isinstance(priority, str):
        out.add(path, None, where, f"priority '{priority}' is not a name in priorities.tsv "
                f"({', '.join(sorted(priority_names))})")
    elif isinstance(priority, bool) or not isinstance(priority, int):
        out.add(path, None, where, f"priority {priority!r} is not a whole number")
    strength = item.get("strength", "")
    if strength and not _one_of(strength, S.STRENGTHS):
        out.add(path, None, where, f"strength must be one of {list(S.STRENGTHS)}")
    if len(out.problems) > problems_before:
        return []
    locators = item.get("locator") or ""
    if isinstance(locators, list):
        if len(locators) != len(sources):
            out.add(path, None, where, "a list of locators needs one per source")
            return []
    else:
        locators = [locators] * len(sources)
    citations = tuple(Citation(str(s), str(loc), str(d)) for s, loc, d in zip(sources, locators, directness))
    return [Rule(id=str(rid) if len(targets) == 1 else f"{rid}:{t}", when=dict(when),
                 action=action, therapy=t, name=then.get("name"), drugs=drugs,
                 priority=int(priority), category=category,
                 text=" ".join(str(text).split()), evidence=str(item["evidence"]),
                 citations=citations,
                 strength=str(strength or S.EVIDENCE_STRENGTH[str(item["evidence"])]))
            for t in targets]
