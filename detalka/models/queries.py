"""The model-level queries every reader shares: the expenses field, the usage connection and
the report renderers all take their numbers from here, so totals always agree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from detalka.models.account import Payment
from detalka.models.enums import UsageKind
from detalka.models.money import from_kopecks
from detalka.models.usage import UsageRecord

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class TimeSlice:
    """[start, end) in UTC over which the local zone keeps ``offset_minutes``."""

    start: datetime
    end: datetime
    offset_minutes: int


@dataclass(frozen=True)
class UsageTotal:
    """Charges of one (local day, kind, roaming) group."""

    day: date
    kind: UsageKind
    roaming: bool
    kopecks: int
    count: int


def _db() -> BaseDBAsyncClient:
    db: BaseDBAsyncClient = connections.get("default")
    return db


def _dialect(db: BaseDBAsyncClient) -> str:
    return str(db.capabilities.dialect)


def _sql(db: BaseDBAsyncClient, text: str) -> str:
    """Write queries with ``?``; PostgreSQL gets ``$1, $2, ...``."""
    if _dialect(db) != "postgres":
        return text
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", text)


def _param(db: BaseDBAsyncClient, moment: datetime) -> Any:
    # Tortoise writes SQLite datetimes as ISO text in UTC; compare like with like.
    if _dialect(db) == "postgres":
        return moment.astimezone(UTC)
    return moment.astimezone(UTC).isoformat(sep=" ")


async def usage_totals(subscriber_id: int, first: date, last: date) -> list[UsageTotal]:
    """Charges per local day, kind and roaming over the local days [first, last].

    Read from the daily roll-up ``usage_day`` (kept by triggers, see
    ``detalka.models.usage_days``): a few rows a day instead of every record. Every total of
    a period (by category, by day, per report section) is a sum of these.
    """
    db = _db()
    bounds: list[Any] = [first, last]
    if _dialect(db) != "postgres":
        bounds = [first.isoformat(), last.isoformat()]
    _, rows = await db.execute_query(
        _sql(
            db,
            "SELECT day, kind, roaming, charged, record_count FROM usage_day"
            " WHERE subscriber_id = ? AND day >= ? AND day <= ?",
        ),
        [subscriber_id, *bounds],
    )
    kinds = {kind.value: kind for kind in UsageKind}
    to_date = date.fromisoformat
    return [
        UsageTotal(
            day if isinstance(day, date) else to_date(day),
            kinds[kind],
            bool(roaming),
            int(kopecks),
            int(count),
        )
        for day, kind, roaming, kopecks, count in rows
    ]


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
    query = UsageRecord.filter(
        subscriber_id=subscriber_id, occurred_at__gte=start, occurred_at__lt=end
    )
    if kinds:
        query = query.filter(kind__in=list(kinds))
    return await _keyset_page(query, after, limit)


async def payments_page(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Payment]:
    query = Payment.filter(subscriber_id=subscriber_id, occurred_at__gte=start, occurred_at__lt=end)
    return await _keyset_page(query, after, limit)


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


async def _keyset_page(
    query: QuerySet[M], after: tuple[datetime, int] | None, limit: int
) -> list[M]:
    """The rows after the cursor in (occurred_at, id) order: a seek, never an OFFSET."""
    if after is not None:
        moment, last_id = after
        query = query.filter(Q(occurred_at__gt=moment) | Q(occurred_at=moment, id__gt=last_id))
    return await query.order_by("occurred_at", "id").limit(limit)
