"""The import graph of ``detalka/``: no cycles, and every arrow with the layer order.

Layers, top to bottom (DESIGN.md section 2; docs/decisions.md, "Packages and arrows"):

    cli                       the console script: starts any of the below
    web                       the HTTP edge; composes schema and jobs
    schema | jobs             entry layers, thin, side by side: neither imports the other
    resolvers                 the use cases, reads included
    reports | db | seed       the report writers; the ORM config; the demo data
    models                    tortoise models and the queries over them
    base                      periods, errors, clock, settings, passwords, phone, adapters

A module may import its own layer and any layer below, never one above or beside it. The
entry layers reach the database only through the resolvers: neither imports an ORM model,
a model-level query or a report (``detalka.models.enums``, plain values, is allowed).
Every import counts: at the top, inside a function, under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import detalka

# Layers from the bottom up; the layers of one rank may not import each other.
RANKS: list[set[str]] = [
    {"base"},
    {"models"},
    {"reports", "db", "seed"},
    {"resolvers"},
    {"schema", "jobs"},
    {"web"},
    {"cli"},
]
BASE = {"periods", "errors", "clock", "settings", "passwords", "phone", "adapters"}
ENTRY = {"schema", "jobs"}
PACKAGE = Path(detalka.__file__).parent


@dataclass(frozen=True)
class Arrow:
    importer: str
    imported: str
    path: Path
    line: int

    def __str__(self) -> str:
        where = f"{self.path.relative_to(PACKAGE.parent)}:{self.line}"
        return f"{self.importer} -> {self.imported} ({where})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def arrows_in(source: str, importer: str, path: Path, known: set[str]) -> Iterator[Arrow]:
    """Every import of a ``detalka`` module in ``source``, wherever it stands."""
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from detalka.resolvers import overview`` imports the module overview.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == "detalka" or target.startswith("detalka."):
                yield Arrow(importer, target, path, node.lineno)


def import_graph() -> list[Arrow]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return [
        arrow
        for path in paths
        for arrow in arrows_in(path.read_text(encoding="utf-8"), module_name(path), path, known)
    ]


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # detalka/__init__.py
    top = parts[1]
    if top in BASE:
        return "base"
    if top == "__main__":
        return "cli"
    return top


def rank_of(layer: str) -> int:
    return next(index for index, layers in enumerate(RANKS) if layer in layers)


def against_the_layers(arrow: Arrow) -> str | None:
    """Why an arrow breaks the layer order, or None when it keeps it."""
    importer, imported = layer_of(arrow.importer), layer_of(arrow.imported)
    if importer == imported:
        return None
    if rank_of(imported) > rank_of(importer):
        return f"{importer} may not import {imported}, a layer above it"
    if rank_of(imported) == rank_of(importer):
        return f"{importer} and {imported} sit side by side and may not import each other"
    if importer in ENTRY and (
        imported == "reports" or (imported == "models" and arrow.imported != "detalka.models.enums")
    ):
        return f"{importer} reaches the database through the resolvers, not {imported}"
    return None


def cycles(arrows: Iterable[Arrow]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for arrow in arrows:
        graph.setdefault(arrow.importer, set()).add(arrow.imported)
        graph.setdefault(arrow.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            group.append(node)
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_goes_against_the_layer_order() -> None:
    broken = [
        f"{arrow}: {reason}" for arrow in import_graph() if (reason := against_the_layers(arrow))
    ]
    assert not broken, "imports against the layer order:\n" + "\n".join(broken)


def a_loop(group: list[str], arrows: Iterable[Arrow]) -> list[Arrow]:
    """One shortest way round a cycle group, from its first module back to it."""
    inside = [a for a in arrows if a.importer in group and a.imported in group]
    paths: dict[str, list[Arrow]] = {group[0]: []}
    frontier = [group[0]]
    while frontier:
        following = []
        for module in frontier:
            for arrow in inside:
                if arrow.importer == module and arrow.imported == group[0]:
                    return [*paths[module], arrow]
                if arrow.importer == module and arrow.imported not in paths:
                    paths[arrow.imported] = [*paths[module], arrow]
                    following.append(arrow.imported)
        frontier = following
    raise AssertionError(f"no loop in {group}")


def test_no_modules_import_each_other_in_a_cycle() -> None:
    arrows = import_graph()
    found = cycles(arrows)
    assert not found, "import cycles:\n" + "\n".join(
        "  " + "\n  ".join(map(str, a_loop(group, arrows))) for group in found
    )


def test_imports_inside_functions_and_under_type_checking_count() -> None:
    # given a module that imports only inside a function and under TYPE_CHECKING
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from detalka.schema import context\n"
        "def later():\n"
        "    from detalka.web.app import create_app\n"
        "    import detalka.jobs.app\n"
        "from . import build\n"
    )
    path = PACKAGE / "reports" / "example.py"
    known = {"detalka.schema.context", "detalka.reports.build"}
    # when its arrows are read
    arrows = sorted(arrows_in(source, "detalka.reports.example", path, known), key=lambda a: a.line)
    # then each one is there, and those upwards break the layers
    assert [(a.imported, a.line, against_the_layers(a)) for a in arrows] == [
        ("detalka.schema.context", 3, "reports may not import schema, a layer above it"),
        ("detalka.web.app", 5, "reports may not import web, a layer above it"),
        ("detalka.jobs.app", 6, "reports may not import jobs, a layer above it"),
        ("detalka.reports.build", 7, None),
    ]


def test_an_arrow_added_against_the_layers_or_closing_a_loop_is_caught() -> None:
    # given today's graph and two new arrows: the reports calling a use case, and the
    # schema and the jobs importing each other
    path = PACKAGE / "reports" / "build.py"
    added = [
        Arrow("detalka.reports.build", "detalka.resolvers.overview", path, 1),
        Arrow("detalka.jobs.actors", "detalka.schema.orders", path, 1),
        Arrow("detalka.models.orders", "detalka.models.account", path, 1),
        Arrow("detalka.models.account", "detalka.models.orders", path, 1),
    ]
    # when the checks run, then each is named
    assert against_the_layers(added[0]) == "reports may not import resolvers, a layer above it"
    assert against_the_layers(added[1]) == (
        "jobs and schema sit side by side and may not import each other"
    )
    assert ["detalka.models.account", "detalka.models.orders"] in cycles([*import_graph(), *added])


def test_the_graph_is_read_whole() -> None:
    arrows = {(a.importer, a.imported) for a in import_graph()}
    # a top-level import, one inside a function, one of a module named in ``from X import m``
    assert ("detalka.web.app", "detalka.jobs.app") in arrows
    assert ("detalka.reports.formats", "detalka.reports.render_pdf") in arrows
    assert ("detalka.jobs.actors", "detalka.resolvers.rendering") in arrows


def test_a_worker_rendering_csv_loads_neither_the_api_nor_the_other_formats() -> None:
    # given a fresh interpreter that loads the jobs as ``detalka worker`` does
    program = (
        "import sys\n"
        "from detalka.jobs.app import Jobs\n"
        "from detalka.models.enums import ReportFormat\n"
        "from detalka.reports.formats import renderer_for\n"
        "renderer_for(ReportFormat.CSV)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    # when it picks the CSV writer
    loaded = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    # then reportlab, openpyxl, strawberry and starlette stay unloaded (lazy formats, and
    # jobs never import the schema or the web layer)
    assert "'detalka'" in loaded
    for heavy in ("reportlab", "openpyxl", "strawberry", "starlette"):
        assert f"'{heavy}'" not in loaded, heavy
