"""No "Did you mean ...?" in production: with introspection off, suggestions would still
spell the schema out one guess at a time.

graphql-core 3.3 can leave them out (``hide_suggestions``) in validation and in execution
(variable coercion); strawberry passes neither: validation is ``schema/guard.py``'s
``CachedValidation``, and this schema's execution asks for it.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from detalka.schema.error_codes import log_errors


class Schema(strawberry.Schema):
    """A strawberry schema whose execution can leave suggestions out of its errors, and
    whose synchronous execution (tests, tooling; never a request) leaves out the extensions
    that must await (``async_only``: the query cost's bucket store), which strawberry
    would otherwise refuse to run at all."""

    hide_suggestions = False

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        extensions = super().get_extensions(sync=sync)
        return [e for e in extensions if not (sync and getattr(e, "async_only", False))]

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        if self.hide_suggestions:
            kwargs["hide_suggestions"] = True
        return kwargs

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # strawberry logs every error with its traceback (3.3 KB for a rejected ID).
        log_errors(errors)
