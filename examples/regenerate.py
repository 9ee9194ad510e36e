"""Regenerate every example's expected outputs with the current code and knowledge.

Run from the repository root after a deliberate change: python examples/regenerate.py
Review the diff of examples/*/expected.json before committing it. Each case gets
expected.json, report.txt and report.html (self-contained: open it in a browser offline).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(case: dict, fmt: str, output: Path) -> None:
    cmd = [sys.executable, "-m", "alkseq", "annotate", case["input"], *case["args"],
           "--format", fmt, "-o", str(output)]
    subprocess.run(cmd, cwd=ROOT, check=True)


def main() -> None:
    cases = yaml.safe_load((ROOT / "examples" / "cases.yaml").read_text())
    for case in cases:
        out_dir = ROOT / "examples" / "expected" / case["name"]
        out_dir.mkdir(parents=True, exist_ok=True)
        run(case, "json", out_dir / "expected.json")
        run(case, "text", out_dir / "report.txt")
        run(case, "html", out_dir / "report.html")
        print("regenerated", out_dir.relative_to(ROOT))


if __name__ == "__main__":
    main()
