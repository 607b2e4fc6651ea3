"""Imports run one way: ``connections`` imports nothing from ``coverage``, no module cycle, no hidden import.

The tool is the standard library's ``ast``: every ``.py`` file of the project's own packages
(``connections``, ``coverage``, ``ownerhub``; migrations left out) is parsed, and each
``import``/``from ... import`` of a project module becomes an edge of the import graph. The
graph is then checked for a back edge from ``connections`` into ``coverage``, for cycles
between modules (Tarjan's strongly connected components), and for imports of project modules
written inside a function (the way a cycle is usually hidden). The one place Django asks for a
late import, an ``AppConfig.ready`` in an ``apps`` module, is the exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("connections", "coverage", "ownerhub")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


MODULES = _sources()


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The project modules an import statement loads (the most specific one that exists)."""
    is_package = MODULES[importer].name == "__init__.py"
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _resolve(importer, is_package, node)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    targets = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != importer:
            targets.append(name)
    return targets


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    """(module -> project modules it imports at module level, function-local project imports)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    hidden = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        functions = [
            n for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and not (name.endswith(".apps") and n.name == "ready")
        ]
        local = {id(n) for f in functions for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = _targets(name, node)
            if id(node) in local:
                hidden += [f"{name}:{node.lineno} imports {t} inside a function" for t in targets]
            elif not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                graph[name].update(targets)
    return graph, hidden


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
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


GRAPH, HIDDEN = _imports()


def test_the_graph_sees_the_project():
    assert "coverage.pipeline.live" in GRAPH["coverage.pipeline"]
    assert "connections.models" in GRAPH["coverage.pipeline.live"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_connections_imports_nothing_from_coverage():
    back = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] == "connections"
        for target in targets
        if target.split(".")[0] == "coverage"
    )
    back += [h for h in HIDDEN if h.startswith("connections") and " coverage" in h]
    assert back == []


def test_no_import_cycle_between_modules():
    assert _cycles(GRAPH) == []


def test_no_project_module_is_imported_inside_a_function():
    assert HIDDEN == []
