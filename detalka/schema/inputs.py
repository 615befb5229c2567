"""Strings as they arrive, checked once for what no argument may hold.

Every string a client sends, in a variable or written in the document, is refused with
BAD_USER_INPUT before execution when it holds a NUL (PostgreSQL text cannot store one),
a lone surrogate (not UTF-8: every encoder on the way fails on it) or more than
``MAX_STRING_CHARS`` characters (the longest legitimate argument, an email address, is
254). Arguments with a shorter bound of their own check it where they are read
(:func:`bounded`). The message names the variable, never the value.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor

from detalka.errors import RequestErrorCode
from detalka.schema.limits import MAX_STRING_CHARS


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": RequestErrorCode.BAD_USER_INPUT.value})


def _problem(text: str, limit: int = MAX_STRING_CHARS) -> str | None:
    if len(text) > limit:
        return f"длиннее {limit} символов"
    if "\x00" in text:
        return "содержит нулевой символ"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "содержит непарный суррогат (не UTF-8)"
    return None


def bounded(text: str, limit: int, argument: str) -> str:
    """``text`` when it passes the checks with a bound of ``limit`` characters."""
    problem = _problem(text, limit)
    if problem is not None:
        raise bad_input(f"Аргумент {argument} {problem}.")
    return text


def _first_problem(value: Any, path: str) -> str | None:
    # Iterative: a variable nested 10,000 deep must not exhaust the stack.
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            problem = _problem(item)
            if problem is not None:
                return f"Переменная {where} {problem}."
        elif isinstance(item, dict):
            pending.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return None


def variables_error(variables: dict[str, Any] | None) -> GraphQLError | None:
    for name, value in (variables or {}).items():
        problem = _first_problem(value, f"${name}")
        if problem is not None:
            return bad_input(problem[:200])
    return None


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        problem = _problem(node.value)
        if problem is not None:
            self.problem = f"Строка в запросе {problem}."
            return self.BREAK
        return None


def literal_error(document: DocumentNode) -> GraphQLError | None:
    literals = _Literals()
    visit(document, literals)
    return None if literals.problem is None else bad_input(literals.problem)
