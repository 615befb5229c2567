"""One ordered pipeline every GraphQL document passes before it runs, cheapest check first.

1. the request body (HTTP) or message (WebSocket) size: ``web/limits.py``, before it is read;
2. the document's length in characters, before the lexer sees it (REQUEST_TOO_LARGE);
3. its lexical tokens and comments: graphql-core's parser stops counting past the limit
   (REQUEST_TOO_LARGE), or a syntax error (GRAPHQL_PARSE_FAILED);
4. depth, aliases and fields of the expanded operation, each fragment measured once
   (``schema/shape.py``; QUERY_TOO_COMPLEX) - before validation, whose rules walk fragments;
5. validation (graphql-core's rules, suggestions hidden in production), cached;
6. ``after_validation`` checks: the slot for the query cost of aggregators
   (``schema/cost.py``), which needs a validated document to look its fields up.
Each refusal is one coded error and no ``data``; the whole pipeline for a refused document
is a few milliseconds (bench/edge_limits.py). Steps 2-5 are cached per document text in a
cache bounded by characters (``QueryLimits.cache_chars``), validation results included, so
no other cache keeps a document alive.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.execution import ExecutionContext, PreExecutionError

from detalka.errors import RequestErrorCode
from detalka.schema.inputs import literal_error, variables_error
from detalka.schema.limits import LIMITS, QueryLimits
from detalka.schema.shape import OverLimit, measure_operations
from detalka.schema.suggestions import Schema as SuggestionsSchema

# A check run on a validated document before execution: an error refuses the request.
PreExecutionCheck = Callable[[ExecutionContext], GraphQLError | None]
_TOKENS_PREFIX = "Document contains more than"  # graphql-core's message for both counts


def refusal(code: RequestErrorCode, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value})


@dataclass
class Prepared:
    """A document text's fate: its AST, or the error that refused it; validation by rules."""

    document: DocumentNode | None
    error: GraphQLError | None = None
    validation: dict[tuple[type, ...], list[GraphQLError]] = field(default_factory=dict)


class DocumentCache:
    """Least recently used documents, bounded by the characters of their text."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, query: str) -> Prepared | None:
        found = self._entries.get(query)
        if found is not None:
            self._entries.move_to_end(query)
        return found

    def put(self, query: str, prepared: Prepared) -> None:
        if len(query) > self.max_chars or query in self._entries:
            return
        self._entries[query] = prepared
        self.chars += len(query)
        while self.chars > self.max_chars:
            evicted, _ = self._entries.popitem(last=False)
            self.chars -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class Guard:
    """Steps 2-4 of the pipeline, and the cache of their outcome."""

    def __init__(self, limits: QueryLimits = LIMITS) -> None:
        self.limits = limits
        self.cache = DocumentCache(limits.cache_chars)
        self.after_validation: list[PreExecutionCheck] = []

    def prepare(self, query: str) -> Prepared:
        if len(query) > self.limits.document_chars:  # before hashing 10 MB for the cache
            return Prepared(
                None, refusal(RequestErrorCode.REQUEST_TOO_LARGE, _too_long(self.limits))
            )
        found = self.cache.get(query)
        if found is None:
            found = self._prepare(query)
            self.cache.put(query, found)
        return found

    def _prepare(self, query: str) -> Prepared:
        limits = self.limits
        if count_tokens(query) > limits.tokens:  # ~30 times cheaper than lexing them
            return Prepared(None, refusal(RequestErrorCode.REQUEST_TOO_LARGE, _too_many(limits)))
        try:
            document = parse(query, max_lexical_tokens=limits.tokens, max_comments=limits.comments)
        except GraphQLSyntaxError as error:
            if _TOKENS_PREFIX in error.message:
                return Prepared(
                    None, refusal(RequestErrorCode.REQUEST_TOO_LARGE, _too_many(limits))
                )
            return Prepared(None, error)
        return Prepared(document, self._shape_error(document) or literal_error(document))

    def _shape_error(self, document: DocumentNode) -> GraphQLError | None:
        try:
            measure_operations(document, self.limits)
        except OverLimit as over:
            return refusal(
                RequestErrorCode.QUERY_TOO_COMPLEX,
                f"Запрос слишком сложный: {_WHAT[over.what]} больше {over.limit} "
                "(с раскрытыми фрагментами). Разделите его на несколько.",
            )
        return None


_WHAT = {
    "nesting": "вложенность",
    "depth": "глубина",
    "aliases": "псевдонимов",
    "fields": "полей",
    "repeats": "одинаковых полей на одном уровне",
}


def count_tokens(query: str) -> int:
    """GraphQL's lexical tokens in ``query``, counted by one regular expression: a string
    is one token, a comment none. The parser's own count stays the exact bound."""
    return sum(1 for match in _TOKEN.finditer(query) if match.lastgroup != "comment")


