"""The model-level queries every reader shares: the expenses field, the usage connection and
the report renderers all take their numbers from here, so totals always agree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from detalka.models.account import Payment
from detalka.models.enums import UsageKind
from detalka.models.money import from_kopecks
from detalka.models.reads import read_rows
from detalka.models.usage import UsageRecord

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class UsageTotal:
    """Charges of one (kind, roaming) group over a period."""

    kind: UsageKind
    roaming: bool
    kopecks: int
    count: int


@dataclass(frozen=True)
class UsageTotals:
    """A period's charges by kind and roaming, and by local day (days without any left out).

    Both are sums of the same ``usage_day`` rows, so they add up to the same total."""

    by_kind: list[UsageTotal]
    by_day: dict[date, int]


def _db() -> BaseDBAsyncClient:
    db: BaseDBAsyncClient = connections.get("default")
    return db


def _dialect(db: BaseDBAsyncClient) -> str:
    return str(db.capabilities.dialect)


def _sql(db: BaseDBAsyncClient, text: str) -> str:
    """Write queries with ``?``; PostgreSQL gets ``$1, $2, ...``."""
    if _dialect(db) != "postgres":
        return text
    return _numbered(text)


@lru_cache(maxsize=256)
def _numbered(text: str) -> str:
    # Kept: the same few statements come every request (4 of a dashboard's, ~5 us each).
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", text)


def _param(db: BaseDBAsyncClient, moment: datetime) -> Any:
    # Tortoise writes SQLite datetimes as ISO text in UTC; compare like with like.
    if _dialect(db) == "postgres":
        return moment.astimezone(UTC)
    return moment.astimezone(UTC).isoformat(sep=" ")


async def usage_totals(subscriber_id: int, first: date, last: date) -> UsageTotals:
    """Charges over the local days [first, last], by kind and roaming and by day.

    Read from the daily roll-up ``usage_day`` (kept by triggers, see
    ``detalka.models.usage_days``) in one statement: both groupings of the same rows, a few
    hundred instead of every record. Every total of a period (by category, by day, per
    report section) is a sum of these.
    """
    db = _db()
    bounds: list[Any] = [subscriber_id, first, last]
    if _dialect(db) != "postgres":
        bounds = [subscriber_id, first.isoformat(), last.isoformat()]
    where = "WHERE subscriber_id = ? AND day >= ? AND day <= ?"
    rows = await read_rows(
        db,
        _sql(
            db,
            "SELECT kind, roaming, SUM(charged), SUM(record_count), CAST(NULL AS DATE)"  # noqa: S608
            f" FROM usage_day {where} GROUP BY kind, roaming"
            " UNION ALL SELECT NULL, NULL, SUM(charged), NULL, day"
            f" FROM usage_day {where} GROUP BY day",
        ),
        bounds * 2,
    )
    kinds = {kind.value: kind for kind in UsageKind}
    to_date = date.fromisoformat
    by_kind: list[UsageTotal] = []
    by_day: dict[date, int] = {}
    for kind, roaming, kopecks, count, day in rows:
        if kind is not None:
            by_kind.append(UsageTotal(kinds[kind], bool(roaming), int(kopecks), int(count)))
        else:
            by_day[day if isinstance(day, date) else to_date(day)] = int(kopecks)
    return UsageTotals(by_kind, by_day)


async def package_units_used(
    subscriber_id: int, start: datetime, end: datetime
) -> dict[UsageKind, int]:
    db = _db()
    rows = await db.execute_query_dict(
        _sql(
            db,
            "SELECT kind, SUM(package_units) AS units FROM usage_record"
            " WHERE subscriber_id = ? AND occurred_at >= ? AND occurred_at < ?"
            " AND package_units > 0 GROUP BY kind",
        ),
        [subscriber_id, _param(db, start), _param(db, end)],
    )
    return {UsageKind(r["kind"]): int(r["units"]) for r in rows}


def usage_page_query(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    *,
    kinds: Sequence[UsageKind] | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> QuerySet[UsageRecord]:
    query = UsageRecord.filter(subscriber_id=subscriber_id, occurred_at__lt=end)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    return _keyset_page(query, start, after, limit)


async def usage_page(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    *,
    kinds: Sequence[UsageKind] | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[UsageRecord]:
    """One keyset page in (occurred_at, id) order: as cheap deep in the history as at its head."""
    return await usage_page_query(subscriber_id, start, end, kinds=kinds, after=after, limit=limit)


async def payments_page(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Payment]:
    query = Payment.filter(subscriber_id=subscriber_id, occurred_at__lt=end)
    return await _keyset_page(query, start, after, limit)


async def count_payments(subscriber_id: int, start: datetime, end: datetime) -> int:
    return await Payment.filter(
        subscriber_id=subscriber_id, occurred_at__gte=start, occurred_at__lt=end
    ).count()


async def main_balance_movement(
    subscriber_id: int, start: datetime, end: datetime
) -> tuple[Decimal, Decimal]:
    """(payments, charges taken from the main balance) in [start, end), summed in SQL."""
    db = _db()
    bounds = [subscriber_id, _param(db, start), _param(db, end)]
    paid = await db.execute_query_dict(
        _sql(
            db,
            "SELECT COALESCE(SUM(amount), 0) AS kopecks FROM payment"
            " WHERE subscriber_id = ? AND occurred_at >= ? AND occurred_at < ?",
        ),
        bounds,
    )
    charged = await db.execute_query_dict(
        _sql(
            db,
            "SELECT COALESCE(SUM(cost), 0) AS kopecks FROM usage_record"
            " WHERE subscriber_id = ? AND occurred_at >= ? AND occurred_at < ?"
            " AND charged_from = 'MAIN'",
        ),
        bounds,
    )
    return from_kopecks(int(paid[0]["kopecks"])), from_kopecks(int(charged[0]["kopecks"]))


@dataclass(frozen=True)
class BalanceMovement:
    """The main balance's movement over [start, end), and over [start, until) beside it."""

    payments: int  # how many payments in [start, end)
    paid: Decimal  # payments in [start, end)
    charged: Decimal  # charges taken from the main balance in [start, end)
    paid_since: Decimal  # the same over [start, until)
    charged_since: Decimal


