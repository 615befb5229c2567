"""The API's layers point one way: web -> schema -> resolvers -> models (DESIGN.md section 2).

Read from the source, not from a running import; an import for the type checker only
(under ``if TYPE_CHECKING:``) counts too. The schema takes nothing from the models but their
enums: the rows a use case returns it names through the resolver module that returns them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "detalka"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, those under ``if TYPE_CHECKING:`` included."""
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            yield from [*node.body, *node.orelse]
            continue
        yield node


def imports(path: Path) -> set[str]:
    """The modules a module imports at its top level, for the type checker or to run."""
    found: set[str] = set()
    for node in _statements(ast.parse(path.read_text()).body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if _is_module(submodule) else node.module)
    return found


def modules_of(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((PACKAGE / package).rglob("*.py"))}


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # The schema holds types and calls use cases: no ORM, no jobs, nothing of web.
        ("schema", ("tortoise", "detalka.jobs", "detalka.web", "detalka.db")),
        # Use cases know nothing of how they are called.
        ("resolvers", ("detalka.schema", "detalka.web", "strawberry", "starlette")),
    ],
)
def test_a_layer_imports_nothing_above_it_or_beside_its_calls(
    package: str, forbidden: tuple[str, ...]
) -> None:
    wrong = {
        (module, imported)
        for module, path in modules_of(package).items()
        for imported in imports(path)
        if _under(imported, *forbidden)
    }
    assert wrong == set()


def test_the_schema_takes_only_enums_from_the_models() -> None:
    wrong = {
        (module, imported)
        for module, path in modules_of("schema").items()
        for imported in imports(path)
        if _under(imported, "detalka.models") and imported != "detalka.models.enums"
    }
    assert wrong == set()


@pytest.mark.parametrize("package", ["schema", "web", "resolvers"])
def test_a_package_has_no_import_cycle_and_no_import_inside_a_function(package: str) -> None:
    modules = modules_of(package)
    graph = {
        name: {i for i in imports(path) if i in modules and i != name}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []
    nested = {
        (name, node.lineno)
        for name, path in modules.items()
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert nested == set()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import path that comes back to where it started (depth first)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            found.append([*path[path.index(name) :], name])
            return
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