_TOKEN = re.compile(
    r'(?P<block>"""(?:\\"""|[^"]|"(?!""))*""")|(?P<string>"(?:\\.|[^"\\\n])*")'
    r"|(?P<comment>#[^\n\r]*)|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r"|(?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(?P<punct>\.\.\.|[!$&()\[\]{}:=@|])"
)


def _too_many(limits: QueryLimits) -> str:
    return (
        f"В запросе больше {limits.tokens} лексем или {limits.comments} комментариев. "
        "Разделите его на несколько."
    )


def _too_long(limits: QueryLimits) -> str:
    return f"Запрос длиннее {limits.document_chars} символов. Разделите его на несколько."


class Schema(SuggestionsSchema):
    """A schema whose documents pass the guard before strawberry parses or validates them."""

    def __init__(self, *args: Any, limits: QueryLimits = LIMITS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = Guard(limits)

    def _guarded(self, context: ExecutionContext) -> PreExecutionError | None:
        error = None
        if context.graphql_document is None and isinstance(context.query, str):
            prepared = self.guard.prepare(context.query)
            error = prepared.error
            context.graphql_document = prepared.document
        error = error or variables_error(context.variables) or _unnamed_choice(context)
        if error is None:
            return None
        context.pre_execution_errors = [error]
        return PreExecutionError(data=None, errors=[error])

    async def _prepare_operation_async(
        self, context: ExecutionContext, extensions_runner: Any
    ) -> PreExecutionError | None:
        refused = self._guarded(context)
        if refused is not None:
            return refused
        prepared: PreExecutionError | None = await super()._prepare_operation_async(
            context, extensions_runner
        )
        return prepared

    def _prepare_operation_sync(self, context: ExecutionContext, extensions_runner: Any) -> Any:
        refused = self._guarded(context)
        if refused is not None:
            self._process_errors(refused.errors or [], context)
            return refused
        return super()._prepare_operation_sync(context, extensions_runner)


def _unnamed_choice(context: ExecutionContext) -> GraphQLError | None:
    """GraphQL's GetOperation(): a document of several operations needs `operationName`
    (strawberry would run the first one)."""
    document = context.graphql_document
    if document is None or context._provided_operation_name is not None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) < 2:
        return None
    return refusal(
        RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
        "Must provide operation name if query contains multiple operations.",
    )


class CachedValidation(SchemaExtension):
    """Step 5 and 6: validation, kept with the document in the guard's cache (it replaces
    strawberry's ``ValidationCache``, whose LRU kept 256 documents alive whatever their
    size), then the ``after_validation`` checks."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        guard: Guard = getattr(context.schema, "guard", None) or Guard()
        rules = tuple(context.validation_rules)
        query = context.query if isinstance(context.query, str) else None
        prepared = guard.cache.get(query) if query is not None else None
        errors = prepared.validation.get(rules) if prepared is not None else None
        if errors is None:
            every_rule = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
            errors = validate(
                context.schema._schema,
                document,
                every_rule,
                hide_suggestions=self.hide_suggestions,
            )
            if prepared is not None:
                prepared.validation[rules] = errors
        if not errors:
            errors = [e for check in guard.after_validation if (e := check(context)) is not None]
        context.pre_execution_errors = errors
        yield
