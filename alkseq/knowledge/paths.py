"""Where the shipped reference data lives: one function for wheel, editable and source runs.

The wheel ships ``reference/`` as ``alkseq/reference`` (pyproject package-dir); an editable
install or a plain checkout finds it at the repository root beside ``alkseq/``.
Plain ``os.path`` inside: a repeated ``alkseq lookup`` finds its answer without pathlib.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def reference_root() -> str:
    installed = os.path.join(_PACKAGE, "reference")
    if os.path.isfile(os.path.join(installed, "manifest.yaml")):
        return installed
    return os.path.join(os.path.dirname(_PACKAGE), "reference")


def reference_dir() -> Path:
    from pathlib import Path

    return Path(reference_root())


def genome_dir() -> Path:
    return reference_dir() / "genome"
