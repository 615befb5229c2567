"""The one-statement reads (models/joined.py) give the rows the ORM gives, field for field."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.models import Model

from detalka.models import (
    Balance,
    DetailOrder,
    Document,
    PromisedPayment,
    Region,
    Session,
    Store,
    Subscriber,
)
from detalka.models.joined import balances_and_debt, live_session, orders_page
from detalka.seed import SeedReport
from detalka.settings import Settings
from tests.conftest import SEED_NOW


def fields(row: Model | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {name: getattr(row, name) for name in row._meta.fields_db_projection}


async def test_a_live_session_comes_with_its_subscriber_region_and_tariff(
    seeded: SeedReport, db: Settings
) -> None:
    # given a session of a seeded subscriber, and one revoked, and one expired
    subscriber_id = seeded.subscriber_ids[1]
    tokens = {name: secrets.token_urlsafe(16) for name in ("live", "revoked", "expired")}
    hashes = {n: hashlib.sha256(t.encode()).hexdigest() for n, t in tokens.items()}
    for name, hashed in hashes.items():
        await Session.create(
            subscriber_id=subscriber_id,
            token_hash=hashed,
            created_at=SEED_NOW - timedelta(days=1),
            expires_at=SEED_NOW + timedelta(days=-1 if name == "expired" else 1),
            revoked_at=SEED_NOW if name == "revoked" else None,
        )
    # when each is looked up
    found = await live_session(hashes["live"], SEED_NOW)
    # then the live one is the ORM's row, with the ORM's subscriber and its relations
    assert found is not None
    session, subscriber = found
    expected = await Subscriber.get(id=subscriber_id).select_related("home_region", "tariff")
    assert fields(session) == fields(await Session.get(token_hash=hashes["live"]))
    assert fields(subscriber) == fields(expected)
    assert fields(subscriber.home_region) == fields(expected.home_region)
    assert fields(subscriber.tariff) == fields(expected.tariff)
    # and the revoked and the expired ones are not found, nor is it a second past its end
    assert await live_session(hashes["revoked"], SEED_NOW) is None
    assert await live_session(hashes["expired"], SEED_NOW) is None
    assert await live_session(hashes["live"], SEED_NOW + timedelta(days=1, seconds=1)) is None


async def test_balances_come_with_the_promised_payments_debt(
    seeded: SeedReport, db: Settings
) -> None:
    for subscriber_id in seeded.subscriber_ids:
        rows, debt = await balances_and_debt(subscriber_id)
        expected = await Balance.filter(subscriber_id=subscriber_id).order_by("kind")
        assert [fields(r) for r in rows] == [fields(r) for r in expected]
        promised = await PromisedPayment.filter(subscriber_id=subscriber_id)
        owed = sum((p.amount + p.fee - p.repaid for p in promised), Decimal(0))
        assert debt == (owed.quantize(Decimal("0.01")) if expected else None)


async def test_a_page_of_orders_comes_with_regions_stores_and_documents(
    seeded: SeedReport, db: Settings
) -> None:
    # given a subscriber with orders: one for a store pick-up, one with a document
    subscriber = await Subscriber.get(id=seeded.subscriber_ids[2])
    store = await Store.filter(region_id=subscriber.home_region_id).first()
    if store is None:
        store = await Store.create(name="Салон", address="ул. Тестовая, 1", region_id=1)
    made = []
    for i, fmt in enumerate(("CSV", "PDF", "XLSX", "CSV")):
        made.append(
            await DetailOrder.create(
                subscriber_id=subscriber.id,
                region_id=subscriber.home_region_id,
                period_from=date(2026, 1, 1),
                period_to=date(2026, 1, 31),
                format=fmt,
                delivery="PAPER" if i == 1 else "ARCHIVE",
                store_id=store.id if i == 1 else None,
                sections=["CALLS"],
                status="CANCELED",
            )
        )
    await Document.create(
        order_id=made[2].id,
        file_name="detalka.xlsx",
        format="XLSX",
        content_type="application/octet-stream",
        size_bytes=10,
        sha256="0" * 64,
        storage_key=f"k-{made[2].id}",
        download_token=secrets.token_urlsafe(16),
        expires_at=SEED_NOW + timedelta(days=3),
    )
    # when they are read in pages of two, and by ids
    query = DetailOrder.filter(subscriber_id=subscriber.id).select_related(
        "region", "store__region"
    )
    expected = await query.order_by("-created_at", "-id")
    first = await orders_page(subscriber.id, ids=None, before=None, limit=2)
    last = first[-1][0]
    second = await orders_page(
        subscriber.id, ids=None, before=(last.created_at, last.id), limit=100
    )
    by_ids = await orders_page(subscriber.id, ids=[made[1].id, made[2].id], before=None, limit=9)
    # then they are the ORM's rows in the ORM's order, each with its relations and document
    read = first + second
    assert [fields(o) for o, _ in read] == [fields(o) for o in expected]
    for (order, document), orm in zip(read, expected, strict=True):
        assert fields(order.region) == fields(orm.region)
        assert fields(order.store) == fields(orm.store)
        if orm.store is not None:
            assert isinstance(order.store, Store)
            assert fields(order.store.region) == fields(await Region.get(id=orm.store.region_id))
        assert fields(document) == fields(await Document.get_or_none(order_id=orm.id))
    assert {o.id for o, _ in by_ids} == {made[1].id, made[2].id}
    assert await orders_page(subscriber.id, ids=[], before=None, limit=9) == []
