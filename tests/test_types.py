"""The model's Literal types are the ones its fields carry, and readers stay inside them (mypy checks
the typed core in .ci/run; these check what a type checker cannot see: data tables and run time)."""
from __future__ import annotations

import typing

from alkseq import model
from alkseq.api import annotate
from alkseq.readers import panel


def test_fields_carry_the_literals():
    assert typing.get_type_hints(model.Alteration)["kind"] == model.AlterationKind
    assert typing.get_type_hints(model.Finding)["role"] == model.Role
    assert typing.get_type_hints(model.Compound)["phase"] == model.Phase


def test_the_panel_reader_emits_only_model_kinds():
    kinds = set(typing.get_args(model.AlterationKind))
    assert {kind for _pattern, kind, _label in panel._WORD_PATTERNS} <= kinds


def test_an_emt_finding_from_a_panel_still_matches_its_mechanism(tmp_path):
    path = tmp_path / "emt.tsv"
    path.write_text("gene\talteration\n\tEMT\n")
    (report,) = annotate(path, ["lorlatinib"])
    (finding,) = report.findings
    assert finding.alteration.kind in typing.get_args(model.AlterationKind)
    assert finding.mechanism == "emt"
