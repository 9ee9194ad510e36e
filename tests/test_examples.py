"""Every shipped example still gives its expected answer, and its JSON follows the schema."""
import json
import sys
import subprocess

import pytest
import yaml

from conftest import ROOT

CASES = yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())
VOLATILE = ("alkseq_version", "knowledge_version")


def _sample(document):
    """The one sample of a single-sample document (schema alkseq-report/2.0)."""
    assert document["schema"] == "alkseq-report/2.0" and len(document["samples"]) == 1
    return document["samples"][0]


def _run(case, fmt="json"):
    cmd = [sys.executable, "-m", "alkseq", "annotate", case["input"], *case["args"],
           "--format", fmt]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _stable(data):
    return {k: v for k, v in data.items() if k not in VOLATILE}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_example_matches_expected(case):
    expected = _sample(json.loads(
        (ROOT / "examples" / "expected" / case["name"] / "expected.json").read_text()))
    actual = _sample(json.loads(_run(case)))
    assert _stable(actual) == _stable(expected), (
        "output changed: review and run `python examples/regenerate.py`")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_example_json_follows_schema(case):
    import jsonschema   # a test extra: never skipped
    schema = json.loads((ROOT / "alkseq" / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(json.loads(_run(case)), schema)


def _case(name):
    return _sample(json.loads(_run(next(c for c in CASES if c["name"] == name))))


def test_clinical_answers_of_the_examples():
    g1202r = _case("post_alectinib_g1202r")
    assert g1202r["candidates"][0]["drugs"] == ["lorlatinib"]
    assert {"alectinib", "crizotinib"} <= {d for n in g1202r["not_recommended"] for d in n["drugs"]}
    assert any(a["fusion_variant"] == "v1" for a in g1202r["alterations"])

    met = _case("post_lorlatinib_met_amp")
    assert met["mechanism_class"] == "bypass"
    assert "crizotinib" in met["candidates"][0]["drugs"]
    assert any("another ALK TKI alone" in n["therapy"] for n in met["not_recommended"])

    none_found = _case("no_mechanism_post_lorlatinib")
    assert none_found["candidates"][0]["therapy"].startswith("Platinum")
    assert any("IMpower150" in c["therapy"] for c in none_found["candidates"])
    assert any("PD-1/PD-L1" in n["therapy"] for n in none_found["not_recommended"])
    assert any("tissue re-biopsy" in a for a in none_found["advice"])

    oligo = _case("oligoprogression_post_lorlatinib")
    assert oligo["candidates"][0]["category"] == "local_therapy"
    assert oligo["candidates"][0]["drugs"] == ["lorlatinib"]

    compound = _case("post_lorlatinib_compound")
    assert compound["compounds"][0]["phase"] == "unknown"
    assert any("depends on whether they are in cis" in w for w in compound["warnings"])


def test_pathway_examples():
    first = _case("first_line")
    assert {tuple(c["drugs"]) for c in first["candidates"][:3]} == \
        {("alectinib",), ("brigatinib",), ("lorlatinib",)}
    assert all(c["recommendation_strength"] == "guideline" for c in first["candidates"][:3])
    assert first["context"]["history"]["setting"] == "tki_naive"

    nf2 = _case("post_lorlatinib_nf2_loss")
    assert nf2["candidates"][0]["category"] == "chemotherapy"
    assert nf2["candidates"][0]["option"] == "standard"
    mtor = next(c for c in nf2["candidates"] if c["therapy_class"] == "mtor_inhibitor")
    assert mtor["option"] == "trial" and mtor["agents_named"] == []
