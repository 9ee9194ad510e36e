"""Declarative schema of every knowledge table: columns, vocabularies, keys, numeric units.

The loader checks each table against its ``TableSpec``; reference/README.md documents
the same rules for curators.
"""
from __future__ import annotations

from dataclasses import field

from alkseq.model import dataclass  # frozen records without code generation at import
from alkseq.model import MECHANISM_CLASSES as _MECHANISM_CLASSES

DIRECTNESS = {"primary", "primary_abstract", "curated_summary", "review", "guideline", "tertiary"}
EVIDENCE_KINDS = {"guideline", "clinical", "case_report", "preclinical", "review"}
SENSITIVITY_CLASSES = {"sensitive", "intermediate", "resistant", "unknown"}
DRUG_CLASSES = {
    "alk_tki", "met_tki", "braf_inhibitor", "mek_inhibitor", "kras_g12c_inhibitor", "egfr_tki",
    "ret_inhibitor", "mtor_inhibitor", "src_inhibitor", "hsp90_inhibitor", "pi3k_inhibitor",
    "igf1r_inhibitor", "her2_inhibitor", "flt3_inhibitor", "multikinase_inhibitor",
    "chemotherapy", "immunotherapy", "antiangiogenic", "other",
}
GENERATIONS = {"", "1", "2", "3", "next"}
ALK_STATUS = {"approved", "investigational", "preclinical"}
THERAPY_CATEGORIES = {"combination", "targeted", "chemotherapy", "chemo_immunotherapy",
                      "local_therapy", "alk_tki", "trial"}
HISTOLOGIES = {"any", "adenocarcinoma", "non-squamous", "squamous", "small-cell"}
MECHANISM_KINDS = {"amplification", "fusion", "mutation", "loss", "transformation", "phenotype"}
MECHANISM_ROLES = {"bypass", "transformation", "alk_dependent", "other"}

# Evidence kind → candidate evidence level (reference/README.md, "Evidence kinds and levels").
EVIDENCE_LEVEL = {"guideline": "A", "clinical": "B", "case_report": "C", "preclinical": "D",
                  "review": "E"}

# Orders used wherever rows are compared: lower is stronger (interpret/matrix.py, conflicts.py).
EVIDENCE_RANK = {"guideline": 0, "clinical": 1, "case_report": 2, "preclinical": 3, "review": 4}
DIRECTNESS_RANK = {"primary": 0, "guideline": 1, "primary_abstract": 1, "curated_summary": 2,
                   "review": 3, "tertiary": 4}

CITED = ("source", "locator", "directness")


