"""Join alterations, knowledge and clinical context into one ``Report``. Pure: no I/O.

Order of work: normalise → classify findings → read the treatment history as lines →
decide ALK mutation units from phase → call every ALK TKI against all units → add
mechanism-matched therapies (each drug with its role) → class-level and investigational
options → apply the pathway rules → merge, rank and explain. Ranking priorities come from
reference/priorities.tsv; every sentence comes from ``wording``.
"""
from __future__ import annotations

from dataclasses import field

from alkseq.interpret import classify as C
from alkseq.interpret import wording as W
from alkseq.interpret.history import generations_given, split_chemotherapy_lines, treatment_history
from alkseq.interpret.matrix import residue_order as _residue
from alkseq.interpret.matrix import patient_call
from alkseq.knowledge.kb import KnowledgeBase, Rule, TherapyClass
from alkseq.knowledge.schema import EVIDENCE_STRENGTH, STRENGTH_LEVEL, STRENGTHS
from alkseq.model import (Alteration, Candidate, Citation, Compound, Context, DrugCall, Finding, MechanismClass,
                          NotRecommended, PhaseEvidence, Report, TreatmentHistory)
from alkseq.model import dataclass  # records without code generation at import
from alkseq.normalise import is_alk_kinase_mutation, normalise_alterations

from alkseq.notice import RESEARCH_USE  # noqa: F401  (re-exported for old imports)
LEVEL_ORDER = "ABCDE"
COVERING = ("sensitive", "intermediate")
# best first: how the coverage evidence of several parts/alterations is ordered
COVERAGE_ORDER = ("guideline", "clinical", "case_report", "preclinical", "review", "inferred",
                  "none", "")
ROLE_BY_CLASS = {"chemotherapy": "chemotherapy", "immunotherapy": "immunotherapy",
                 "antiangiogenic": "antiangiogenic"}


@dataclass
class _Draft:
    """A candidate while it is being assembled from several generators."""

    therapy: str
    drugs: tuple[str, ...]
    category: str
    priority: int
    strength: str
    rationale: list[str]
    citations: list[Citation]
    inferred: bool = False
    status: str = "approved"
    reading: str | None = None
    sort_hint: float = 0.0
    generators: set[str] = field(default_factory=set)
    coverage: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    therapy_class: str | None = None
    agents_named: tuple[str, ...] = ()


def _best(order, a: str, b: str) -> str:
    return a if order.index(a) <= order.index(b) else b


def _worst(order, values) -> str:
    values = [v for v in values if v in order]
    return max(values, key=order.index) if values else ""


def _draft_key(therapy: str, drugs, category: str) -> tuple:
    """Candidates merge when they give the same drugs; local therapy never merges with a drug."""
    if category == "local_therapy" or not drugs:
        return (category, therapy)
    return tuple(sorted(drugs))


def _units(mutations: list[str], compounds: list[Compound]) -> dict[str, list[str]]:
    """ALK mutation units per reading: {'as_phased': [...]} or {'cis': [...], 'trans': [...]}.

    Cis compounds join their mutations into one unit; a mixed pair adds the compound as an
    extra unit beside its singles; an unknown-phase pair is joined in the 'cis' reading only.
    """
    by_residue = sorted(mutations, key=_residue)
    cis: list[list[str]] = []
    ambiguous: list[list[str]] = []
    extra_units: list[str] = []
    for comp in compounds:
        members = [m for m in comp.names if m in by_residue]
        if len(members) < 2:
            continue
        if comp.phase == "cis":
            cis.append(members)
        elif comp.phase == "mixed":
            extra_units.append("+".join(sorted(members, key=_residue)))
        elif comp.phase == "unknown":
            ambiguous.append(members)

    def grouped(joined: list[list[str]]) -> list[str]:
        parent = {m: m for m in by_residue}

        def find(m: str) -> str:
            while parent[m] != m:
                m = parent[m]
            return m
        for members in joined:
            for m in members[1:]:
                parent[find(m)] = find(members[0])
        groups: dict[str, list[str]] = {}
        for m in by_residue:  # residue order is kept inside each group
            groups.setdefault(find(m), []).append(m)
        units = ["+".join(group) for group in groups.values()]
        return units + [u for u in extra_units if u not in units]

    if ambiguous:
        return {"cis": grouped(cis + ambiguous), "trans": grouped(cis)}
    return {"as_phased": grouped(cis)}


