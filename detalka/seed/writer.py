"""Bulk writes of generated histories: plain tuples and raw SQL, one transaction a batch.

Model instances cost more than the rest of the seed together, so only the subscriber rows
(a handful a batch, their ids are needed) go through the ORM. Everything else is inserted
as tuples: ``COPY`` (asyncpg's ``copy_records_to_table``) on PostgreSQL, ``executemany``
on SQLite. Values are written exactly as tortoise writes them, so ORM reads and filters
work on these rows: money as integer kopecks, datetimes as aware UTC (on SQLite the text
``YYYY-MM-DD HH:MM:SS+00:00`` that tortoise's sqlite3 adapter produces), dates ISO.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from detalka.models import Subscriber
from detalka.models.enums import BalanceKind
from detalka.passwords import hash_password
from detalka.seed.history import History
from detalka.seed.reference import ReferenceIds

Row = tuple[Any, ...]

USAGE_COLUMNS = (
    "subscriber_id", "occurred_at", "kind", "direction", "counterparty", "duration_s",
    "volume_kb", "quantity", "zone", "roaming", "description", "cost", "charged_from",
    "package_units", "from_package",
)  # fmt: skip
PAYMENT_COLUMNS = ("subscriber_id", "occurred_at", "amount", "method", "description")
PROMISE_COLUMNS = (
    "subscriber_id", "amount", "fee", "taken_at", "due_at", "repaid", "repaid_at",
)  # fmt: skip
STATEMENT_COLUMNS = ("subscriber_id", "month", "opening", "payments", "charges", "closing")
BALANCE_COLUMNS = ("subscriber_id", "kind", "name", "amount", "expires_at")
_TABLES = (
    ("usage_record", USAGE_COLUMNS),
    ("payment", PAYMENT_COLUMNS),
    ("promised_payment", PROMISE_COLUMNS),
    ("monthly_statement", STATEMENT_COLUMNS),
    ("balance", BALANCE_COLUMNS),
)


def sqlite_datetime(at: datetime) -> str:
    """The text tortoise stores for an aware datetime on SQLite (its registered adapter)."""
    return at.astimezone(UTC).isoformat(" ")


class BulkWriter:
    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.conn = conn
        self.postgres = conn.capabilities.dialect == "postgres"

    async def write(self, histories: Sequence[History], refs: ReferenceIds) -> list[int]:
        """Insert the subscribers and all their rows in one transaction; their new ids."""
        ids: list[int] = []
        async with in_transaction(self.conn.connection_name) as tx:
            rows: dict[str, list[Row]] = {table: [] for table, _ in _TABLES}
            for history in histories:
                sid = await self._subscriber(tx, history, refs)
                ids.append(sid)
                self._collect(sid, history, rows)
            for table, columns in _TABLES:
                await self._insert(tx, table, columns, rows[table])
        return ids

    async def _subscriber(self, tx: BaseDBAsyncClient, h: History, refs: ReferenceIds) -> int:
        spec = h.spec
        subscriber = await Subscriber.create(
            using_db=tx,
            msisdn=spec.msisdn,
            full_name=spec.full_name,
            home_region_id=refs.regions[spec.region_code],
            tariff_id=refs.tariffs[spec.tariff_name],
            email=spec.email,
            password_hash=hash_password(spec.password) if spec.password else None,
            activated_at=spec.activated_at,
            deactivated_at=spec.deactivated_at,
        )
        return subscriber.id

    def _collect(self, sid: int, h: History, rows: dict[str, list[Row]]) -> None:
        at = self._datetime
        rows["usage_record"].extend((sid, at(r[0]), *r[1:]) for r in h.usage)
        rows["payment"].extend((sid, at(p[0]), *p[1:]) for p in h.payments)
        rows["promised_payment"].extend(
            (sid, p.amount, p.fee, at(p.taken_at), at(p.due_at), p.repaid,
             at(p.repaid_at) if p.repaid_at else None)
            for p in h.promises
        )  # fmt: skip
        rows["monthly_statement"].extend((sid, self._date(s[0]), *s[1:]) for s in h.statements)
        rows["balance"].append((sid, BalanceKind.MAIN, "Основной баланс", h.main_balance, None))
        if h.spec.bonus is not None:
            expires = at(h.spec.bonus.expires_at)
            rows["balance"].append(
                (sid, BalanceKind.BONUS, "Бонусный баланс", h.bonus_balance, expires)
            )

    def _datetime(self, at: datetime) -> Any:
        return at if self.postgres else sqlite_datetime(at)

    def _date(self, day: date) -> Any:
        return day if self.postgres else day.isoformat()

    async def _insert(
        self, tx: BaseDBAsyncClient, table: str, columns: Sequence[str], rows: list[Row]
    ) -> None:
        if not rows:
            return
        if self.postgres:
            async with tx.acquire_connection() as connection:
                await connection.copy_records_to_table(table, records=rows, columns=columns)
            return
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - constant names
        await tx.execute_many(sql, cast(list[list[Any]], rows))  # sqlite3 takes tuples too
