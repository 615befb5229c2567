"""The schema: migrations apply on both backends and keep up with the models."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from detalka.db import tortoise_config
from detalka.models import Region, Store
from detalka.models.money import from_kopecks, to_kopecks
from detalka.settings import Settings
from tests.conftest import make_settings


async def test_migrations_create_every_model_table(db: Settings) -> None:
    # given a migrated database
    # when a region and a store are written and read back
    region = await Region.create(code="TST", name="Тестовый край", time_zone="Asia/Vladivostok")
    await Store.create(region=region, name="Салон на Светланской", address="ул. Светланская, 1")
    # then they come back as written
    store = await Store.get(region__code="TST").prefetch_related("region")
    assert store.region.time_zone == "Asia/Vladivostok"
    await region.stores.all().delete()
    await region.delete()


async def test_a_store_name_is_unique_within_its_region(db: Settings) -> None:
    region = await Region.create(code="UNQ", name="Край", time_zone="Europe/Moscow")
    await Store.create(region=region, name="Салон", address="ул. Ленина, 1")
    with pytest.raises(IntegrityError):
        await Store.create(region=region, name="Салон", address="ул. Мира, 2")
    await region.stores.all().delete()
    await region.delete()


def test_money_keeps_kopecks_exact_and_refuses_fractions_of_a_kopeck() -> None:
    assert to_kopecks(Decimal("123.45")) == 12345
    assert from_kopecks(12345) == Decimal("123.45")
    assert from_kopecks(-5) == Decimal("-0.05")
    # always two places, as the API writes them, from an int or a database's Decimal sum
    cases = [(100, "1.00"), (0, "0.00"), (-5, "-0.05"), (Decimal(12345), "123.45")]
    assert [str(from_kopecks(kopecks)) for kopecks, _ in cases] == [text for _, text in cases]
    with pytest.raises(ValueError, match="fraction of a kopeck"):
        to_kopecks(Decimal("0.001"))


async def test_the_committed_migrations_match_the_models(tmp_path: Path) -> None:
    # given the models and the migrations on disk
    config = tortoise_config(make_settings(tmp_path))
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        # when the ORM's own autodetector compares them
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    # then there is nothing left to generate
    assert [w.name for w in writers] == [], "run makemigrations (see docs/migrations.md)"