def _generation(kb: KnowledgeBase, drug: str | None) -> str | None:
    found = kb.drugs.get(drug) if drug else None
    return found.generation if found else None


class _Builder:
    def __init__(self, kb: KnowledgeBase, context: Context):
        self.kb = kb
        self.context = context
        self.history: TreatmentHistory = treatment_history(kb, context)
        self.drafts: dict[tuple, _Draft] = {}
        self.not_recommended: dict[tuple, NotRecommended] = {}
        self.advice: list[str] = []
        self.warnings: list[str] = []
        self.current_tki = self.history.last_alk_tki[0] if self.history.last_alk_tki else None
        self.readings: dict[str, list[str]] = {}
        self.findings: list[Finding] = []

    # -- helpers -----------------------------------------------------------------------
    def resolve_therapy(self, ref: str) -> tuple[str, tuple[str, ...], str | None]:
        """(display name, drugs, category from therapies.tsv) for a therapy id or drug(+drug)."""
        current = self.current_tki
        therapy = self.kb.therapies.get(ref)
        if therapy is not None:
            drugs = tuple(current if current and d == "@current_tki" else d for d in therapy.drugs
                          if d != "@current_tki" or current)
            name = therapy.name
            if "@current_tki" in therapy.drugs:
                name = name.replace("@current_tki", current or "the current ALK TKI")
            return name, drugs, therapy.category
        parts = [p.strip() for p in ref.split("+")]
        drugs = tuple(current if current and p == "@current_tki" else p for p in parts
                      if p != "@current_tki" or current)
        name = " + ".join(current or "current ALK TKI" if p == "@current_tki" else
                          p.capitalize() for p in parts)
        return name, drugs, None

    def role_of(self, drug: str, mechanism_gene: str = "") -> str:
        found = self.kb.drugs.get(drug)
        if found is None:
            return "other"
        if mechanism_gene and mechanism_gene in found.targets:
            return "mechanism_directed"
        if found.is_alk_tki:
            return "alk_directed"
        if mechanism_gene or found.drug_class not in ROLE_BY_CLASS:
            return ROLE_BY_CLASS.get(found.drug_class, "mechanism_directed")
        return ROLE_BY_CLASS[found.drug_class]

    def default_roles(self, drugs) -> dict[str, str]:
        return {d: self.role_of(d) for d in drugs}

    def add(self, therapy: str, drugs: tuple[str, ...], category: str, priority: int,
            strength: str, rationale: str, citations, *, inferred=False, status="approved",
            reading=None, sort_hint=0.0, generator="", coverage="", roles=None,
            therapy_class=None, agents_named=()) -> None:
        key = _draft_key(therapy, drugs, category)
        roles = dict(roles if roles is not None else self.default_roles(drugs))
        draft = self.drafts.get(key)
        if draft is None:
            self.drafts[key] = _Draft(therapy, tuple(drugs), category, priority, strength,
                                      [rationale], list(citations), inferred, status, reading,
                                      sort_hint, {generator}, coverage, roles, therapy_class,
                                      tuple(agents_named))
            return
        draft.priority = min(draft.priority, priority)
        draft.strength = _best(STRENGTHS, strength, draft.strength)
        if coverage:
            draft.coverage = _best(COVERAGE_ORDER, coverage, draft.coverage or "")
        if rationale not in draft.rationale:
            draft.rationale.append(rationale)
        draft.citations += [c for c in citations if c not in draft.citations]
        draft.inferred = draft.inferred and inferred
        draft.generators.add(generator)
        for d, r in roles.items():
            if r == "mechanism_directed" or d not in draft.roles:
                draft.roles[d] = r
        draft.therapy_class = draft.therapy_class or therapy_class
        draft.agents_named = draft.agents_named or tuple(agents_named)

    def argue_against(self, therapy: str, drugs: tuple[str, ...], reason: str, citations,
                      inferred=False) -> None:
        key = tuple(sorted(drugs)) if drugs else (therapy,)
        if key in self.not_recommended:
            old = self.not_recommended[key]
            if reason not in old.reason:
                self.not_recommended[key] = NotRecommended(
                    old.therapy, old.drugs, f"{old.reason} {reason}",
                    old.citations + tuple(c for c in citations if c not in old.citations),
                    old.inferred and inferred)
            return
        self.not_recommended[key] = NotRecommended(therapy, tuple(drugs), reason,
                                                   tuple(citations), inferred)

    def drug_status(self, drugs) -> str:
        statuses = {self.kb.drugs[d].alk_status for d in drugs if d in self.kb.drugs}
        for status in ("preclinical", "investigational"):
            if status in statuses:
                return status
        return "approved"

    def alk_coverage(self, drugs) -> tuple[DrugCall | None, list[str]]:
        """The best call of the ALK-directed drug(s) against the ALK mutation units, in the
        worst phase reading (a combination must cover the mutations whatever their phase)."""
        worst: tuple[DrugCall | None, list[str]] = (None, [])
        for units in self.readings.values():
            calls = [patient_call(self.kb, units, d) for d in drugs]
            best = min(calls, key=_covering_rank) if calls else None
            if best is not None and (worst[0] is None or
                                     _covering_rank(best) > _covering_rank(worst[0])):
                worst = (best, units)
        return worst


