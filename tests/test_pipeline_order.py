"""One order: read → normalise → phase → interpret. A spelling the ALK literature uses (1151Tins) and
its canonical form (T1151dup) must give the same analysis; compounds hold typed protein changes."""
from __future__ import annotations

import json

from alkseq.api import annotate
from alkseq.model import ProteinChange
from alkseq.report import json_writer


def _panel(tmp_path, folder, first):
    (tmp_path / folder).mkdir()
    path = tmp_path / folder / "panel.tsv"
    path.write_text("gene\tprotein_change\tvaf\n"
                    f"ALK\t{first}\t0.3\n"
                    "ALK\tG1202R\t0.2\n")
    return path


def _analysis(report) -> dict:
    data = json.loads(json_writer.render([report]))["samples"][0]
    data.pop("input")
    for finding in data["alterations"]:
        finding.pop("origin", None)
    return data


def test_1151tins_and_t1151dup_panels_give_identical_analyses(tmp_path):
    (spelled,) = annotate(_panel(tmp_path, "ins", "1151Tins"), ["alectinib"])
    (canonical,) = annotate(_panel(tmp_path, "dup", "T1151dup"), ["alectinib"])
    assert _analysis(spelled) == _analysis(canonical)
    for report in (spelled, canonical):
        (compound,) = report.compounds
        assert compound.names == ("T1151dup", "G1202R") and compound.phase == "unknown"
        assert all(isinstance(m, ProteinChange) for m in compound.mutations)
        assert any("unknown phase: the answer depends on whether they are in cis" in w for w in report.warnings)
        assert report.candidates
    # the spelling as read stays beside the canonical change
    (t1151,) = [f.alteration for f in spelled.findings if f.alteration.protein_change.short == "T1151dup"]
    assert t1151.protein_change.original == "1151insT"          # as read (parsed), before the HGVS 3′ rule
    (t1151_plain,) = [f.alteration for f in canonical.findings if f.alteration.protein_change.short == "T1151dup"]
    assert t1151_plain.protein_change.original is None
