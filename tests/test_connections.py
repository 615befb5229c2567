"""The generic keyset connection: pages, cursors and each connection's own descriptions."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
import strawberry

from detalka.schema.connections import (
    Connection,
    ConnectionTexts,
    Cursor,
    decode_cursor,
    describe_connections,
    encode_cursor,
    keyset_connection,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = [(START + timedelta(minutes=i // 2), i) for i in range(7)]  # moments repeat: ids decide


@strawberry.type(description="A toy.")
class Toy:
    number: int

    connection_texts: ClassVar[ConnectionTexts] = ConnectionTexts(
        "A page of toys.", "A toy and its cursor.", "The toy."
    )


@strawberry.type(description="A node that forgot its texts.")
class Mute:
    number: int


async def _fetch(after: Cursor | None, limit: int) -> Sequence[tuple[datetime, int]]:
    return [r for r in ROWS if after is None or r > after][:limit]


async def _page(first: int | None, after: str | None) -> Connection[Toy]:
    return await keyset_connection(first, after, _fetch, lambda r: r, lambda r: Toy(number=r[1]))


async def test_pages_follow_each_other_by_their_cursors_to_the_last() -> None:
    # given seven rows, some at the same moment
    seen: list[int] = []
    after = None
    # when they are read three at a time, each page after the previous end cursor
    while True:
        page = await _page(3, after)
        seen += [e.node.number for e in page.edges]
        assert page.page_info.has_previous_page == (after is not None)
        assert page.page_info.start_cursor == (page.edges[0].cursor if page.edges else None)
        if not page.page_info.has_next_page:
            break
        after = page.page_info.end_cursor
    # then every row came once, in order, and a cursor names its row's key
    assert seen == list(range(7))
    assert decode_cursor(after) == ROWS[5]


def test_a_cursor_is_the_url_safe_base64_of_its_moment_and_id() -> None:
    # given a thousand moments (every microsecond digit, every second) and ids
    keys = [(START.replace(microsecond=m, second=m % 60), m * 7919) for m in range(0, 10**6, 997)]
    # when they become cursors: then base64.urlsafe_b64encode's text, read back as the key
    texts = [encode_cursor(*key) for key in keys]
    assert texts == [
        base64.urlsafe_b64encode(f"{t.isoformat()}|{i}".encode()).decode() for t, i in keys
    ]
    assert [decode_cursor(text) for text in texts] == keys


async def test_an_empty_page_has_no_cursors() -> None:
    page = await _page(0, None)
    assert page.edges == [] and page.page_info.has_next_page
    assert page.page_info.start_cursor is None and page.page_info.end_cursor is None


def test_each_connection_has_its_node_types_descriptions_and_name() -> None:
    # given a schema with a connection of toys
    @strawberry.type
    class Query:
        @strawberry.field
        def toys(self) -> Connection[Toy]:
            raise NotImplementedError

    schema = strawberry.Schema(Query)
    # when the node type's texts are written into it
    describe_connections(schema)
    # then the SDL names and describes the connection and the edge after the toy
    sdl = schema.as_str()
    assert '"""A page of toys."""\ntype ToyConnection {' in sdl
    assert '"""A toy and its cursor."""\ntype ToyEdge {' in sdl
    assert '  """The toy."""\n  node: Toy!' in sdl
    assert '  """Opaque position."""\n  cursor: String!' in sdl


def test_a_node_type_without_texts_is_refused_when_the_schema_is_built() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def mutes(self) -> Connection[Mute]:
            raise NotImplementedError

    with pytest.raises(TypeError, match="connection_texts"):
        describe_connections(strawberry.Schema(Query))