async def balance_movement(
    subscriber_id: int, start: datetime, end: datetime, until: datetime | None = None
) -> BalanceMovement:
    """What ``main_balance_movement`` gives for [start, end) and for [start, until), and the
    period's payment count, in one statement: one scan of each table from ``start``."""
    db = _db()
    until = until if until is not None and until > end else end
    bounds = [_param(db, end), _param(db, end), subscriber_id, _param(db, start), _param(db, until)]
    where = "WHERE subscriber_id = ? AND occurred_at >= ? AND occurred_at < ?"
    _, rows = await db.execute_query(
        _sql(
            db,
            "SELECT p.n, p.paid, p.paid_since, u.charged, u.charged_since FROM"  # noqa: S608
            " (SELECT COUNT(CASE WHEN occurred_at < ? THEN 1 END) AS n,"
            " COALESCE(SUM(CASE WHEN occurred_at < ? THEN amount END), 0) AS paid,"
            f" COALESCE(SUM(amount), 0) AS paid_since FROM payment {where}) p,"
            " (SELECT COALESCE(SUM(CASE WHEN occurred_at < ? THEN cost END), 0) AS charged,"
            " COALESCE(SUM(cost), 0) AS charged_since FROM usage_record"
            f" {where} AND charged_from = 'MAIN') u",
        ),
        [*bounds, *bounds[1:]],
    )
    n, paid, paid_since, charged, charged_since = rows[0]
    return BalanceMovement(
        int(n),
        from_kopecks(int(paid)),
        from_kopecks(int(charged)),
        from_kopecks(int(paid_since)),
        from_kopecks(int(charged_since)),
    )


def _keyset_page(
    query: QuerySet[M], start: datetime, after: tuple[datetime, int] | None, limit: int
) -> QuerySet[M]:
    """The rows from ``start`` after the cursor in (occurred_at, id) order: a seek.

    The cursor's moment is the range's lower bound, so the index seeks straight to it. (As
    only an OR filter beside the period's start, every page scanned the index from the
    start of the period: a million-row report read half a billion entries.)
    """
    if after is None:
        return query.filter(occurred_at__gte=start).order_by("occurred_at", "id").limit(limit)
    moment, last_id = after
    return (
        query.filter(occurred_at__gte=max(moment, start))
        .filter(Q(occurred_at__gt=moment) | Q(occurred_at=moment, id__gt=last_id))
        .order_by("occurred_at", "id")
        .limit(limit)
    )
