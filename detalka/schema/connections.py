"""One generic keyset connection: ``Connection[T]`` of ``Edge[T]`` with a ``PageInfo``.

strawberry names a specialisation after its node (``Connection[Payment]`` is
``PaymentConnection``), but copies the generic's descriptions into every one. The SDL keeps
a description of its own per connection (GraphiQL is the product's manual), so a node type
says what its pages are called (``connection_texts``) and :func:`describe_connections` writes
that into the built schema. strawberry's ``relay.Connection`` is not used: its ``PageInfo``
and field order (``pageInfo`` before ``edges``) are not the contract's.
"""

from __future__ import annotations

import base64
import binascii
from binascii import b2a_base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError, GraphQLObjectType

MAX_PAGE = 100
_URL_SAFE = bytes.maketrans(b"+/", b"-_")  # base64's own table for urlsafe_b64encode
DEFAULT_PAGE = 50

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")
Cursor = tuple[datetime, int]  # the keyset position: (a row's moment, its id)


@dataclass(frozen=True)
class ConnectionTexts:
    """A node type's words for its pages, e.g. ``ConnectionTexts("A page of payments, ...``."""

    connection: str
    edge: str
    node: str


@strawberry.type(description="Where a page is in the list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More after this page.")
    has_previous_page: bool = strawberry.field(description="Pages before this one.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="An item and its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of items.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


class RowConnection(Connection[NodeT], Generic[NodeT, RowT]):
    """A keyset page kept as the rows it was read from, with their cursors.

    To graphql-core's general path it is a ``Connection`` like any other: ``edges`` (the
    ``Edge`` and node objects) are made from the rows the first time they are read. The
    plain-data executor (schema/execution.py) instead answers a plain selection of a page
    from ``rows`` and ``cursors`` directly, through the node type's ``row_attributes``
    (what ``node(row)`` would put in each attribute), without making those objects.
    """

    def __init__(
        self,
        rows: Sequence[RowT],
        cursors: list[str],
        node_type: type[NodeT] | None,
        node: Callable[[RowT], NodeT],
        page_info: PageInfo,
    ) -> None:
        self.rows, self.cursors, self.node_type, self.node = rows, cursors, node_type, node
        self.page_info = page_info

    @cached_property
    def edges(self) -> list[Edge[NodeT]]:  # type: ignore[override]
        return [
            Edge(cursor=cursor, node=self.node(row))
            for cursor, row in zip(self.cursors, self.rows, strict=True)
        ]


async def keyset_connection(
    first: int | None,
    after: str | None,
    fetch: Callable[[Cursor | None, int], Awaitable[Sequence[RowT]]],
    key: Callable[[RowT], Cursor],
    node: Callable[[RowT], NodeT],
    node_type: type[NodeT] | None = None,
) -> RowConnection[NodeT, RowT]:
    """A page of ``first`` rows after the ``after`` cursor, from a keyset read.

    ``fetch(cursor, limit)`` reads up to ``limit`` rows past the cursor; one more row than
    the page is asked for, so ``hasNextPage`` costs no count. ``node(row)`` is the page's
    node, made only if the general path reads ``edges``; with ``node_type`` (whose
    ``row_attributes`` must give what ``node`` gives) a plain selection skips the nodes.
    """
    size = page_size(first)
    rows = await fetch(decode_cursor(after), size + 1)
    page = rows[:size]
    cursors = [encode_cursor(*key(row)) for row in page]
    page_info = PageInfo(
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return RowConnection(page, cursors, node_type, node, page_info)


def encode_cursor(moment: datetime, row_id: int) -> str:
    # base64.urlsafe_b64encode, its two calls inlined (a page of 100 makes 100 cursors)
    text = b2a_base64(f"{moment.isoformat()}|{row_id}".encode(), newline=False)
    return text.translate(_URL_SAFE).decode()


def decode_cursor(cursor: str | None) -> Cursor | None:
    if cursor is None:
        return None
    try:
        moment, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise GraphQLError(
            "Курсор `after` не распознан: возьмите его из pageInfo.endCursor.",
            extensions={"code": "BAD_CURSOR"},
        ) from None


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise GraphQLError(
            f"`first` должно быть от 0 до {MAX_PAGE}.", extensions={"code": "BAD_PAGE_SIZE"}
        )
    return size


def describe_connections(schema: strawberry.Schema) -> None:
    """Give every ``Connection[T]`` and ``Edge[T]`` the descriptions ``T.connection_texts``."""
    # strawberry's own printer reads the graphql-core schema the same way.
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition: Any = (graphql_type.extensions or {}).get("strawberry-definition")
        generic = getattr(definition, "concrete_of", None)
        if generic is None or generic.origin not in (Connection, Edge):
            continue
        texts = _texts_of(definition.type_var_map["NodeT"])
        if generic.origin is Connection:
            graphql_type.description = texts.connection
        else:
            graphql_type.description = texts.edge
            graphql_type.fields["node"].description = texts.node


def _texts_of(node_type: Any) -> ConnectionTexts:
    texts = getattr(node_type, "connection_texts", None)
    if not isinstance(texts, ConnectionTexts):
        raise TypeError(f"{node_type!r} has no connection_texts for its connection's SDL")
    return texts
