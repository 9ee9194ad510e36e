"""alkseq: what next for ALK-positive lung cancer progressing on an ALK TKI (research use only).

Public API (heavy libraries load lazily, on first use):
    annotate(path_or_dataframe, prior=[...], bam=..., build=..., sample=...) -> Reports
    batch(samplesheet_or_dataframe, ...) -> BatchResult
    lookup("G1202R+L1196M", prior=[...]) -> Report
    load_knowledge() -> KnowledgeBase
"""
from __future__ import annotations

from alkseq._version import __version__

__all__ = ["__version__", "annotate", "lookup", "load_knowledge", "batch"]


def __getattr__(name: str):
    if name in ("annotate", "lookup"):
        from alkseq import api
        return getattr(api, name)
    if name == "batch":
        from alkseq.batching import batch
        return batch
    if name == "load_knowledge":
        from alkseq.knowledge import load_knowledge
        return load_knowledge
    raise AttributeError(name)
