"""Usage records and payments as plain tuples, read in keyset pages through the driver.

The reports stream up to millions of rows. Through the ORM a row cost about 60 µs on this
stack: a model object per row (54% of a CSV render's read) and tortoise's own ISO 8601
parser on SQLite's text datetimes (26%). Here a row is one named tuple built from the
driver's row, its datetime parsed once by ``datetime.fromisoformat`` (SQLite) or given
aware by asyncpg (PostgreSQL), its money turned into ``Decimal`` once. Same rows, same
order, same values as the model path (``detalka.models.queries.usage_page``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from detalka.models.enums import UsageKind
from detalka.models.money import from_kopecks
from detalka.models.queries import _db, _dialect, _param, _sql
from detalka.models.reads import read_rows

PAGE = 1000


class UsageRow(NamedTuple):
    id: int
    occurred_at: datetime  # aware, UTC
    kind: str
    direction: str | None
    counterparty: str | None
    duration_s: int | None
    volume_kb: int | None
    quantity: int | None
    zone: str | None
    roaming: bool
    description: str
    cost: Decimal
    charged_from: str
    package_units: int
    from_package: bool


class PaymentRow(NamedTuple):
    id: int
    occurred_at: datetime  # aware, UTC
    method: str
    description: str
    amount: Decimal


_USAGE = (
    "SELECT id, occurred_at, kind, direction, counterparty, duration_s, volume_kb, quantity,"
    " zone, roaming, description, cost, charged_from, package_units, from_package"
    " FROM usage_record"
)
_PAYMENT = "SELECT id, occurred_at, method, description, amount FROM payment"
Cursor = tuple[datetime, int]  # (occurred_at, id) of the last row before


async def usage_page(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    *,
    kinds: Sequence[UsageKind] | None,
    after: Cursor | None,
    limit: int,
) -> list[UsageRow]:
    """One keyset page of charge events in (occurred_at, id) order (the usage connection)."""
    db = _db()
    cursor = None if after is None else (_param(db, after[0]), after[1])
    where, extra = _kinds(kinds)
    page = _Page(_USAGE, where, extra, subscriber_id, start, end, limit)
    return _usage_rows(await page.read(cursor))


async def payments_page(
    subscriber_id: int, start: datetime, end: datetime, *, after: Cursor | None, limit: int
) -> list[PaymentRow]:
    """One keyset page of payments in (occurred_at, id) order (the payments connection)."""
    db = _db()
    cursor = None if after is None else (_param(db, after[0]), after[1])
    page = _Page(_PAYMENT, "", [], subscriber_id, start, end, limit)
    return _payment_rows(await page.read(cursor))


async def usage_rows(
    subscriber_id: int, start: datetime, end: datetime, kinds: Sequence[UsageKind] | None
) -> AsyncIterator[UsageRow]:
    """Every charge event in [start, end) of these kinds, in (occurred_at, id) order."""
    where, extra = _kinds(kinds)
    async for rows in _Page(_USAGE, where, extra, subscriber_id, start, end, PAGE).all():
        for row in _usage_rows(rows):
            yield row


async def usage_pages(
    subscriber_id: int,
    start: datetime,
    end: datetime,
    kinds: Sequence[UsageKind],
    columns: Sequence[str],
) -> AsyncIterator[Sequence[Any]]:
    """The rows of ``usage_rows`` a page at a time as the driver gives them: ``id,
    occurred_at, *columns``, the moment as stored (read it with ``moment_parser()``), money
    in kopecks.

    For the reports, which turn a page into a section's cells in one pass: only the columns
    a section shows (a CALLS page of 15 columns cost as much to fetch as the whole
    hand-written read of 8), no named tuple, no generator a row in between.
    """
    unknown = set(columns) - set(UsageRow._fields)
    if unknown:
        raise ValueError(f"not columns of usage_record: {sorted(unknown)}")
    select = f"SELECT id, occurred_at, {', '.join(columns)} FROM usage_record"  # noqa: S608
    where, extra = _kinds(kinds)
    async for rows in _Page(select, where, extra, subscriber_id, start, end, PAGE).all():
        yield rows


async def payment_rows(
    subscriber_id: int, start: datetime, end: datetime
) -> AsyncIterator[PaymentRow]:
    """Every payment in [start, end), in (occurred_at, id) order."""
    async for rows in _Page(_PAYMENT, "", [], subscriber_id, start, end, PAGE).all():
        for row in _payment_rows(rows):
            yield row


def _kinds(kinds: Sequence[UsageKind] | None) -> tuple[str, list[Any]]:
    if not kinds:
        return "", []
    return f" AND kind IN ({', '.join('?' for _ in kinds)})", [str(kind) for kind in kinds]


def _usage_rows(rows: Sequence[Any]) -> list[UsageRow]:
    parse = moment_parser()
    return [
        UsageRow(
            r[0],
            parse(r[1]),
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            bool(r[9]),
            r[10],
            from_kopecks(r[11]),
            r[12],
            r[13],
            bool(r[14]),
        )
        for r in rows
    ]


def _payment_rows(rows: Sequence[Any]) -> list[PaymentRow]:
    parse = moment_parser()
    return [PaymentRow(r[0], parse(r[1]), r[2], r[3], from_kopecks(r[4])) for r in rows]


def moment_parser() -> Callable[[Any], datetime]:
    """SQLite keeps datetimes as ISO text in UTC (tortoise's format); asyncpg gives them aware."""
    if _dialect(_db()) == "postgres":
        return _as_is
    return datetime.fromisoformat


def _as_is(value: datetime) -> datetime:
    return value


class _Page:
    """A keyset read of one subscriber's rows in [start, end), ``limit`` at a time."""

    def __init__(
        self,
        select: str,
        where: str,
        extra: list[Any],
        subscriber_id: int,
        start: datetime,
        end: datetime,
        limit: int,
    ) -> None:
        self.db = _db()
        head = f"{select} WHERE subscriber_id = ? AND occurred_at < ?{where} AND occurred_at >= ?"
        self.first = _sql(self.db, f"{head} ORDER BY occurred_at, id LIMIT {int(limit)}")
        self.after = _sql(
            self.db,
            f"{head} AND (occurred_at > ? OR (occurred_at = ? AND id > ?))"
            f" ORDER BY occurred_at, id LIMIT {int(limit)}",
        )
        self.bounds = [subscriber_id, _param(self.db, end), *extra]
        self.start = _param(self.db, start)
        self.limit = limit

    async def read(self, cursor: tuple[Any, int] | None) -> Sequence[Any]:
        """The driver's rows after ``cursor`` (a stored moment and an id), or from the start.

        The cursor's moment is the range's lower bound, so the index seeks straight to it.
        """
        if cursor is None:
            rows = await read_rows(self.db, self.first, [*self.bounds, self.start])
        else:
            moment, last_id = cursor
            lower = max(moment, self.start)
            params = [*self.bounds, lower, moment, moment, last_id]
            rows = await read_rows(self.db, self.after, params)
        return rows

    async def all(self) -> AsyncIterator[Sequence[Any]]:
        """Every page. The cursor is the last row's stored value itself (ISO text on SQLite),
        so the seek compares exactly what the index holds, with no parsing in between."""
        rows = await self.read(None)
        while True:
            yield rows
            if len(rows) < self.limit:
                return
            rows = await self.read((rows[-1][1], rows[-1][0]))
