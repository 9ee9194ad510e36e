"""Curated knowledge: schema, loader and validator → an immutable ``KnowledgeBase``."""
from alkseq.knowledge.kb import KnowledgeBase
from alkseq.knowledge.loader import knowledge_warnings, load_knowledge, validate_knowledge

__all__ = ["KnowledgeBase", "knowledge_warnings", "load_knowledge", "validate_knowledge"]
