"""Shared fixtures: a small synthetic knowledge base (real rules.yaml, made-up matrix).

The synthetic matrix lets engine tests pin behaviour independently of curation; it uses
the shipped rules and their bibliography so the real clinical rules are what is tested.
Every synthetic row cites PMID:1 ('synthetic test source'), which is not a real claim.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# the per-user knowledge cache (alkseq/knowledge/cache.py) lives in a private directory for
# this test session, inherited by every CLI subprocess: tests never touch ~/.cache; removed when
# the session ends (a run left one behind in /tmp each time)
os.environ["ALKSEQ_CACHE_DIR"] = _CACHE_DIR = tempfile.mkdtemp(prefix="alkseq-test-cache-")
atexit.register(shutil.rmtree, _CACHE_DIR, True)

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"
SHARED = ROOT.parent / "shared"
CITE = "PMID:1\tTest\tcurated_summary"

DRUGS = """drug	drug_class	generation	alk_status	targets	synonyms	source	locator	directness	note
crizotinib	alk_tki	1	approved	ALK;MET;ROS1	PF-02341066;Xalkori	{c}	
ceritinib	alk_tki	2	approved	ALK	LDK378	{c}	
alectinib	alk_tki	2	approved	ALK	CH5424802;Alecensa	{c}	
brigatinib	alk_tki	2	approved	ALK	AP26113	{c}	
ensartinib	alk_tki	2	approved	ALK	X-396	{c}	
lorlatinib	alk_tki	3	approved	ALK;ROS1	PF-06463922;Lorbrena	{c}	
neladalkib	alk_tki	next	investigational	ALK	NVL-655	{c}	
capmatinib	met_tki		approved	MET		{c}	
carboplatin	chemotherapy		approved			{c}	
cisplatin	chemotherapy		approved			{c}	
pemetrexed	chemotherapy		approved			{c}	
etoposide	chemotherapy		approved			{c}	
paclitaxel	chemotherapy		approved			{c}	
atezolizumab	immunotherapy		approved	PD-L1		{c}	
durvalumab	immunotherapy		approved	PD-L1		{c}	
pembrolizumab	immunotherapy		approved	PD-1		{c}	
nivolumab	immunotherapy		approved	PD-1		{c}	
bevacizumab	antiangiogenic		approved	VEGF		{c}	
"""
THERAPIES = """therapy	name	drugs	category	histology	source	locator	directness	note
platinum_pemetrexed	Platinum (carboplatin or cisplatin) + pemetrexed	carboplatin|cisplatin;pemetrexed	chemotherapy	non-squamous	{c}	
impower150	Atezolizumab + bevacizumab + carboplatin + paclitaxel (IMpower150)	atezolizumab;bevacizumab;carboplatin;paclitaxel	chemo_immunotherapy	non-squamous	{c}	
platinum_etoposide	Platinum + etoposide	carboplatin|cisplatin;etoposide	chemotherapy	small-cell	{c}	
local_therapy	Local therapy to progressing sites + continue @current_tki	@current_tki	local_therapy	any	{c}	
"""
SENSITIVITY_ROWS = [
    ("G1202R", "crizotinib", "resistant", "", "", "", "preclinical"),
    ("G1202R", "alectinib", "resistant", "868", "13.5", "64.3", "preclinical"),
    ("G1202R", "brigatinib", "resistant", "325", "6", "54.2", "preclinical"),
    ("G1202R", "lorlatinib", "sensitive", "", "", "", "preclinical"),
    ("G1202R", "neladalkib", "sensitive", "", "", "", "preclinical"),
    ("L1196M", "crizotinib", "resistant", "", "", "", "case_report"),
    ("L1196M", "alectinib", "sensitive", "", "", "", "preclinical"),
    ("L1196M", "brigatinib", "sensitive", "", "", "", "preclinical"),
    ("L1196M", "lorlatinib", "sensitive", "", "", "", "preclinical"),
    ("L1196M+G1202R", "lorlatinib", "resistant", "", "", "", "preclinical"),
    ("L1196M+G1202R", "neladalkib", "sensitive", "", "", "", "preclinical"),
    ("C1156Y", "crizotinib", "resistant", "", "", "", "case_report"),
    ("C1156Y", "lorlatinib", "sensitive", "", "", "", "preclinical"),
    ("L1198F", "lorlatinib", "resistant", "", "", "", "preclinical"),
    ("L1198F", "crizotinib", "sensitive", "", "", "", "preclinical"),
    ("C1156Y+L1198F", "crizotinib", "sensitive", "", "", "", "case_report"),
    ("C1156Y+L1198F", "lorlatinib", "resistant", "", "", "", "case_report"),
    ("I1171N", "alectinib", "resistant", "", "", "", "preclinical"),
    ("I1171N", "ceritinib", "sensitive", "", "", "", "case_report"),
    ("I1171N", "lorlatinib", "sensitive", "", "", "", "preclinical"),
    ("G1269A", "crizotinib", "resistant", "", "", "", "preclinical"),
    ("G1269A", "lorlatinib", "sensitive", "", "", "", "preclinical"),
    ("G1269A", "alectinib", "intermediate", "", "", "", "preclinical"),
]
MECHANISMS = """mechanism	label	gene	alteration_kind	protein_match	histology	role	frequency	source	locator	directness	note
met_amplification	MET amplification	MET	amplification			bypass	22% after lorlatinib	{c}	
kras_g12c	KRAS G12C	KRAS	mutation	^G12C$		bypass		{c}	
kras_other	KRAS mutation	KRAS	mutation			bypass		{c}	
nf2_loss	NF2 loss of function	NF2	loss			bypass		{c}	
sclc_transformation	Small-cell transformation		transformation		small-cell	transformation		{c}	
alk_amplification	ALK amplification	ALK	amplification			alk_dependent		{c}	
"""
MECH_THERAPIES = """mechanism	therapy	category	evidence	rationale	source	locator	directness	note
met_amplification	lorlatinib+capmatinib	combination	clinical	Dual ALK and MET inhibition.	{c}	
met_amplification	crizotinib	targeted	case_report	Crizotinib inhibits ALK and MET.	{c}	
sclc_transformation	platinum_etoposide	chemotherapy	clinical	Small-cell histology calls for platinum-etoposide.	{c}	
"""
THERAPY_CLASSES = """class	label	targets	agents_named	applies_when	with_alk_tki	strength	rationale	source	locator	directness	note
next_gen_alk_tki	Next-generation ALK TKI (trial)	ALK	neladalkib	alk_compound;no_approved_alk_tki_covers		expert	Built for compound mutations.	{c}	
mtor_inhibitor	mTOR inhibitor (no agent named)	MTOR	none named	mechanism:nf2_loss	not stated	preclinical	NF2 loss: mTOR inhibitors.	{c}	
mechanism_directed_trial	Clinical trial directed at the mechanism	 	none named	mechanism:kras_other	not stated	expert	No option listed.	{c}	
"""


def write_synthetic_kb(directory: Path, sensitivity_rows=None) -> Path:
    """A complete, valid knowledge directory with the real rules and a synthetic matrix."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources").mkdir(exist_ok=True)
    shutil.copy(REFERENCE / "manifest.yaml", directory / "manifest.yaml")
    shutil.copy(REFERENCE / "rules.yaml", directory / "rules.yaml")
    shutil.copy(REFERENCE / "sources" / "rules.tsv", directory / "sources" / "rules.tsv")
    (directory / "sources" / "synthetic.tsv").write_text(
        "source\tcitation\ttitle\tyear\turl\tnote\n"
        "PMID:1\tsynthetic test source\tnot a real claim\t2026\t\t\n")
    (directory / "genome").mkdir(exist_ok=True)
    protein = next((REFERENCE / "genome").glob("ALK*protein*.fa"), None)
    if protein:
        shutil.copy(protein, directory / "genome" / protein.name)
    (directory / "drugs.tsv").write_text(DRUGS.format(c=CITE))
    (directory / "therapies.tsv").write_text(THERAPIES.format(c=CITE))
    rows = SENSITIVITY_ROWS if sensitivity_rows is None else sensitivity_rows
    lines = ["mutation\tdrug\tclass\tic50_nm\twt_ic50_nm\tfold_vs_wt\tassay\tevidence\tsource\t"
             "locator\tdirectness\tnote"]
    for mut, drug, cls, ic50, wt, fold, evidence in rows:
        lines.append(f"{mut}\t{drug}\t{cls}\t{ic50}\t{wt}\t{fold}\tBa/F3\t{evidence}\t{CITE}\t")
    (directory / "sensitivity.tsv").write_text("\n".join(lines) + "\n")
    (directory / "mechanisms.tsv").write_text(MECHANISMS.format(c=CITE))
    (directory / "mechanism_therapies.tsv").write_text(MECH_THERAPIES.format(c=CITE))
    shutil.copy(REFERENCE / "priorities.tsv", directory / "priorities.tsv")
    (directory / "therapy_classes.tsv").write_text(THERAPY_CLASSES.format(c=CITE))
    return directory


