"""Where the shipped reference data lives, the same way for wheel and editable installs."""
from __future__ import annotations

from pathlib import Path


def reference_dir() -> Path:
    """The ``reference/`` directory (package ``alkseq.reference`` once installed)."""
    try:
        from importlib.resources import files

        path = Path(str(files("alkseq.reference")))
        if (path / "manifest.yaml").is_file():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    # running from a source checkout that was never installed
    return Path(__file__).resolve().parents[2] / "reference"


def genome_dir() -> Path:
    return reference_dir() / "genome"
