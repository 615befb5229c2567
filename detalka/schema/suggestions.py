"""No "Did you mean ...?" in production: with introspection off, suggestions would still
spell the schema out one guess at a time.

graphql-core 3.3 can leave them out (``hide_suggestions``) in validation and in execution
(variable coercion); strawberry passes neither, so this module does: a cached validation
step and a schema whose execution asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    # The same rules strawberry's own validation adds (schema.validate_document).
    every_rule = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, every_rule, hide_suggestions=True)


class ValidationWithoutSuggestions(SchemaExtension):
    """strawberry's ``ValidationCache`` (256 documents), minus the suggestions."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, tuple(context.validation_rules)
        )
        yield


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
