"""``report.json_text.dumps_indented`` writes what ``json.dumps(indent=2, ensure_ascii=False,
allow_nan=False)`` writes, byte for byte: on random JSON values, on the edge values json converts
or refuses, and on every shipped example's real report documents (JSON, FHIR, Phenopacket)."""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from enum import IntEnum

import pytest
from hypothesis import given, settings, strategies as st

from alkseq.report.json_text import dumps_indented
from conftest import ROOT


def stdlib(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", '"', "\\", "\n\t\r\b\f", "\x00\x1f\x7f", "\u2028\u2029", "é ü 中文 🧬", "</script>"])
_LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
           | st.floats(allow_nan=False, allow_infinity=False) | _TEXT)
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                       | st.dictionaries(_TEXT, inner, max_size=5), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_random_json_values_are_written_as_json_dumps_writes_them(value):
    assert dumps_indented(value) == stdlib(value)


class Level(IntEnum):
    A = 1


class Word(str):
    pass


@pytest.mark.parametrize("value", [
    {}, [], (), {"a": {}}, {"a": []}, [[[]]], 0, -0.0, 1e308, 5e-324, 2 ** 70, True, None, "",
    OrderedDict([("b", 1), ("a", 2)]), {"level": Level.A}, [Word("x")], {Word("k"): 1.5},
    {1: "int key", None: "none key", True: "bool key", 2.5: "float key"},   # json converts; so do we
])
def test_edge_values_match(value):
    assert dumps_indented(value) == stdlib(value)


@pytest.mark.parametrize("value", [math.nan, [math.inf], {"x": -math.inf}, {"s": {1, 2}}, [object()],
                                   {(1, 2): "tuple key"}])
def test_values_json_refuses_raise_what_json_raises(value):
    with pytest.raises((ValueError, TypeError)) as ours:
        dumps_indented(value)
    with pytest.raises((ValueError, TypeError)) as theirs:
        stdlib(value)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_a_circular_value_is_refused_as_json_refuses_it():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps_indented(loop)


def test_every_example_report_is_written_as_before():
    """The real documents: each shipped example's JSON, FHIR and Phenopacket documents, built by the
    writers' own functions, against ``json.dumps`` of the same data."""
    import alkseq
    from alkseq.report import fhir, json_writer, phenopacket

    inputs = sorted(p for p in (ROOT / "examples").rglob("*") if p.suffix in (".vcf", ".maf", ".tsv", ".xml")
                    and "samplesheet" not in p.name and "batch" not in p.parts)
    assert len(inputs) >= 5
    for path in inputs:
        reports = alkseq.annotate(path, prior=["alectinib"])
        for data in (json_writer.document(reports), fhir.to_bundle(reports),
                     [phenopacket.to_phenopacket(r) for r in reports]):
            assert dumps_indented(data) == stdlib(data), path
