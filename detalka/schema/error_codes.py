"""Every top-level error leaves with a ``RequestErrorCode``; production hides a bug's text.

One schema extension does both for every transport: HTTP responses and every WebSocket frame
(the first result of a subscription and each event after it) pass through it. An error raised
with a code keeps it; a syntax error is GRAPHQL_PARSE_FAILED; an error with no path is the
request's (validation, variable coercion): GRAPHQL_VALIDATION_FAILED; anything else failed
while resolving a field and raised no code of its own, so it is a bug: INTERNAL_SERVER_ERROR,
and in production its message, which may leak internals, becomes "Unexpected error.".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from detalka.errors import RequestErrorCode
from detalka.schema.ids import BAD_ID_MESSAGE, is_bad_global_id

MASKED_MESSAGE = "Unexpected error."
log = logging.getLogger("detalka.graphql")


def code_of(error: GraphQLError) -> RequestErrorCode | str:
    """The code an error leaves with (one it was raised with wins, also when graphql-core
    wrapped it: a scalar refusing a variable's value, schema/inputs.py)."""
    given = (error.extensions or {}).get("code")
    if given:
        return str(given)
    original = error.original_error
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return str((original.extensions or {})["code"])
    if is_bad_global_id(error):
        return RequestErrorCode.BAD_ID
    if isinstance(error, GraphQLSyntaxError):
        return RequestErrorCode.GRAPHQL_PARSE_FAILED
    if error.path is None:
        return RequestErrorCode.GRAPHQL_VALIDATION_FAILED
    return RequestErrorCode.INTERNAL_SERVER_ERROR


def coded(error: GraphQLError, *, mask: bool) -> GraphQLError:
    """The error with its code in ``extensions``; masked when it is a bug and ``mask``."""
    code = code_of(error)
    if code == RequestErrorCode.BAD_ID and is_bad_global_id(error):
        # strawberry's message echoes the ID; ours names no input.
        return GraphQLError(
            BAD_ID_MESSAGE, error.nodes, path=error.path, extensions={"code": str(code)}
        )
    if mask and code == RequestErrorCode.INTERNAL_SERVER_ERROR:
        return GraphQLError(
            MASKED_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": str(code)},
        )
    error.extensions = {**(error.extensions or {}), "code": str(code)}
    return error


def log_errors(errors: list[GraphQLError]) -> None:
    """One line per error, with the request id the log formatter adds: INFO for what the
    client did (a refused request, a rule it broke), ERROR with the traceback for a bug.
    Neither writes the client's input (values, the document) to the log."""
    for error in errors:
        code = code_of(error)
        where = ".".join(str(p) for p in error.path or ()) or "-"
        if code == RequestErrorCode.INTERNAL_SERVER_ERROR:
            cause = error.original_error or error
            log.error(
                "bug at %s: %s",
                where,
                type(cause).__name__,
                exc_info=(type(cause), cause, cause.__traceback__),
                extra={"code": str(code), "path": where},
            )
        else:
            log.info("refused %s at %s", code, where, extra={"code": str(code), "path": where})


class CodedErrors(SchemaExtension):
    """Codes (and in production masks) the errors of every result, as strawberry's
    ``MaskErrors`` does, which it replaces: masking needs the code decided first."""

    def __init__(self, *, mask: bool) -> None:
        self.mask = mask
        self._streamed = False

    def _process(self, result: Any) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [coded(e, mask=self.mask) for e in errors]

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._process(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        self._process(result)
        yield None
