"""The package's shape, checked: no import cycles, small modules, layers that point one way.

A reader finds where a behaviour lives from the tree alone only while these hold; see
docs/ARCHITECTURE.md for the layers.
"""

from __future__ import annotations

import ast
import pathlib

import moto_iotjobs

PACKAGE = pathlib.Path(moto_iotjobs.__file__).parent
MAX_LINES = 500


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: pathlib.Path, modules: set[str]) -> set[str]:
    """Package modules a module imports at run time (anywhere but `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    graph = {}
    for name, path in paths.items():
        # importing a.b.c runs a/__init__ and a/b/__init__ first: those edges are not cycles
        graph[name] = {m for m in _imports(path, modules) if m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def test_no_import_cycles():
    graph = {k: {m for m in v if not k.startswith(m + ".")} for k, v in _graph().items()}
    assert _cycles(graph) == []


def test_no_module_over_the_size_limit():
    big = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}


def test_the_protocol_layer_knows_no_service():
    """protocol/ is generic: it must not import a service, MQTT, or the moto wiring above it."""
    graph = _graph()
    offenders = {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("moto_iotjobs.protocol")
        for target in targets
        if target.startswith(("moto_iotjobs.services", "moto_iotjobs.mqtt"))
    }
    assert offenders == set()
