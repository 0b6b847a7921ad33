"""No two modules of the local booth import each other, not even from inside a function: a circle makes the first
import's order matter (a name not yet defined when the other module asks for it) and hides which module owns what.
"""

from __future__ import annotations

import ast
from pathlib import Path

import photobooth

PACKAGE = Path(photobooth.__file__).parent


def _imports(source: str) -> set[str]:
    """Every ``photobooth`` module (or name in one) a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("photobooth"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("photobooth"))
    return found


def _module_graph() -> dict[str, set[str]]:
    modules = {
        ".".join(("photobooth", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): path
        for path in PACKAGE.rglob("*.py")
    }
    return {name: _imports(path.read_text()) & modules.keys() - {name} for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle found by a depth-first walk, as the path that closes it."""
    circles: list[list[str]] = []
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in path:
                circles.append([*path[path.index(target) :], target])
            elif target not in done:
                walk(target, [*path, target])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            walk(name, [name])
    return circles


def test_the_local_booths_modules_import_no_circle():
    graph = {name: targets for name, targets in _module_graph().items() if name.startswith("photobooth.local")}
    local_graph = {name: {t for t in targets if t in graph} for name, targets in graph.items()}

    assert _circles(local_graph) == []


def test_the_check_sees_a_circle_through_a_function_level_import():
    assert _circles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    source = "def later():\n    from photobooth.local.engine import REGION\n"
    assert "photobooth.local.engine" in _imports(source)
