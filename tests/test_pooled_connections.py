"""PostgreSQL connections go back to the pool without asyncpg's reset statement, and nothing
in Detalka leaves session state on a connection for that statement to undo
(``detalka.db.keep_session_state``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise import connections

from detalka.settings import Settings

PACKAGE = Path(__file__).resolve().parent.parent / "detalka"
# SQL that would leave state on a pooled connection: a session setting (``SET`` at the start
# of a string or after a ``;``, not ``SET LOCAL``; ``set_config``), a session advisory lock,
# ``LISTEN``, a cursor that outlives its transaction.
SESSION_STATE = re.compile(
    r"""(["']|;\s*)SET\s+(?!LOCAL\b)|set_config\s*\(|pg_(try_)?advisory_lock"""
    r"""|pg_advisory_lock_shared|\bLISTEN\s|WITH\s+HOLD"""
)


def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("asyncpg's pool is PostgreSQL's")


async def test_a_read_outside_a_transaction_sends_no_reset_statement_on_release(
    db: Settings, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres_only(backend)
    # given every simple-query statement asyncpg sends (its reset goes through `execute`)
    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def recording(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", recording)
    # when a read runs, and its connection goes back to the pool
    _, rows = await connections.get("default").execute_query("SELECT 1 AS one")
    # then the read was the only statement: no "RESET ALL" round trip after it
    assert [dict(r) for r in rows] == [{"one": 1}]
    assert sent == []


async def test_a_transaction_left_open_is_still_rolled_back_when_its_connection_returns(
    db: Settings, backend: str
) -> None:
    _postgres_only(backend)
    # given a pooled connection in an open transaction that wrote a row
    pool = connections.get("default")._pool
    async with pool.acquire() as proxy:
        connection = proxy._con
        await proxy.execute("BEGIN")
        await proxy.execute(
            "INSERT INTO zone_offset (time_zone, starts_at, offset_minutes)"
            " VALUES ('Test/Left_Open', now(), 0)"
        )
        assert connection.is_in_transaction()
    # when it is back in the pool: then the transaction is over and the row was never there
    assert not connection.is_in_transaction()
    rows = await pool.fetch("SELECT 1 FROM zone_offset WHERE time_zone = 'Test/Left_Open'")
    assert rows == []


def test_no_statement_in_detalka_leaves_session_state_on_a_pooled_connection() -> None:
    # given every module of the package, migrations included
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for match in SESSION_STATE.finditer(text)
    ]
    # then none of them sets, locks or listens for the session: keep_session_state relies on it
    assert found == []
