"""Interpretation: alterations × knowledge × clinical context → ranked candidates. No I/O."""
from alkseq.interpret.engine import interpret, lookup_report

__all__ = ["interpret", "lookup_report"]
