"""A report's reads: one scan feeds every usage section of a small report, one statement the
money of the balances and payments sections; the same rows and sums as separate reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from detalka.models import DetailOrder, Subscriber
from detalka.models.enums import ReportSection
from detalka.models.queries import balance_movement, count_payments, main_balance_movement
from detalka.reports import build
from detalka.reports.report import Report
from detalka.seed import SeedReport
from tests.conftest import SEED_NOW

EVERY_SECTION = [str(s) for s in ReportSection]
PERIODS = [(date(2026, 1, 1), date(2026, 1, 31)), (date(2025, 12, 20), date(2026, 3, 10))]


async def _order(subscriber_id: int, first: date, last: date) -> DetailOrder:
    subscriber = await Subscriber.get(id=subscriber_id)
    return DetailOrder(
        subscriber_id=subscriber_id,
        region_id=subscriber.home_region_id,
        period_from=first,
        period_to=last,
        format="CSV",
        delivery="ARCHIVE",
        sections=EVERY_SECTION,
    )


async def _contents(report: Report) -> list[tuple[Any, ...]]:
    """Every section's code, rows (consumed in report order, as a renderer does) and totals."""
    return [(s.code, [row async for row in s.rows], s.totals) for s in report.sections]


async def test_one_scan_gives_every_usage_section_the_rows_of_its_own_read(
    seeded: SeedReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given every section of a small report, built once with one scan and once with a read a
    # section (above the one-scan limit), the reads of usage rows counted
    reads: list[Any] = []
    original = build.usage_pages

    def counted(*args: Any) -> Any:
        reads.append(args[3])  # the kinds
        return original(*args)

    monkeypatch.setattr(build, "usage_pages", counted)
    usage_sections = [code for code in ReportSection if code in build._KINDS]
    limit = build.ONE_SCAN_ROWS
    checked = 0
    for subscriber_id in seeded.subscriber_ids:
        for first, last in PERIODS:
            order = await _order(subscriber_id, first, last)
            reads.clear()
            one = await _contents(await build.build_report(order, SEED_NOW))
            # then one read of usage_record for the four usage sections
            assert len(reads) == 1 and set(reads[0]) == {
                kind for code in usage_sections for kind in build._KINDS[code]
            }
            monkeypatch.setattr(build, "ONE_SCAN_ROWS", 0)
            reads.clear()
            apart = await _contents(await build.build_report(order, SEED_NOW))
            monkeypatch.setattr(build, "ONE_SCAN_ROWS", limit)
            assert len(reads) == len(usage_sections)
            # and the same rows, in the same order, with the same totals either way
            assert one == apart
            checked += sum(len(rows) for _, rows, _ in one)
    assert checked > 1_000


async def test_a_section_alone_reads_its_own_kinds(seeded: SeedReport) -> None:
    order = await _order(seeded.subscriber_ids[0], *PERIODS[0])
    order.sections = ["CALLS"]
    (section,) = (await build.build_report(order, SEED_NOW)).sections
    rows = [row async for row in section.rows]
    assert rows and section.totals[1] == ("Записей", len(rows))


async def test_the_balance_movement_is_the_separate_sums_in_one_statement(
    seeded: SeedReport,
) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    until = datetime(2126, 2, 1, tzinfo=UTC)
    for subscriber_id in seeded.subscriber_ids:
        moved = await balance_movement(subscriber_id, start, end, until)
        assert (moved.paid, moved.charged) == await main_balance_movement(subscriber_id, start, end)
        assert (moved.paid_since, moved.charged_since) == await main_balance_movement(
            subscriber_id, start, until
        )
        assert moved.payments == await count_payments(subscriber_id, start, end)
        # without ``until`` the "since" sums are the period's
        alone = await balance_movement(subscriber_id, start, end)
        assert (alone.paid_since, alone.charged_since) == (moved.paid, moved.charged)
    counts = [(await balance_movement(s, start, end)).payments for s in seeded.subscriber_ids]
    assert any(counts), "the seed has payments in the period"
