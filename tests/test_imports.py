"""The package's import graph, read from the source with ``ast`` (lazy, function-level imports
counted): no module takes part in an import cycle, and the model depends on nothing of alkseq."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from … import`` names, relative imports resolved against ``package``."""
    base = node.module or ""
    if node.level:
        anchor = package
        for _ in range(node.level - 1):
            anchor = anchor.rpartition(".")[0]
        base = anchor + ("." + node.module if node.module else "")
    return base


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "alkseq").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module → the alkseq modules it imports anywhere in its body (top level or inside functions).

    ``from package import submodule`` is an edge to the submodule; importing ``a.b.c`` is not counted
    as importing the package ``a.b`` (its ``__init__`` runs, but that is the package's own business)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                targets = submodules if len(submodules) == len(node.names) else submodules + [base]
            else:
                continue
            for target in targets:
                if target == "alkseq" or target.startswith("alkseq."):
                    resolved = resolve(target)
                    if resolved and resolved != name:
                        graph[name].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_counting_lazy_imports():
    assert cycles(import_graph()) == []


def test_the_detector_sees_a_lazy_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    # function-level imports are edges: BatchResult.to_dicts imports the JSON writer lazily
    assert "alkseq.report.json_writer" in import_graph()["alkseq.batching"]


def test_model_depends_on_nothing_of_alkseq():
    graph = import_graph()
    assert graph["alkseq.model"] == set()
    assert graph["alkseq._version"] == set()


def test_version_has_one_home():
    import alkseq
    from alkseq._version import __version__

    assert alkseq.__version__ == __version__
    assert 'version = {attr = "alkseq._version.__version__"}' in (ROOT / "pyproject.toml").read_text()


def private_imports(modules: dict[str, Path] | None = None) -> list[str]:
    """``from alkseq.x import _name`` anywhere in the package (function-level too): a module reaching
    into another's underscore-private name. Dunders (``__version__``) are public by convention."""
    modules = modules or _modules()
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = _absolute(node, package)
            if not (base == "alkseq" or base.startswith("alkseq.")) or base == name:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not (alias.name.startswith("__") and alias.name.endswith("__")) \
                        and f"{base}.{alias.name}" not in modules:
                    found.append(f"{name} (line {node.lineno}): from {base} import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_name():
    assert private_imports() == []


def test_the_private_import_detector_sees_one(tmp_path):
    user, owner = tmp_path / "user.py", tmp_path / "owner.py"
    user.write_text("from alkseq.owner import __version__, public\n\n\ndef f():\n"
                    "    from alkseq.owner import _hidden\n    return _hidden\n")
    owner.write_text("__version__ = '1'\npublic = _hidden = 1\n")
    assert private_imports({"alkseq.user": user, "alkseq.owner": owner}) == [
        "alkseq.user (line 5): from alkseq.owner import _hidden"]


# --------------------------------------------------------------------------- start-up paths

PROBE = r"""
import json, sys
before = set(sys.modules)
from alkseq.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
finally:
    with open(sys.argv[1], "w") as out:
        json.dump(sorted(set(sys.modules) - before), out)
"""


def _imported(tmp_path, *args, env=None) -> set[str]:
    """Modules a real ``alkseq ARGS`` process imports beyond the interpreter's start-up."""
    import os
    import subprocess
    import sys

    listing = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(listing), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    assert done.returncode == 0, done.stderr
    import json

    return set(json.loads(listing.read_text()))


# what `--help` and a repeated `lookup` must never pay for: the model's dataclasses, the
# interpreter, the knowledge loader and row classes, the readers, pickle
HEAVY = ("alkseq.model", "alkseq.api", "alkseq.interpret", "alkseq.knowledge.loader",
         "alkseq.knowledge.kb", "alkseq.readers", "alkseq.genome", "dataclasses", "pickle")


def test_help_imports_click_and_the_error_tree_only(tmp_path):
    modules = _imported(tmp_path, "--help")
    assert not [m for m in modules if m.startswith(HEAVY)]
    assert not [m for m in modules if m.startswith("alkseq.knowledge")]


def test_a_repeated_lookup_is_answered_without_the_interpreter(tmp_path):
    env = {"ALKSEQ_CACHE_DIR": str(tmp_path / "cache")}
    first = _imported(tmp_path, "lookup", "G1202R", env=env)
    assert "alkseq.interpret" in first                 # computed, and its answer kept
    again = _imported(tmp_path, "lookup", "G1202R", env=env)
    assert not [m for m in again if m.startswith(HEAVY)], sorted(again)
    assert not {"hashlib", "pathlib"} & again          # the key: built-in SHA-256 and os.path


def test_every_dataclass_has_a_docstring():
    """``dataclasses`` makes a missing docstring from ``inspect.signature``, whose first use
    compiles tokenize's patterns (~6 ms of every start-up when a table or header class lacked one)."""
    missing = []
    for path in sorted((ROOT / "alkseq").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and ast.get_docstring(node) is None and any(
                    "dataclass" in ast.unparse(d) for d in node.decorator_list):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, missing
