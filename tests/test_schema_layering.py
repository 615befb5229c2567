"""What tests/test_architecture.py (arrows between detalka's own layers) does not see.

The schema holds types and calls use cases, so it never touches the ORM; the use cases know
nothing of how they are called, so they never touch strawberry or starlette; and schema/,
web/ and resolvers/ import at the top of a module, never inside a function (a lazy import
is how the schema's account <-> auth cycle used to hide). Read from the source, an import
under ``if TYPE_CHECKING:`` included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "detalka"


def top_level_imports(path: Path) -> set[str]:
    """The modules a module imports outside its functions, for the type checker or to run."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("schema", ("tortoise", "pypika_tortoise", "detalka.db")),
        ("resolvers", ("strawberry", "graphql", "starlette")),
    ],
)
def test_a_layer_keeps_away_from_the_libraries_of_other_layers(
    package: str, forbidden: tuple[str, ...]
) -> None:
    wrong = {
        (path.name, imported)
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for imported in top_level_imports(path)
        if _under(imported, forbidden)
    }
    assert wrong == set()


@pytest.mark.parametrize("package", ["schema", "web", "resolvers"])
def test_no_module_imports_inside_a_function(package: str) -> None:
    nested = {
        (path.name, node.lineno)
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert nested == set()
