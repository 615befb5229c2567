"""Shared by every ``resolve_nodes``: rows back in the order their IDs were asked for."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from detalka.errors import RequestErrorCode
from detalka.resolvers.access import Scope
from detalka.schema.context import Info
from detalka.schema.ids import node_pks

N = TypeVar("N")
MAX_NODES = 100  # per nodes(ids:) field, as for a connection's page


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
    ids = node_pks(node_ids)
    viewer = info.context.viewer
    if viewer is None or not viewer.can(scope):
        return [None for _ in ids]
    return in_requested_order(ids, await load(viewer.subscriber_id, ids), build)


async def nodes_by_ids(info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
    """Each ID's node or None, in the order asked; one ``resolve_nodes`` call per type."""
    if len(ids) > MAX_NODES:
        raise GraphQLError(
            f"Не больше {MAX_NODES} ID за один запрос.",
            extensions={"code": RequestErrorCode.BAD_USER_INPUT.value},
        )
    by_type: dict[type[relay.Node], list[str]] = {}
    for given in ids:
        by_type.setdefault(given.resolve_type(info), []).append(given.node_id)
    found: dict[tuple[type[relay.Node], str], relay.Node | None] = {}
    for node_type, node_ids in by_type.items():
        resolved: Any = node_type.resolve_nodes(info=info, node_ids=node_ids, required=False)
        nodes = await resolved if inspect.isawaitable(resolved) else resolved
        found.update(zip(((node_type, i) for i in node_ids), nodes, strict=True))
    return [found[(given.resolve_type(info), given.node_id)] for given in ids]


@strawberry.type
class NodesQuery:
    # A malformed ID fails the whole field with BAD_ID (schema/ids.py, as for ``node``);
    # an unknown or foreign one is a null in its place.
    @strawberry.field(
        description="Objects by their global IDs, in the order asked; null for an ID that "
        "names nothing the caller may read."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[relay.GlobalID],
            strawberry.argument(description=f"Global IDs, at most {MAX_NODES}."),
        ],
    ) -> list[relay.Node | None] | None:
        return await nodes_by_ids(info, ids)