def _covering_rank(call: DrugCall) -> int:
    return {"sensitive": 0, "intermediate": 1}.get(call.drug_class, 3) + (1 if call.inferred else 0)


def _coverage_of(call: DrugCall | None) -> str:
    if call is None:
        return ""
    if call.drug_class not in COVERING:
        return "none"
    return "inferred" if call.inferred else (call.evidence or "none")


def _alk_tki_candidates(b: _Builder, readings: dict[str, list[str]]
                        ) -> tuple[list[DrugCall], bool, bool]:
    """Call every ALK TKI against the units of every reading.

    Returns (matrix, approved_covers_directly, approved_covers_inferred): an approved TKI the
    patient can still receive covers every unit in every reading, by direct evidence or only by
    inference from single mutations.
    """
    kb, context = b.kb, b.context
    P = kb.priority
    matrix: list[DrugCall] = []
    covers_directly = covers_inferred = False
    for drug in sorted(kb.alk_tkis(), key=lambda d: (d.generation, d.drug)):
        calls = {name: patient_call(kb, units, drug.drug) for name, units in readings.items()}
        matrix.append(_matrix_row(drug.drug, calls))
        for call in calls.values():
            if W.is_conflicting(call):
                b.warnings.append(W.conflict_warning(drug.drug, call))
        covered = [name for name, call in calls.items() if call.drug_class in COVERING]
        status = drug.alk_status
        prior = drug.drug in context.prior_therapies
        if not covered:
            resistant = [c for c in calls.values() if c.drug_class == "resistant"]
            if resistant:
                call = resistant[0]
                units = readings[next(n for n, c in calls.items() if c is call)]
                b.argue_against(drug.drug, (drug.drug,), W.tki_resistant(drug.drug, call, units),
                                call.citations, call.inferred)
            continue
        name = covered[0]
        call, units = calls[name], readings[name]
        if prior:
            if drug.drug == b.current_tki or call.inferred or call.drug_class != "sensitive":
                b.argue_against(drug.drug, (drug.drug,),
                                W.tki_progressed_on(drug.drug, drug.drug == b.current_tki),
                                call.citations, call.inferred)
                continue
        trial = status != "approved"
        priority = P("trial") if trial else P("alk_tki_covering")
        category = "trial" if trial else "alk_tki"
        priority += P("offset_intermediate") if call.drug_class == "intermediate" else 0
        priority += P("offset_inferred") if call.inferred else 0
        reading = None
        rationale = W.tki_covers(drug.drug, call, units)
        if len(covered) < len(calls):
            reading = name
            priority += P("offset_phase_dependent")
            rationale += W.tki_reading_only(name)
        elif len(calls) > 1:
            rationale += W.TKI_EITHER_READING
        if prior:
            priority += P("offset_resensitised")
            rationale += W.tki_resensitised(drug.drug)
        if trial:
            rationale += W.tki_status(status)
        elif reading is None:
            if call.inferred:
                covers_inferred = True
            else:
                covers_directly = True
        rationale += "." + (W.TKI_INFERRED_BESIDE if call.inferred and not trial else "")
        coverage = _coverage_of(call)
        strength = "expert" if call.inferred else EVIDENCE_STRENGTH.get(call.evidence or "review",
                                                                          "expert")
        b.add(drug.drug.capitalize(), (drug.drug,), category, priority, strength, rationale,
              call.citations, inferred=call.inferred, status=status, reading=reading,
              sort_hint=call.fold_vs_wt or 0.0, generator="matrix", coverage=coverage,
              roles={drug.drug: "alk_directed"})
    return matrix, covers_directly, covers_inferred


