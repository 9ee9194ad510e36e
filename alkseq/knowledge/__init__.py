"""Curated knowledge: schema, loader and validator → an immutable ``KnowledgeBase``.

The names load on first use: ``alkseq.knowledge.cache`` (what a repeated ``alkseq lookup``
needs) must not pay for the loader and the schema, nor ``load_knowledge`` on a cache hit
(``access.py``) for the loader.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alkseq.knowledge.kb import KnowledgeBase
    from alkseq.knowledge.access import load_knowledge
    from alkseq.knowledge.loader import knowledge_warnings, validate_knowledge

__all__ = ["KnowledgeBase", "knowledge_warnings", "load_knowledge", "validate_knowledge"]


def __getattr__(name: str):
    if name == "KnowledgeBase":
        from alkseq.knowledge.kb import KnowledgeBase
        return KnowledgeBase
    if name == "load_knowledge":
        from alkseq.knowledge.access import load_knowledge
        return load_knowledge
    if name in ("knowledge_warnings", "validate_knowledge"):
        from alkseq.knowledge import loader
        return getattr(loader, name)
    raise AttributeError(f"module 'alkseq.knowledge' has no attribute {name!r}")
