"""A read's rows, queued to SQLite's thread at once when no transaction holds the connection.

tortoise runs every SQLite statement under the connection's lock (one connection, one
thread): a dashboard request's four reads, gathered, went to the driver one at a time, each
after the event loop had come back to the one before -- at 32 clients, behind every other
request's work, with the driver's thread idle in between. A read outside a transaction
needs the lock only to stay out of one. When no one holds it, the read is queued to the
driver at once: aiosqlite runs its queue in order, and a transaction begun later takes the
lock and queues its ``BEGIN`` behind the read. While the lock is held (a transaction, a
write), the read waits for it as before. PostgreSQL (a pool) and reads inside a
transaction go through tortoise as they always did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import IntegrityError, OperationalError


async def read_rows(db: BaseDBAsyncClient, sql: str, params: list[Any]) -> Sequence[Any]:
    """The rows of a read, as ``db.execute_query(sql, params)`` gives them."""
    if db.capabilities.dialect == "sqlite" and not isinstance(db, TransactionalDBClient):
        connection = db._connection
        if connection is not None and not db._lock.locked():  # type: ignore[attr-defined]
            db.log.debug("%s: %s", sql, params)  # the statement's log line, as tortoise's
            return await _read_now(connection, sql, params)
    _, rows = await db.execute_query(sql, params)
    return rows


async def _read_now(connection: Any, sql: str, params: list[Any]) -> Sequence[Any]:
    # Loaded with aiosqlite already; an API on PostgreSQL never imports it.
    import sqlite3

    # No await between the lock's check and the read's place in aiosqlite's queue.
    try:
        return cast(Sequence[Any], await connection.execute_fetchall(sql, params))
    except sqlite3.OperationalError as exc:  # as tortoise's execute_query translates them
        raise OperationalError(exc) from exc
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(exc) from exc