def _matrix_row(drug: str, calls: dict[str, DrugCall]) -> DrugCall:
    if len(calls) == 1:
        return next(iter(calls.values()))
    from alkseq.interpret.matrix import combine_classes

    cis, trans = calls.get("cis"), calls.get("trans")
    worst = combine_classes(c.drug_class for c in calls.values())
    pick = cis if cis and cis.drug_class == worst else trans
    assert pick is not None     # both readings were called
    detail = "; ".join(f"if {name}: {c.drug_class}" + (f" ({c.detail})" if c.detail else "")
                       for name, c in calls.items())
    return DrugCall(drug, worst, pick.ic50_nm, pick.fold_vs_wt, pick.evidence,
                    tuple(dict.fromkeys(c for call in calls.values() for c in call.citations)),
                    any(c.inferred for c in calls.values()), detail,
                    tuple(dict.fromkeys(s for call in calls.values() for s in call.conflict)))


def _mechanism_gene(kb: KnowledgeBase, mechanism: str) -> str:
    for m in kb.mechanisms:
        if m.mechanism == mechanism:
            return m.gene
    return ""


def _mechanism_candidates(b: _Builder, findings: list[Finding]) -> set[str]:
    """Therapies matched to ALK-independent mechanisms, each drug with its role.

    A combination's ALK-directed part must cover every ALK mutation found; its
    mechanism-directed part is there for the mechanism and is never judged on ALK coverage.
    Returns the mechanisms that got a therapy (for the 'matched_drug' rule condition).
    """
    kb, P = b.kb, b.kb.priority
    matched: set[str] = set()
    for finding in findings:
        if not finding.mechanism:
            continue
        gene = _mechanism_gene(kb, finding.mechanism)
        for mt in kb.mechanism_therapies.get(finding.mechanism, ()):
            name, drugs, category = b.resolve_therapy(mt.therapy)
            category = mt.category or category or "targeted"
            roles = {d: b.role_of(d, gene) for d in drugs}
            if gene == "" and finding.role == "bypass" and len(drugs) > 1:
                # a phenotype (no gene): the non-ALK drugs are the mechanism part
                roles = {d: ("alk_directed" if kb.is_alk_tki(d) else "mechanism_directed")
                         for d in drugs}
            alk_part = [d for d, r in roles.items() if r == "alk_directed"] or \
                [d for d in drugs if kb.is_alk_tki(d)]
            if len(drugs) == 1 and b.current_tki in drugs and kb.is_alk_tki(drugs[0]):
                b.argue_against(name, drugs, W.current_tki_mechanism(drugs[0]), mt.citations)
                continue
            coverage = mt.evidence
            text = W.mechanism_rationale(finding.alteration.name, finding.mechanism_label,
                                         mt.rationale) + W.roles_sentence(tuple(roles.items()),
                                                                          finding.mechanism_label)
            if b.readings and alk_part:
                call, units = b.alk_coverage(alk_part)
                if call is None or call.drug_class not in COVERING:
                    if call is not None and call.drug_class == "resistant":
                        b.argue_against(name, drugs, W.alk_part_fails(name, alk_part, call, units),
                                        call.citations + tuple(mt.citations), call.inferred)
                    continue
                coverage = _worst(COVERAGE_ORDER, [coverage, _coverage_of(call)])
                text += " " + W.tki_covers(", ".join(alk_part), call, units) + "."
            status = b.drug_status(drugs)
            if category == "trial" or status != "approved":
                priority = P("trial")
            elif category in ("chemotherapy", "chemo_immunotherapy"):
                priority = P("standard") if finding.role == "transformation" else \
                    P("chemotherapy_alternative")
            elif mt.evidence in ("guideline", "clinical", "case_report"):
                priority = P("mechanism_matched")
            else:  # preclinical or review-table support only: after the line's standard
                priority = P("mechanism_matched_weak")
            matched.add(finding.mechanism)
            b.add(name, drugs, category, priority, EVIDENCE_STRENGTH[mt.evidence], text,
                  mt.citations, status=status, generator="mechanism", coverage=coverage,
                  roles=roles)
    return matched


