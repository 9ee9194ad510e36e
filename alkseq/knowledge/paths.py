"""Where the shipped reference data lives: one function for wheel, editable and source runs.

The wheel ships ``reference/`` as ``alkseq/reference`` (pyproject package-dir); an editable
install or a plain checkout finds it at the repository root beside ``alkseq/``.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def reference_dir() -> Path:
    installed = _PACKAGE / "reference"
    if (installed / "manifest.yaml").is_file():
        return installed
    return _PACKAGE.parent / "reference"


def genome_dir() -> Path:
    return reference_dir() / "genome"
