"""Reads go to SQLite's thread at once when no transaction holds the connection, and never
into a transaction (``detalka.models.reads``)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from detalka.models.joined import balances_and_debt
from detalka.models.queries import usage_totals
from detalka.models.reads import read_rows
from detalka.settings import Settings

UNCOMMITTED = "SELECT time_zone FROM zone_offset WHERE time_zone = 'Test/Uncommitted'"


async def test_gathered_reads_on_sqlite_do_not_queue_for_the_connection_lock(
    db: Settings, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL reads take connections from a pool")
    # given the SQLite connection, open (tortoise opens it on first use, under its lock),
    # and its lock's acquisitions counted
    await read_rows(connections.get("default"), "SELECT 1", [])
    lock = connections.get("default")._lock
    taken: list[bool] = []
    acquire = lock.acquire

    async def counted() -> bool:
        taken.append(True)
        return bool(await acquire())

    monkeypatch.setattr(lock, "acquire", counted)
    # when a request's reads run together, outside any transaction
    found = await asyncio.gather(
        balances_and_debt(10**9), usage_totals(10**9, date(2026, 1, 1), date(2026, 1, 31))
    )
    # then each went to the driver without waiting its turn for the lock
    assert found[0] == ([], None) and found[1].by_kind == []
    assert taken == []


async def test_a_read_waits_for_an_open_transaction_and_never_sees_its_rows(
    db: Settings,
) -> None:
    # given a reader that starts outside the transaction below, once it has written a row
    written = asyncio.Event()

    async def reader() -> list[Any]:
        await written.wait()
        return list(await read_rows(connections.get("default"), UNCOMMITTED, []))

    task = asyncio.create_task(reader())
    # when the transaction writes, lets the reader run, and is then rolled back
    with pytest.raises(RuntimeError, match="roll back"):
        async with in_transaction() as connection:
            await connection.execute_query(
                "INSERT INTO zone_offset (time_zone, starts_at, offset_minutes)"
                " VALUES ('Test/Uncommitted', '2026-01-01 00:00:00+00:00', 0)"
            )
            written.set()
            for _ in range(20):  # the reader's turns on the loop, while the row is there
                await asyncio.sleep(0)
            raise RuntimeError("roll back")
    # then the reader never saw the row that was never committed
    assert await task == []