def _triggered(cls: TherapyClass, b: _Builder, kd: list[str], covers_directly: bool) -> list[str]:
    """Names of the findings (or facts) that make a class-level option apply; empty: it does not."""
    hits: list[str] = []
    units = [u for us in b.readings.values() for u in us]
    compounds = [u for u in units if "+" in u]
    for trigger in cls.applies_when:
        kind, _, value = trigger.partition(":")
        if kind == "mechanism":
            hits += [f.alteration.name for f in b.findings if f.mechanism == value]
        elif kind == "alk_compound" and compounds:
            hits += [f"ALK {u}" for u in compounds]
        elif kind == "alk_compound_with":
            hits += [f"ALK {u}" for u in compounds if value in u.split("+")]
        elif kind == "no_approved_alk_tki_covers" and kd and not covers_directly:
            hits += [f"ALK {'+'.join(kd)}"]
        elif kind == "alk_tki_setting" and b.history.setting == value:
            hits.append(W.SETTING_LABELS.get(value, value))
    return list(dict.fromkeys(hits))


def _add_class(b: _Builder, cls: TherapyClass, finding_names: list[str], priority: int,
               strength: str | None = None, extra_citations=(), extra_text: str = "") -> None:
    kb = b.kb
    given = tuple(a for a in cls.agents_named if a in b.context.prior_therapies)
    agents = tuple(a for a in cls.agents_named if a not in given)
    if cls.agents_named and not agents:
        return  # every agent the sources name was given already
    roles = {a: ("alk_directed" if kb.is_alk_tki(a) else "mechanism_directed") for a in agents}
    coverage = ""
    alk_agents = [a for a in agents if kb.is_alk_tki(a)]
    if alk_agents and b.readings:
        call, _ = b.alk_coverage(alk_agents)
        coverage = _coverage_of(call)
    text = W.class_rationale(cls.label, cls.rationale, agents, given, cls.with_alk_tki,
                             finding_names) + extra_text
    status = b.drug_status(agents) if agents else "investigational"
    if status == "approved":
        status = "investigational"  # an approved drug used off-label in a trial
    b.add(cls.label, agents, "trial", priority, strength or cls.strength, text,
          tuple(cls.citations) + tuple(extra_citations), status=status,
          generator=f"class:{cls.therapy_class}", coverage=coverage, roles=roles,
          therapy_class=cls.therapy_class, agents_named=agents)


def _class_candidates(b: _Builder, kd: list[str], covers_directly: bool) -> None:
    for cls in b.kb.therapy_classes.values():
        names = _triggered(cls, b, kd, covers_directly)
        if names:
            _add_class(b, cls, names, b.kb.priority("trial"))


@dataclass
class _Facts:
    """What the rule conditions test, computed once per case."""

    classes: set[MechanismClass]
    approved_covers: bool          # directly or by inference (the no_approved_alk_tki_covers test)
    covers_directly: bool
    has_alk_mutation: bool
    uncurated: bool
    mechanisms: set[str]
    matched: set[str]


def _conditions(kb, rule: Rule) -> tuple:
    """``rule.when`` as (condition, its values as a set of strings, its flag) per entry: made once per
    knowledge base (every sample tests every rule)."""
    made = kb.derived("rule_conditions")
    found = made.get(id(rule))
    if found is None or found[0] is not rule:
        entries = tuple((cond, frozenset(map(str, value if isinstance(value, list) else [value])),
                         str(value).lower() == "true") for cond, value in rule.when.items())
        found = made[id(rule)] = (rule, entries)
    return found[1]


