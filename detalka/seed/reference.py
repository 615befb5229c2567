"""Write the catalog (regions, stores, tariffs, packages), reusing rows by natural key."""

from __future__ import annotations

from dataclasses import dataclass, field

from detalka.models import PackageAllowance, Region, Store, Tariff
from detalka.models.money import from_kopecks
from detalka.seed.catalog import REGIONS, TARIFFS


@dataclass
class ReferenceIds:
    """Database ids of the catalog, and how many rows this run created."""

    regions: dict[str, int] = field(default_factory=dict)
    tariffs: dict[str, int] = field(default_factory=dict)
    created_regions: int = 0
    created_stores: int = 0
    created_tariffs: int = 0


async def upsert_reference_data() -> ReferenceIds:
    """Create what is missing and bring what exists up to the catalog; safe to run again."""
    ids = ReferenceIds()
    for spec in REGIONS:
        region, created = await Region.update_or_create(
            code=spec.code, defaults={"name": spec.name, "time_zone": spec.time_zone}
        )
        ids.regions[spec.code] = region.id
        ids.created_regions += created
        for store in spec.stores:
            _, created = await Store.update_or_create(
                region_id=region.id, name=store.name, defaults={"address": store.address}
            )
            ids.created_stores += created
    for tariff_spec in TARIFFS:
        tariff, created = await Tariff.update_or_create(
            name=tariff_spec.name,
            defaults={
                "monthly_fee": from_kopecks(tariff_spec.monthly_fee),
                "minute_price": from_kopecks(tariff_spec.minute_price),
                "sms_price": from_kopecks(tariff_spec.sms_price),
                "mms_price": from_kopecks(tariff_spec.mms_price),
                "megabyte_price": from_kopecks(tariff_spec.megabyte_price),
            },
        )
        ids.tariffs[tariff_spec.name] = tariff.id
        ids.created_tariffs += created
        for allowance in tariff_spec.allowances:
            await PackageAllowance.update_or_create(
                tariff_id=tariff.id,
                kind=allowance.kind,
                defaults={
                    "name": allowance.name,
                    "included": allowance.included,
                    "unit": allowance.unit,
                },
            )
    return ids