@pytest.fixture()
def synthetic_kb_dir(tmp_path) -> Path:
    return write_synthetic_kb(tmp_path / "kb")


@pytest.fixture()
def synthetic_kb(synthetic_kb_dir):
    from alkseq.knowledge import load_knowledge

    return load_knowledge(str(synthetic_kb_dir))


def run_cli(*args, cwd=None, input_text=None):
    """Run the installed CLI as a user would (a real process, real exit code)."""
    return subprocess.run([sys.executable, "-m", "alkseq", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, input=input_text, timeout=300)


# --------------------------------------------------------------------------- missing material

def in_ci() -> bool:
    """CI always has ../shared and every tool .ci/run installs: there a missing one is a failure."""
    return bool(os.environ.get("CI"))


def missing(what: str):
    """Skip on a developer's clone, fail when ``CI`` is set (never a silent skip in CI)."""
    if in_ci():
        pytest.fail(f"{what} is missing, and CI must have it", pytrace=False)
    pytest.skip(f"{what} not present (a developer clone); CI fails here")


def shared_path(*parts: str) -> Path:
    """A file or folder under ../shared, or a skip (developer clone) / failure (CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f"../shared/{'/'.join(parts)}")
    return path


def require_tool(name: str) -> str:
    """The path of a command-line tool .ci/run installs (bcftools, tabix, chromium …)."""
    found = shutil.which(name)
    if found is None:
        missing(f"the '{name}' command")
    return found


def pytest_configure(config):
    config.addinivalue_line("markers", "shared: needs ../shared; skips on a developer clone without it, "
                                       "fails when CI is set (deselect with -m 'not shared')")


@pytest.fixture(autouse=True)
def _shared_material(request):
    if request.node.get_closest_marker("shared") is not None and not SHARED.is_dir():
        missing("../shared")
