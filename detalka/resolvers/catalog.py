"""Reference data: regions, the stores in them, tariffs."""

from __future__ import annotations

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import Region as Region
from detalka.models import Store as Store
from detalka.models import Tariff as Tariff


async def regions() -> list[Region]:
    return await Region.all().order_by("code")


async def regions_by_ids(ids: list[int]) -> list[Region]:
    return await Region.filter(id__in=ids)


async def stores_in(region_code: str) -> list[Store]:
    """A region's stores by name; none for an unknown code (typed in any case, any spacing)."""
    query = Store.filter(region__code=region_code.strip().upper()).select_related("region")
    return await query.order_by("name")


async def stores_by_ids(ids: list[int]) -> list[Store]:
    return await Store.filter(id__in=ids).select_related("region")


async def tariffs_by_ids(ids: list[int]) -> list[Tariff]:
    return await Tariff.filter(id__in=ids)
