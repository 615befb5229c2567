"""Modules a reader can hold in mind, functions of a screen or less (STYLE.md, issue 10).

A module over ``MAX_MODULE_LINES`` (migrations aside) or a function over
``MAX_FUNCTION_LINES`` fails, unless the lines just above the function's ``def`` (or its
decorators) carry a ``# long: <reason>`` comment: a long function must say why it is long.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "detalka"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _has_reason(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    above = lines[max(0, first - 4) : first - 1]
    return any(line.strip().startswith("# long:") for line in above)


def long_functions(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _has_reason(lines, node):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    return found


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    too_long = [
        f"{p.relative_to(PACKAGE.parent)}: {n} lines"
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_function_is_longer_than_a_screen_without_saying_why() -> None:
    too_long = [f for p in _modules() for f in long_functions(p)]
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines without '# long:': {too_long}"


def test_the_size_check_sees_a_long_function_and_honours_a_reason(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    probe = tmp_path / "probe.py"
    probe.write_text(f"def f() -> None:\n{body}\n", encoding="utf-8")
    assert long_functions(probe, tmp_path) == ["probe.py:1 f"]
    probe.write_text(f"# long: a table, one line per row\ndef f() -> None:\n{body}\n")
    assert long_functions(probe, tmp_path) == []
