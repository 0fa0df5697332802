"""Print the import cycles among the project's modules and the imports that break the layers.

Every import counts, module-level or inside a function (a lazy import is still a dependency).
Usage: python scripts/import_graph.py  (exit 1 when a cycle or a layer break is found)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOTS = ("minimax_agent", "tools", "quantize")
# Libraries that must never import the application package (ARCHITECTURE.md, "Layers").
LIBRARIES = ("tools", "quantize")


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            # The longest known module that the target names (an attribute import names its module).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative enough here)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    sys.setrecursionlimit(10000)

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def main() -> int:
    files = [p for root in ROOTS for p in sorted(Path(root).rglob("*.py"))]
    known = {module_name(p) for p in files}
    graph = {module_name(p): imports_of(p, module_name(p), known) for p in files}
    # A package's __init__ importing its own children is not a cycle worth reporting on its own:
    # count only edges between modules, and packages only as the modules they are.
    found = cycles(graph)
    breaks = sorted(
        f"{src} -> {dst}"
        for src, dsts in graph.items()
        for dst in dsts
        if src.split(".")[0] in LIBRARIES and dst.split(".")[0] == "minimax_agent"
    )
    for component in found:
        print("cycle:", " <-> ".join(component))
    for line in breaks:
        print("layer break:", line)
    print(f"{len(found)} import cycles, {len(breaks)} library imports of minimax_agent")
    return 1 if found or breaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
