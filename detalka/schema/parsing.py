"""strawberry's parser cache, minus one flaw: a document that does not parse.

strawberry's ``ParserCache`` parses in its ``on_parse`` hook, outside the ``try`` that turns
a syntax error into a result, so the error escaped as an exception: over HTTP it skipped the
extensions that code errors, and over the WebSocket the client got ``complete`` with no error
at all while the server logged a traceback. Here a document that does not parse is left to
strawberry's own parse, which reports it like any request error (GRAPHQL_PARSE_FAILED); that
costs a second parse of broken documents only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import ParserCache as StrawberryParserCache


class ParserCache(StrawberryParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield
