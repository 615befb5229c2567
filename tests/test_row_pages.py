"""Tuple row pages (what the reports read) give exactly the rows and values of the model path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from detalka.models import DetailOrder, Payment, Subscriber, UsageRecord
from detalka.models.enums import ReportSection, UsageKind
from detalka.models.queries import payments_page, usage_page
from detalka.models.row_pages import PAGE, payment_rows, usage_pages, usage_rows
from detalka.periods import Period
from detalka.reports.build import build_report
from detalka.reports.report import Cell
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
    # and the reports' pages of a few columns page through them the same way
    pages = [p async for p in usage_pages(subscriber.id, start, end, [], ["description"])]
    assert [len(p) for p in pages] == [PAGE, PAGE, 7]
    assert [r[2] for p in pages for r in p] == [f"SMS {n}" for n in range(2 * PAGE + 7)]


def _cells(code: ReportSection, m: UsageRecord, zone: ZoneInfo) -> tuple[Cell, ...]:
    """A section's cells of one record, from the model's fields (what build.py showed before
    it read pages of the section's columns)."""
    at = m.occurred_at.astimezone(zone)
    direction = {"IN": "входящий", "OUT": "исходящий"}.get(_as_plain(m.direction) or "", "")
    if code == ReportSection.CALLS:
        return (at, direction, m.counterparty, m.duration_s, m.package_units, m.zone or "",
                m.description, m.cost)  # fmt: skip
    if code == ReportSection.MESSAGES:
        return (at, direction, m.counterparty, _as_plain(m.kind), m.package_units, m.zone or "",
                m.description, m.cost)  # fmt: skip
    if code == ReportSection.MOBILE_INTERNET:
        return (at, m.volume_kb, m.package_units, m.zone or "", m.description, m.cost)
    balance = "бонусный" if _as_plain(m.charged_from) == "BONUS" else "основной"
    return (at, m.description, balance, m.cost)


async def test_report_usage_sections_are_the_model_rows_as_cells(seeded: SeedReport) -> None:
    # given the seeded subscribers and an order of every usage section over their history
    codes = [
        ReportSection.CALLS,
        ReportSection.MESSAGES,
        ReportSection.MOBILE_INTERNET,
        ReportSection.CHARGES,
    ]
    kinds = {
        ReportSection.CALLS: [UsageKind.CALL],
        ReportSection.MESSAGES: [UsageKind.SMS, UsageKind.MMS],
        ReportSection.MOBILE_INTERNET: [UsageKind.DATA],
        ReportSection.CHARGES: [UsageKind.SUBSCRIPTION_FEE, UsageKind.ONE_TIME, UsageKind.ROAMING],
    }
    first, last = date(2025, 10, 1), date(2026, 3, 17)
    shown = 0
    for subscriber_id in seeded.subscriber_ids:
        subscriber = await Subscriber.get(id=subscriber_id).select_related("home_region")
        zone = ZoneInfo(subscriber.home_region.time_zone)
        period = Period(first, last, zone)
        order = DetailOrder(
            subscriber_id=subscriber_id,
            region_id=subscriber.home_region_id,
            period_from=first,
            period_to=last,
            format="CSV",
            delivery="ARCHIVE",
            sections=[str(code) for code in codes],
        )
        # when the report's sections are read
        report = await build_report(order, SEED_NOW)
        for code, section in zip(codes, report.sections, strict=True):
            cells = [row async for row in section.rows]
            # then each row is the model row's cells, in the model path's order
            models = await _model_usage(subscriber_id, period.start, period.end, kinds[code])
            assert cells == [_cells(code, m, zone) for m in models]
            shown += len(cells)
    assert shown > 2 * PAGE


async def test_usage_pages_read_only_the_asked_columns_of_real_ones(db: Settings) -> None:
    subscriber = await make_subscriber()
    moment = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    await UsageRecord.create(
        subscriber_id=subscriber.id, occurred_at=moment, kind="SMS", description="SMS",
        cost=Decimal("1.50"),
    )  # fmt: skip
    start, end = moment - timedelta(days=1), moment + timedelta(days=1)
    pages = [p async for p in usage_pages(subscriber.id, start, end, [], ["description", "cost"])]
    assert [tuple(r)[2:] for p in pages for r in p] == [("SMS", 150)]
    with pytest.raises(ValueError, match="not columns of usage_record"):
        _ = [p async for p in usage_pages(subscriber.id, start, end, [], ["cost; DROP"])]