@dataclass(frozen=True)
class TableSpec:
    """One knowledge table's schema: its columns, which are required, how cells are checked."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...] | None = None          # unique key (None: repeats allowed)
    vocab: dict[str, set[str]] = field(default_factory=dict)
    numeric: tuple[str, ...] = ()               # non-negative floats
    optional_file: bool = False


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "drugs.tsv",
        ("drug", "drug_class", "generation", "alk_status", "targets", "synonyms") + CITED + ("note",),
        ("drug", "drug_class", "alk_status") + CITED,
        key=("drug",),
        vocab={"drug_class": DRUG_CLASSES, "generation": GENERATIONS, "alk_status": ALK_STATUS,
               "directness": DIRECTNESS},
    ),
    TableSpec(
        "therapies.tsv",
        ("therapy", "name", "drugs", "category", "histology") + CITED + ("note",),
        ("therapy", "name", "category", "histology") + CITED,
        key=("therapy",),
        vocab={"category": THERAPY_CATEGORIES, "histology": HISTOLOGIES, "directness": DIRECTNESS},
    ),
    TableSpec(
        "sensitivity.tsv",
        ("mutation", "drug", "class", "ic50_nm", "wt_ic50_nm", "fold_vs_wt", "assay", "evidence")
        + CITED + ("note",),
        ("mutation", "drug", "class", "evidence") + CITED,
        vocab={"class": SENSITIVITY_CLASSES, "evidence": EVIDENCE_KINDS, "directness": DIRECTNESS},
        numeric=("ic50_nm", "wt_ic50_nm", "fold_vs_wt"),
    ),
    TableSpec(
        "mechanisms.tsv",
        ("mechanism", "label", "gene", "alteration_kind", "protein_match", "histology", "role",
         "frequency") + CITED + ("note",),
        ("mechanism", "label", "alteration_kind", "role") + CITED,
        key=("mechanism",),
        vocab={"alteration_kind": MECHANISM_KINDS, "role": MECHANISM_ROLES,
               "directness": DIRECTNESS},
    ),
    TableSpec(
        "mechanism_therapies.tsv",
        ("mechanism", "therapy", "category", "evidence", "rationale") + CITED + ("note",),
        ("mechanism", "therapy", "category", "evidence", "rationale") + CITED,
        key=("mechanism", "therapy", "source"),
        vocab={"category": THERAPY_CATEGORIES, "evidence": EVIDENCE_KINDS,
               "directness": DIRECTNESS},
    ),
)

SOURCES_SPEC = TableSpec(
    "sources/*.tsv", ("source", "citation", "title", "year", "url", "note"),
    ("source", "citation"), key=None,
)

# rules.yaml vocabulary: conditions the interpreter can test and actions it can take.
RULE_CONDITIONS = {
    "always",                 # true
    "mechanism_class",        # list of: alk_dependent, bypass, transformation, mixed, none_found
    "prior_includes_any",     # list of drugs: any of them was given
    "prior_excludes_all",     # list of drugs: none of them was given
    "last_alk_tki_generation",  # list of generations ("1", "2", "3", "next") of the latest ALK TKI
    "no_alk_tki_given",       # true: no ALK TKI in the prior therapies
    "progression",            # list of: oligo, systemic, cns
    "histology",              # list of histologies
    "specimen",               # list of: tissue, plasma
    "no_approved_alk_tki_covers",  # true: ALK mutations found and no approved ALK TKI covers all
    # treatment history as lines (Context.lines), see reference/README.md
    "alk_tki_setting",        # list of: tki_naive, after_1g, after_2g, after_3g, after_next (highest generation given)
    "alk_tki_generation_given",  # list of generations: any ALK TKI of one of them given, at any line
    "chemotherapy_given",     # true/false: a chemotherapy drug was given in some line
    "findings_include",       # list of mechanism classes: at least one such finding
    "findings_exclude",       # list of mechanism classes: no such finding
    "alk_mutation_found",     # true/false: an ALK kinase-domain mutation was found
    "alk_mutation_uncurated",  # true: an ALK kinase-domain mutation has no curated row for any drug
    "mechanism_any",          # list of mechanism ids (mechanisms.tsv) found
    "matched_drug",           # true/false: an ALK-independent finding has a curated matched therapy
    "approved_alk_tki_covers_directly",  # true: an approved, not-yet-given ALK TKI covers every ALK mutation (not inferred)
}
# How strongly a source recommends an option for this line (Candidate.recommendation_strength).
STRENGTHS = ("guideline", "trial", "cohort", "case", "preclinical", "expert")
STRENGTH_LEVEL = {"guideline": "A", "trial": "B", "cohort": "B", "case": "C", "preclinical": "D",
                  "expert": "E"}
# A rule/row's evidence kind → the default recommendation strength when it does not say.
EVIDENCE_STRENGTH = {"guideline": "guideline", "clinical": "cohort", "case_report": "case",
                     "preclinical": "preclinical", "review": "expert"}
ALK_TKI_SETTINGS = {"tki_naive", "after_1g", "after_2g", "after_3g", "after_next"}
CLASS_TRIGGERS = ("mechanism", "alk_compound", "alk_compound_with", "no_approved_alk_tki_covers",
                  "alk_tki_setting")
RULE_ACTIONS = {"recommend", "not_recommend", "advise"}
MECHANISM_CLASSES: set[str] = set(_MECHANISM_CLASSES)
PROGRESSION_PATTERNS = {"oligo", "systemic", "cns"}
PATIENT_HISTOLOGIES = {"adenocarcinoma", "squamous", "small-cell"}
SPECIMENS = {"tissue", "plasma"}


# Ranking priorities shared by rules.yaml (``priority: <name>``) and the engine's generators.
PRIORITIES_SPEC = TableSpec(
    "priorities.tsv", ("name", "priority", "meaning", "note"), ("name", "priority", "meaning"),
    key=("name",),
)
# Therapy classes and investigational agents named at class or target level by a source.
THERAPY_CLASSES_SPEC = TableSpec(
    "therapy_classes.tsv",
    ("class", "label", "targets", "agents_named", "applies_when", "with_alk_tki", "strength",
     "rationale") + CITED + ("note",),
    ("class", "label", "applies_when", "strength", "rationale") + CITED,
    key=("class",),
    vocab={"strength": set(STRENGTHS), "with_alk_tki": {"", "yes", "no", "not stated"},
           "directness": DIRECTNESS},
)

TABLES = TABLES + (PRIORITIES_SPEC, THERAPY_CLASSES_SPEC)
