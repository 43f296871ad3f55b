"""The statistics package stays layered: no import cycle, no module over 600 lines, no private import.

The import graph is read from the source with :mod:`ast`, so imports inside functions and under
``if TYPE_CHECKING:`` count as edges too (a cycle hidden there is still a cycle for the reader). An
edge goes to the module named in the import, or to the submodule when ``from .pkg import name`` names a
submodule; importing ``pkg.sub`` does not count as importing ``pkg/__init__``. The checks take a package
directory and its dotted name, so they can be pointed at all of ``src/exonu``.

Fully qualified docstring cross-references to ``exonu.stats`` (``:func:`~exonu.stats.x.y``` and the
like) must resolve to an existing module attribute, so moved names cannot leave dangling references.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import exonu.stats

STATS = Path(exonu.stats.__file__).parent
MAX_LINES = 600
#: cross-references that another branch owns the fix of (file relative to stats/, reference)
KNOWN_STALE_REFERENCES: set[tuple[str, str]] = set()


def module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name → file of every module under ``root`` (the package ``package``)."""
    return {module_name(p, root, package): p for p in sorted(root.rglob("*.py"))}


def imports(path: Path, name: str, known: set[str]) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import statement of a module, at any depth."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = node.module or "" if node.level == 0 else ".".join(p for p in (base, node.module) if p)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, "", node.lineno) if sub in known else (target, alias.name, node.lineno))
    return out


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module → the modules of the package it imports (anywhere in its body)."""
    mods = modules(root, package)
    known = set(mods)
    return {
        name: {target for target, _, _ in imports(path, name, known) if target in known and target != name}
        for name, path in mods.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, …, a], or None (depth-first search with colours)."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if colour[nxt] == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if colour[nxt] == 0 and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if colour[start] == 0 and (cycle := visit(start)):
            return cycle
    return None


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_local_and_type_checking_imports_are_edges(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import x\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert find_cycle(graph) is not None


def test_no_import_cycle_in_stats():
    cycle = find_cycle(import_graph(STATS, "exonu.stats"))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(modules(STATS, "exonu.stats")))
def test_module_size(name):
    n_lines = len(modules(STATS, "exonu.stats")[name].read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{name} has {n_lines} lines (at most {MAX_LINES}): split it along the data's path"


def is_private(target: str, imported: str) -> bool:
    return imported.startswith("_") or any(part.startswith("_") for part in target.split("."))


def test_no_private_name_imported_across_modules():
    mods = modules(STATS, "exonu.stats")
    known = set(mods)
    bad = [
        f"{name}:{line} imports {target}.{imported}"
        for name, path in mods.items()
        for target, imported, line in imports(path, name, known)
        if target.startswith("exonu")
        and (imported.startswith("_") or any(p.startswith("_") for p in target.split(".")))
    ]
    assert not bad, bad


REFERENCE = re.compile(r":(?:func|class|mod|meth|attr|data|obj):`~?(exonu\.stats[\w.]*)`")


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_resolver_rejects_a_moved_name():
    assert resolves("exonu.stats.limits.plr.plr_upper_limit")
    assert not resolves("exonu.stats.limits.plr.no_such_function")


def test_docstring_references_resolve():
    dangling = [
        f"{path.relative_to(STATS)}: {ref}"
        for path in sorted(STATS.rglob("*.py"))
        for ref in REFERENCE.findall(path.read_text(encoding="utf-8"))
        if (str(path.relative_to(STATS)), ref) not in KNOWN_STALE_REFERENCES and not resolves(ref)
    ]
    assert not dangling, dangling
