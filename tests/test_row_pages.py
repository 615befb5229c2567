"""Tuple row pages (what the reports read) give exactly the rows and values of the model path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from detalka.models import Payment, UsageRecord
from detalka.models.enums import UsageKind
from detalka.models.queries import payments_page, usage_page
from detalka.models.row_pages import PAGE, payment_rows, usage_rows
from detalka.seed import SeedReport
from detalka.settings import Settings
from tests.conftest import SEED_NOW
from tests.factories import make_subscriber

HISTORY_START = SEED_NOW - timedelta(days=400)
USAGE_FIELDS = [
    "id",
    "occurred_at",
    "kind",
    "direction",
    "counterparty",
    "duration_s",
    "volume_kb",
    "quantity",
    "zone",
    "roaming",
    "description",
    "cost",
    "charged_from",
    "package_units",
    "from_package",
]


async def _model_usage(
    subscriber_id: int, start: datetime, end: datetime, kinds: list[UsageKind] | None
) -> list[UsageRecord]:
    rows: list[UsageRecord] = []
    after: tuple[datetime, int] | None = None
    while True:
        page = await usage_page(subscriber_id, start, end, kinds=kinds, after=after, limit=PAGE)
        rows += page
        if len(page) < PAGE:
            return rows
        after = (page[-1].occurred_at, page[-1].id)


async def _model_payments(subscriber_id: int, start: datetime, end: datetime) -> list[Payment]:
    rows: list[Payment] = []
    after: tuple[datetime, int] | None = None
    while True:
        page = await payments_page(subscriber_id, start, end, after=after, limit=PAGE)
        rows += page
        if len(page) < PAGE:
            return rows
        after = (page[-1].occurred_at, page[-1].id)


def _as_plain(value: Any) -> Any:
    """Enums as their values, so the model's enums compare with the tuple's strings."""
    return getattr(value, "value", value)


async def test_usage_rows_are_the_model_rows_of_the_seed_whatever_the_kinds(
    seeded: SeedReport,
) -> None:
    # given the seeded subscribers, over their whole history and over one month
    periods = [(HISTORY_START, SEED_NOW), (datetime(2026, 2, 1, tzinfo=UTC), SEED_NOW)]
    for subscriber_id in seeded.subscriber_ids:
        for start, end in periods:
            for kinds in (None, [UsageKind.CALL], [UsageKind.SMS, UsageKind.MMS]):
                # when both paths read the rows
                models = await _model_usage(subscriber_id, start, end, kinds)
                tuples = [r async for r in usage_rows(subscriber_id, start, end, kinds)]
                # then they are the same rows with the same values, aware datetimes included
                expected = [
                    tuple(_as_plain(getattr(m, name)) for name in USAGE_FIELDS) for m in models
                ]
                assert [tuple(r) for r in tuples] == expected
                assert all(r.occurred_at.utcoffset() == timedelta(0) for r in tuples)
    assert sum([len(await _model_usage(s, *periods[0], None)) for s in seeded.subscriber_ids]) > (
        2 * PAGE
    )


async def test_payment_rows_are_the_model_rows_of_the_seed(seeded: SeedReport) -> None:
    for subscriber_id in seeded.subscriber_ids:
        models = await _model_payments(subscriber_id, HISTORY_START, SEED_NOW)
        tuples = [r async for r in payment_rows(subscriber_id, HISTORY_START, SEED_NOW)]
        assert [tuple(r) for r in tuples] == [
            (p.id, p.occurred_at, _as_plain(p.method), p.description, p.amount) for p in models
        ]
        assert models


async def test_usage_rows_page_through_many_records_at_one_instant_without_loss(
    db: Settings,
) -> None:
    # given more than two pages of records that all happened at the same instant
    subscriber = await make_subscriber()
    moment = datetime(2026, 10, 5, 12, 0, 0, 250_000, tzinfo=UTC)
    await UsageRecord.bulk_create(
        [
            UsageRecord(
                subscriber_id=subscriber.id,
                occurred_at=moment,
                kind="SMS",
                description=f"SMS {n}",
                cost=Decimal("1.50"),
            )
            for n in range(2 * PAGE + 7)
        ],
        batch_size=1000,
    )
    # when they are read in pages
    start, end = moment - timedelta(days=1), moment + timedelta(days=1)
    rows = [r async for r in usage_rows(subscriber.id, start, end, None)]
    # then every one comes once, in id order, with its instant and its money exact
    assert len(rows) == 2 * PAGE + 7
    assert [r.id for r in rows] == sorted({r.id for r in rows})
    assert {r.occurred_at for r in rows} == {moment}
    assert {r.cost for r in rows} == {Decimal("1.50")}