def _rule_applies(rule: Rule, b: _Builder, f: _Facts) -> bool:
    context, kb, history = b.context, b.kb, b.history
    for cond, values, flag in _conditions(kb, rule):
        if cond == "always":
            continue
        if cond == "mechanism_class":
            current = C.mechanism_class(f.classes)
            if not (current in values or (current == "mixed" and f.classes & values)):
                return False
        elif cond == "findings_include":
            if not f.classes & values:
                return False
        elif cond == "findings_exclude":
            if f.classes & values:
                return False
        elif cond == "prior_includes_any":
            if values.isdisjoint(context.prior_therapies):
                return False
        elif cond == "prior_excludes_all":
            if not values.isdisjoint(context.prior_therapies):
                return False
        elif cond == "last_alk_tki_generation":
            if _generation(kb, b.current_tki) not in values:
                return False
        elif cond == "alk_tki_generation_given":
            if not generations_given(history) & values:
                return False
        elif cond == "alk_tki_setting":
            if history.setting not in values:
                return False
        elif cond == "no_alk_tki_given":
            if (not history.alk_tkis) != flag:
                return False
        elif cond == "chemotherapy_given":
            if history.chemotherapy_given != flag:
                return False
        elif cond == "progression":
            if context.progression not in values:
                return False
        elif cond == "histology":
            if context.histology not in values:
                return False
        elif cond == "specimen":
            if context.specimen not in values:
                return False
        elif cond == "no_approved_alk_tki_covers":
            if (f.has_alk_mutation and not f.covers_directly) != flag:
                return False
        elif cond == "approved_alk_tki_covers_directly":
            if (f.has_alk_mutation and f.covers_directly) != flag:
                return False
        elif cond == "alk_mutation_found":
            if f.has_alk_mutation != flag:
                return False
        elif cond == "alk_mutation_uncurated":
            if f.uncurated != flag:
                return False
        elif cond == "mechanism_any":
            if not f.mechanisms & values:
                return False
        elif cond == "matched_drug":
            if bool(f.matched) != flag:
                return False
        else:  # unknown conditions are rejected by the loader; never match silently
            return False
    return True


def _given_at(b: _Builder, therapy_id: str) -> list[int]:
    """Lines at which every slot of a non-TKI regimen was given (e.g. platinum + pemetrexed)."""
    therapy = b.kb.therapies.get(therapy_id)
    if therapy is None or therapy.category == "local_therapy":
        return []
    lines = []
    for number, line in enumerate(b.context.lines, start=1):
        if therapy.drug_slots and all(set(slot) & set(line) for slot in therapy.drug_slots):
            lines.append(number)
    return lines


def _rule_candidates(b: _Builder, f: _Facts, matrix: list[DrugCall]) -> None:
    kb = b.kb
    calls = {c.drug: c for c in matrix}
    for rule in kb.rules:
        if not _rule_applies(rule, b, f):
            continue
        if rule.action == "advise":
            b.advice.append(W.advice_with_sources(rule.text, rule.citations))
            continue
        if rule.action == "not_recommend":
            if rule.therapy == "@current_tki" and not b.current_tki:
                continue
            name, drugs, _ = b.resolve_therapy(rule.therapy or "")
            if rule.drugs:
                name, drugs = rule.name or name, rule.drugs
            b.argue_against(name, drugs, rule.text, rule.citations)
            continue
        if rule.therapy and rule.therapy.startswith("class:"):
            cls = kb.therapy_classes[rule.therapy[6:]]
            _add_class(b, cls, [], rule.priority, rule.strength, rule.citations,
                       " " + rule.text)
            continue
        name, drugs, category = b.resolve_therapy(rule.therapy or "")
        category = rule.category or category or "targeted"
        rationale = rule.text
        resistant = [d for d in drugs if f.has_alk_mutation and calls.get(d)
                     and calls[d].drug_class == "resistant"]
        if category == "local_therapy":
            # continuing the current TKI is the point of local therapy for oligoprogression
            if resistant:
                rationale += W.local_therapy_resistant(resistant)
        else:
            if any(d in b.context.prior_therapies and kb.is_alk_tki(d) for d in drugs):
                continue
            if resistant:
                continue  # the matrix already argues against it, with the numbers
        coverage = ""
        alk = [d for d in drugs if kb.is_alk_tki(d)]
        if alk and category != "local_therapy":
            call, _ = b.alk_coverage(alk)
            coverage = _coverage_of(call) if call is not None else "guideline"
            # no ALK mutation: the drug covers the ALK fusion; the guideline is the evidence
        for d in drugs:
            if f.has_alk_mutation and d in calls and calls[d].drug_class == "unknown":
                rationale += W.no_curated_evidence(d)
        given = _given_at(b, rule.therapy or "")
        if given:
            rationale += W.regimen_given_before(given)
        b.add(name, drugs, category, rule.priority, rule.strength or
              EVIDENCE_STRENGTH[rule.evidence], rationale, rule.citations,
              status=b.drug_status(drugs), generator=f"rule:{rule.id}", coverage=coverage)


