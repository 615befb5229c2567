"""Reference data a dashboard needs: regions and the stores in them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from detalka.resolvers import catalog
from detalka.schema.context import Info
from detalka.schema.ids import node_pks
from detalka.schema.inputs import bounded
from detalka.schema.nodes import in_requested_order

if TYPE_CHECKING:
    from detalka.resolvers.catalog import Region as RegionRow
    from detalka.resolvers.catalog import Store as StoreRow


@strawberry.type(description="A home region of numbers. Periods are counted in its time zone.")
class Region(relay.Node):
    pk: relay.NodeID[int]
    code: str = strawberry.field(description="Short code, e.g. `MOW`, confirmed at sign-in.")
    name: str = strawberry.field(description="Name in Russian, e.g. «Москва».")
    time_zone: str = strawberry.field(
        description="IANA time zone in which the region's days and months are counted."
    )

    @classmethod
    def from_row(cls, row: RegionRow) -> Self:
        return cls(pk=row.id, code=row.code, name=row.name, time_zone=row.time_zone)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = node_pks(node_ids)
        return in_requested_order(ids, await catalog.regions_by_ids(ids), cls.from_row)


@strawberry.type(description="A store (салон-магазин) where a paper report is picked up.")
class Store(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="Store name in Russian.")
    address: str = strawberry.field(description="Street address in Russian.")
    region: Region = strawberry.field(description="The region the store is in.")

    @classmethod
    def from_row(cls, row: StoreRow) -> Self:
        return cls(
            pk=row.id, name=row.name, address=row.address, region=Region.from_row(row.region)
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = node_pks(node_ids)
        return in_requested_order(ids, await catalog.stores_by_ids(ids), cls.from_row)


# Region.code is VARCHAR(8): PostgreSQL refuses to compare it with a longer parameter.
REGION_CODE_CHARS = 8


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Every region, ordered by code.")
    async def regions(self) -> list[Region]:
        return [Region.from_row(r) for r in await catalog.regions()]

    @strawberry.field(
        description="The stores of a region, by name; empty for an unknown region code."
    )
    async def stores(
        self,
        region_code: Annotated[str, strawberry.argument(description="Region code, e.g. `MOW`.")],
    ) -> list[Store]:
        code = bounded(region_code, REGION_CODE_CHARS, "regionCode")
        return [Store.from_row(r) for r in await catalog.stores_in(code)]
