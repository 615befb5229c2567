"""Shared by every ``resolve_nodes``: rows back in the order their IDs were asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from strawberry import relay

from detalka.resolvers.access import Scope
from detalka.schema.context import Info

N = TypeVar("N")


def in_requested_order(
    ids: list[int], rows: Iterable[Any], build: Callable[[Any], N]
) -> list[N | None]:
    """A node per ID, in that order; None where no row came back (absent, or not the viewer's)."""
    found = {row.id: row for row in rows}
    return [build(found[i]) if i in found else None for i in ids]


async def own_nodes(
    info: Info,
    node_ids: Iterable[str],
    scope: Scope,
    load: Callable[[int, list[int]], Awaitable[Iterable[Any]]],
    build: Callable[[Any], N],
) -> list[N | None]:
    """The viewer's own rows among the IDs, if the viewer has ``scope``; None for the rest.

    ``load(subscriber_id, ids)`` must return only that subscriber's rows.
    """
    ids = [int(i) for i in node_ids]
    viewer = info.context.viewer
    if viewer is None or not viewer.can(scope):
        return [None for _ in ids]
    return in_requested_order(ids, await load(viewer.subscriber_id, ids), build)


def node_pk(given: relay.GlobalID, type_name: str) -> int | None:
    """The primary key a global ID names, or None when it names another type or is malformed."""
    if given.type_name != type_name or not given.node_id.isdigit():
        return None
    return int(given.node_id)