def interpret(alterations, context: Context, kb: KnowledgeBase, *, compounds=(),
              sample: str = "sample", input_path: str | None = None,
              input_format: str | None = None, build: str | None = None,
              reader_warnings=()) -> Report:
    """Everything alkseq concludes for one sample."""
    from alkseq._version import __version__

    alterations, warnings = normalise_alterations(list(alterations), kb.alk_protein)
    warnings = list(reader_warnings) + warnings
    findings = C.classify(kb, alterations, context)
    kd_changes = {change.short: change for f in findings
                  if f.role == "alk_kinase_domain" and (change := f.alteration.protein_change) is not None}
    kd = sorted(kd_changes, key=_residue)
    compounds = [c for c in compounds if len(c.mutations) >= 2]
    if len(kd) >= 2 and not compounds:
        compounds = [Compound(tuple(kd_changes[m] for m in kd), "unknown",
                              PhaseEvidence("none", detail="no phase information in the input"))]
    readings = _units(kd, compounds) if kd else {}
    if "cis" in readings and readings["cis"] != readings["trans"]:
        warnings.append(W.phase_unknown(kd))
    for comp in compounds:
        if comp.evidence is not None and comp.evidence.source == "vaf_hint" and \
                comp.phase in ("cis", "trans"):
            warnings.append(W.vaf_hint_phase(comp.names, comp.phase))
    b = _Builder(kb, context)
    b.readings, b.findings = readings, findings
    matrix: list[DrugCall] = []
    covers_directly = covers_inferred = False
    if readings:
        matrix, covers_directly, covers_inferred = _alk_tki_candidates(b, readings)
        if not covers_directly:
            warnings.append(W.NO_APPROVED_COVERS)
    classes = C.mechanism_classes(findings)
    matched = _mechanism_candidates(b, findings)
    uncurated = any(all(not kb.sensitivity_rows(m, d.drug) for d in kb.alk_tkis()) for m in kd)
    facts = _Facts(classes, covers_directly or covers_inferred, covers_directly, bool(kd),
                   uncurated, {f.mechanism for f in findings if f.mechanism}, matched)
    _class_candidates(b, kd, covers_directly)
    _rule_candidates(b, facts, matrix)
    warnings += b.warnings
    if not context.prior_therapies:
        warnings.append(W.NO_PRIOR)
    for first, second in split_chemotherapy_lines(kb, context):
        warnings.append(W.split_doublet(first, second))
    if context.progression is None:
        warnings.append(W.NO_PROGRESSION)
    for f in findings:
        if f.alteration.gene == "ALK" and f.role == "alk_other" and f.alteration.protein_change:
            warnings.append(W.outside_kinase_domain(f.alteration.protein_change.short))

    _mixed_notes(b, findings)
    candidates = _rank(b)
    if not candidates:
        warnings.append(W.empty_answer())
    from alkseq.interpret.render_data import with_render_data

    return with_render_data(kb, readings, Report(
        sample=sample, context=context, findings=tuple(findings), compounds=tuple(compounds),
        mechanism_class=C.mechanism_class(classes), matrix=tuple(matrix),
        candidates=tuple(candidates), not_recommended=tuple(b.not_recommended.values()),
        warnings=tuple(dict.fromkeys(warnings)), knowledge_version=kb.version,
        alkseq_version=__version__, input_path=input_path, input_format=input_format,
        build=build, advice=tuple(dict.fromkeys(b.advice)), history=b.history,
    ))


def _mixed_notes(b: _Builder, findings: list[Finding]) -> None:
    """An ALK TKI alone beside a bypass it does not address says so (mixed mechanisms)."""
    bypass = [f.mechanism_label or f.alteration.name for f in findings if f.role == "bypass"]
    if not bypass:
        return
    for draft in b.drafts.values():
        if len(draft.drugs) == 1 and draft.category == "alk_tki" and \
                draft.roles.get(draft.drugs[0]) == "alk_directed":
            note = W.mechanism_unaddressed(draft.drugs[0], bypass)
            if note not in draft.rationale:
                draft.rationale.append(note.strip())


