"""Benchmark: `viewer.expenses` over GraphQL against the same aggregates in raw SQL.

A table of about a million usage records (`seed_database(350, 12, 1)`); the heaviest
subscriber's last full year. The GraphQL path is a whole request through the ASGI app
(auth, parsing, validation, resolvers, JSON), which reads the daily roll-up ``usage_day``.
Two raw paths through the bare driver on the same database:

- the scan: charges grouped by local day, kind and roaming straight from ``usage_record``,
  what the question costs without the API and without the roll-up (the target's baseline:
  the GraphQL path at most 1.5 times this);
- the roll-up: the same rows read from ``usage_day``, so the difference to the GraphQL
  path is the API's own overhead.

All three run alternately; medians and their ratios are printed. Every path's total is
asserted equal before timing.

    .venv/bin/python bench/expenses_vs_sql.py [--backend sqlite|postgres] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from detalka.db import apply_migrations, open_database
from detalka.models import Session, Subscriber
from detalka.periods import local_midnight
from detalka.seed import seed_database
from detalka.settings import Settings
from detalka.web.app import create_app

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PERIOD = (date(2025, 11, 1), date(2026, 10, 31))
QUERY = """
query($p: PeriodInput!) { viewer { expenses(period: $p) {
  total { amount } byCategory { category amount { amount } count } byDay { date amount { amount } }
} } }
"""
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


async def main(backend: str, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="detalka-bench-"))
    database_url = ""
    if backend == "postgres":
        name = f"detalka_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(_env_file=None, data_dir=workdir, database_url=database_url)  # type: ignore[call-arg]
    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        report = await seed_database(350, 12, 1, now=NOW, progress=False)
        print(f"table: {report.usage_records:,} usage records ({backend})")
        await _compare(settings, runs)
    finally:
        await ctx.close_connections()
        if backend == "postgres":
            admin = await asyncpg.connect(ADMIN_URL)
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()


async def _compare(settings: Settings, runs: int) -> None:
    from tortoise import connections

    db = connections.get("default")
    rows = await db.execute_query_dict(
        "SELECT subscriber_id, COUNT(*) AS n FROM usage_record GROUP BY subscriber_id"
        " ORDER BY n DESC LIMIT 1"
    )
    heavy = await Subscriber.get(id=rows[0]["subscriber_id"]).select_related("home_region")
    zone = ZoneInfo(heavy.home_region.time_zone)
    start, end = local_midnight(PERIOD[0], zone), local_midnight(PERIOD[1] + timedelta(1), zone)
    offset = int(start.astimezone(zone).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    token = secrets.token_urlsafe(32)
    await Session.create(
        subscriber=heavy,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    in_period = await db.execute_query_dict(
        f"SELECT COUNT(*) AS n FROM usage_record WHERE subscriber_id = {heavy.id}"
    )
    print(f"heavy subscriber: {heavy.msisdn}, {in_period[0]['n']:,} records, zone {zone.key}")

    app = create_app(settings, open_db=False)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    variables = {"p": {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}}
    raw = await _raw_runner(settings, heavy.id, start, end, offset)
    rolled = await _rollup_runner(settings, heavy.id)
    rollup_rows = await db.execute_query_dict(
        f"SELECT COUNT(*) AS n FROM usage_day WHERE subscriber_id = {heavy.id}"
    )
    print(f"its usage_day rows (all time): {rollup_rows[0]['n']:,}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

        async def graphql() -> str:
            response = await http.post(
                "/graphql", json={"query": QUERY, "variables": variables}, headers=headers
            )
            body = response.json()
            assert "errors" not in body, body
            return str(body["data"]["viewer"]["expenses"]["total"]["amount"])

        api_total = await graphql()
        raw_total = await raw()
        rolled_total = await rolled()
        assert api_total == raw_total == rolled_total, (api_total, raw_total, rolled_total)
        api_times, raw_times, rolled_times = [], [], []
        for _ in range(runs):
            api_times.append(await _timed(graphql))
            raw_times.append(await _timed(raw))
            rolled_times.append(await _timed(rolled))
    api, sql = statistics.median(api_times), statistics.median(raw_times)
    sql_rolled = statistics.median(rolled_times)
    print(f"total {api_total} RUB over {PERIOD[0]}..{PERIOD[1]}, all three paths agree")
    print(f"GraphQL expenses         median {api * 1000:8.2f} ms over {runs} runs")
    print(f"raw SQL, usage_record    median {sql * 1000:8.2f} ms over {runs} runs")
    print(f"raw SQL, usage_day       median {sql_rolled * 1000:8.2f} ms over {runs} runs")
    print(f"ratio GraphQL/raw scan    {api / sql:.2f}  (target <= 1.5)")
    print(f"ratio GraphQL/raw roll-up {api / sql_rolled:.2f}  (the API's own overhead)")


async def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def _raw_runner(
    settings: Settings, subscriber_id: int, start: datetime, end: datetime, offset: int
):  # type: ignore[no-untyped-def]
    # The same aggregate the API runs: charges grouped by local day, kind and roaming.
    if settings.database_kind == "sqlite":
        connection = sqlite3.connect(settings.database_url.removeprefix("sqlite://"))
        grouped = (
            f"SELECT date(occurred_at, '{offset:+d} minutes'), kind, roaming, SUM(cost), COUNT(*)"
            " FROM usage_record WHERE subscriber_id = ? AND occurred_at >= ? AND occurred_at < ?"
            " GROUP BY 1, 2, 3"
        )
        params = (subscriber_id, start.isoformat(sep=" "), end.isoformat(sep=" "))

        async def run_sqlite() -> str:
            rows = connection.execute(grouped, params).fetchall()
            return f"{sum(r[3] for r in rows) / 100:.2f}"

        return run_sqlite
    pg = await asyncpg.connect(settings.database_url)
    grouped_pg = (
        f"SELECT CAST((occurred_at AT TIME ZONE 'UTC') + INTERVAL '{offset} minutes' AS DATE),"
        " kind, roaming, SUM(cost), COUNT(*) FROM usage_record"
        " WHERE subscriber_id = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY 1, 2, 3"
    )

    async def run_postgres() -> str:
        rows = await pg.fetch(grouped_pg, subscriber_id, start, end)
        return f"{sum(r[3] for r in rows) / 100:.2f}"

    return run_postgres


async def _rollup_runner(settings: Settings, subscriber_id: int):  # type: ignore[no-untyped-def]
    # The roll-up the API reads, through the bare driver: (day, kind, roaming) rows.
    first, last = PERIOD
    if settings.database_kind == "sqlite":
        connection = sqlite3.connect(settings.database_url.removeprefix("sqlite://"))
        query = (
            "SELECT day, kind, roaming, charged, record_count FROM usage_day"
            " WHERE subscriber_id = ? AND day >= ? AND day <= ?"
        )
        params = (subscriber_id, first.isoformat(), last.isoformat())

        async def run_sqlite() -> str:
            rows = connection.execute(query, params).fetchall()
            return f"{sum(r[3] for r in rows) / 100:.2f}"

        return run_sqlite
    pg = await asyncpg.connect(settings.database_url)
    query_pg = (
        "SELECT day, kind, roaming, charged, record_count FROM usage_day"
        " WHERE subscriber_id = $1 AND day >= $2 AND day <= $3"
    )

    async def run_postgres() -> str:
        rows = await pg.fetch(query_pg, subscriber_id, first, last)
        return f"{sum(r[3] for r in rows) / 100:.2f}"

    return run_postgres


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.runs))