def _option(b: _Builder, d: _Draft) -> str:
    P = b.kb.priority
    if d.category == "local_therapy":
        return "local"
    if d.category == "trial" or d.status != "approved":
        return "trial"
    if "mechanism_directed" in d.roles.values() and \
            d.category not in ("chemotherapy", "chemo_immunotherapy"):
        return "mechanism_directed"
    if d.priority <= P("standard_second") or d.priority == P("standard_after_matched"):
        return "standard"
    if d.category == "alk_tki" and d.reading is None and "matrix" in d.generators and \
            d.coverage not in ("", "none", "inferred"):
        return "standard"  # the approved TKI matched to the mutations (direct evidence)
    return "alternative"


def _rank(b: _Builder) -> list[Candidate]:
    """Sort by priority; a complete combination ranks just above the best of its parts alone;
    a therapy argued against is never also ranked."""
    blocked = {tuple(sorted(n.drugs)) for n in b.not_recommended.values() if n.drugs}
    drafts = [d for d in b.drafts.values()
              if not d.drugs or d.category == "local_therapy"
              or tuple(sorted(d.drugs)) not in blocked]
    singles = {d.drugs[0]: d for d in drafts if len(d.drugs) == 1 and d.category != "local_therapy"}
    for d in drafts:
        if len(d.drugs) > 1 and {"alk_directed", "mechanism_directed"} <= set(d.roles.values()):
            parts = [singles[x].priority for x in d.drugs if x in singles]
            if parts:
                d.priority = min([d.priority] + parts)

    def key(d: _Draft):
        combo = len(d.drugs) > 1 and "mechanism_directed" in d.roles.values()
        return (d.priority, 0 if combo else 1, STRENGTHS.index(d.strength), d.inferred,
                d.sort_hint, d.therapy)

    out = []
    for rank, d in enumerate(sorted(drafts, key=key), start=1):
        roles = tuple((drug, d.roles.get(drug, "other")) for drug in d.drugs)
        out.append(Candidate(rank, d.therapy, d.drugs, d.category, STRENGTH_LEVEL[d.strength],
                             " ".join(d.rationale), tuple(d.citations),
                             d.coverage == "inferred" or (d.inferred and not d.coverage), d.status,
                             d.reading, recommendation_strength=d.strength,
                             coverage_evidence=d.coverage if d.drugs else "",
                             roles=roles, therapy_class=d.therapy_class,
                             agents_named=d.agents_named, option=_option(b, d)))
    return out


def lookup_report(kb: KnowledgeBase, mutation_text: str, context: Context | None = None
                  ) -> Report:
    """`alkseq lookup G1202R+L1196M`: '+' joins mutations in cis (one compound)."""
    from alkseq.errors import ParseError
    from alkseq.genome.protein import parse_protein_change

    context = context or Context()
    alterations = []
    for part in mutation_text.split("+"):
        gene, change = parse_protein_change(part)
        if gene not in (None, "ALK"):
            raise ParseError(f"'{part.strip()}' names {gene}; lookup is for ALK mutations")
        alterations.append(Alteration(gene="ALK", kind="mutation", protein_change=change,
                                      label=part.strip()))
    normalised, _ = normalise_alterations(alterations, kb.alk_protein)
    outside = [a for a in normalised if not is_alk_kinase_mutation(a)]
    if outside:
        outside_change = outside[0].protein_change
        raise ParseError(f"{outside_change.short if outside_change else outside[0].name} is outside the ALK kinase domain "
                         "(residues 1116–1392)")
    changes = {pc.short: pc for a in normalised if (pc := a.protein_change) is not None}
    shorts = tuple(sorted(changes, key=_residue))
    compounds = (Compound(tuple(changes[s] for s in shorts), "cis", PhaseEvidence("user", detail="'+' in the query")),) \
        if len(shorts) > 1 else ()
    return interpret(normalised, context, kb, compounds=compounds,
                     sample=mutation_text, input_format="lookup")
