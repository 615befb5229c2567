"""History at scale on PostgreSQL: ``usage_record`` partitioned by month (migration 0006).
The migration converts a table that has rows; partitions are made ahead (and out of the
DEFAULT one) by the housekeeping round; the usage_day roll-up stays exact across
partitions; a month's query reads one partition (EXPLAIN)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise import connections

from detalka.models import UsageRecord, partitions
from detalka.resolvers.partitions import ensure_usage_partitions
from detalka.settings import Settings
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.test_usage_days import _assert_consistent, _record, _subscriber

pytestmark = pytest.mark.postgres

# Migrate a database to 0004 (before the partitioning) and seed the demo account's history
# into the plain table, in a process of its own (the test's Tortoise context stays apart).
BEFORE_0006 = """
import asyncio, sys
from datetime import UTC, datetime
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate
from detalka.db import database, tortoise_config
from detalka.seed import seed_database
from detalka.settings import load_settings

async def main():
    settings = load_settings()
    async with TortoiseContext():
        await migrate(config=tortoise_config(settings), target="detalka.0004_email_delivery_claim")
    async with database(settings):
        await seed_database(2, 3, 7, now=datetime(2026, 11, 20, tzinfo=UTC), progress=False)

asyncio.run(main())
"""
ROLL_UP = "SELECT subscriber_id, day, kind, roaming, charged, record_count FROM usage_day"


def _detalka(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], env=env, check=True, timeout=180, capture_output=True)


async def test_the_migration_converts_a_table_with_history(tmp_path: Path) -> None:
    # given a database of 0004 with three months of history in the plain table
    url = await _create_postgres_database()
    env = {"PATH": "/usr/bin:/bin", "DETALKA_DATABASE_URL": url, "DETALKA_DATA_DIR": str(tmp_path)}
    try:
        _detalka(env, "-c", BEFORE_0006)
        connection = await asyncpg.connect(url)
        try:
            rows_before = await connection.fetch("SELECT * FROM usage_record ORDER BY id")
            roll_up_before = sorted(map(tuple, await connection.fetch(ROLL_UP)))
            # when it is migrated
            _detalka(env, "-m", "detalka", "migrate")
            # then the table is partitioned by month with every row, and usage_day unchanged
            kind = await connection.fetchval(
                "SELECT relkind::text FROM pg_class WHERE oid = 'usage_record'::regclass"
            )
            assert kind == "p"
            rows_after = await connection.fetch("SELECT * FROM usage_record ORDER BY id")
            assert [tuple(r) for r in rows_after] == [tuple(r) for r in rows_before]
            assert len(rows_before) > 500
            assert sorted(map(tuple, await connection.fetch(ROLL_UP))) == roll_up_before
            names = {
                r["name"]
                for r in await connection.fetch(
                    "SELECT inhrelid::regclass::text AS name FROM pg_inherits"
                    " WHERE inhparent = 'usage_record'::regclass"
                )
            }
            assert {"usage_record_2026_08", "usage_record_2026_11"} <= names
            assert await connection.fetchval("SELECT count(*) FROM usage_record_default") == 0
            # and new rows keep their ids coming from the same sequence
            next_id = await connection.fetchval(
                "SELECT nextval(pg_get_serial_sequence('usage_record', 'id'))"
            )
            assert next_id > max(r["id"] for r in rows_before)
        finally:
            await connection.close()
    finally:
        await _drop_postgres_database(url)


def _postgres(settings: Settings) -> None:
    if settings.database_kind != "postgres":
        pytest.skip("partitions are PostgreSQL's; on SQLite the migration does nothing")


async def test_the_roll_up_stays_exact_across_partitions_and_the_default(db: Settings) -> None:
    _postgres(db)
    # given monthly partitions for autumn 2026 (the housekeeping round makes them)
    assert await partitions.ensure_usage_partitions(date(2026, 9, 1)) >= 0
    assert {"usage_record_2026_09", "usage_record_2026_10"} <= set(await partitions.partitions())
    subscriber = await _subscriber("RKGD", "Europe/Kaliningrad")
    september = datetime(2026, 9, 30, 21, 30, tzinfo=UTC)  # 23:30 local, 30 September
    october = datetime(2026, 10, 1, 0, 30, tzinfo=UTC)
    long_ago = datetime(2019, 3, 5, 12, 0, tzinfo=UTC)  # no partition: DEFAULT
    await UsageRecord.bulk_create(
        [_record(subscriber, september + timedelta(minutes=i), "1.00") for i in range(4)]
        + [_record(subscriber, october, "2.00"), _record(subscriber, long_ago, "5.00")]
    )
    await _assert_consistent(subscriber.id)
    # when a row moves across partitions, a cost changes, rows go from two partitions
    await UsageRecord.filter(subscriber_id=subscriber.id, cost=Decimal("2.00")).update(
        occurred_at=september - timedelta(days=2)
    )
    await UsageRecord.filter(subscriber_id=subscriber.id, occurred_at=september).update(
        occurred_at=october + timedelta(days=3), cost=Decimal("3.30")
    )
    await _assert_consistent(subscriber.id)
    await UsageRecord.filter(
        subscriber_id=subscriber.id, occurred_at__in=[september + timedelta(minutes=1), october]
    ).delete()
    await UsageRecord.filter(
        subscriber_id=subscriber.id, occurred_at=october + timedelta(days=3)
    ).delete()
    await _assert_consistent(subscriber.id)
    # and when the DEFAULT partition's month gets a partition of its own, rows move in it
    assert await partitions.ensure_usage_partitions(date(2026, 9, 1)) >= 1
    assert "usage_record_2019_03" in await partitions.partitions()
    where = await _partition_of(subscriber.id, long_ago)
    assert where == "usage_record_2019_03"
    # then usage_day still equals a recount
    totals = await _assert_consistent(subscriber.id)
    assert totals[(date(2019, 3, 5), "CALL", False)] == (500, 1)


async def _partition_of(subscriber_id: int, at: datetime) -> str:
    rows = await connections.get("default").execute_query_dict(
        "SELECT tableoid::regclass::text AS name FROM usage_record"
        " WHERE subscriber_id = $1 AND occurred_at = $2",
        [subscriber_id, at],
    )
    return str(rows[0]["name"])


def _relations(plan: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            found.add(plan["Relation Name"])
        for value in plan.values():
            found |= _relations(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= _relations(value)
    return found


async def _explain(start: datetime, end: datetime) -> set[str]:
    # The keyset page of the history (models/queries.py) over one period.
    rows = await connections.get("default").execute_query_dict(
        "EXPLAIN (FORMAT JSON) SELECT id, occurred_at, cost FROM usage_record"
        " WHERE subscriber_id = $1 AND occurred_at >= $2 AND occurred_at < $3"
        " ORDER BY occurred_at, id LIMIT 100",
        [1, start, end],
    )
    plan = rows[0]["QUERY PLAN"]
    import json

    return _relations(json.loads(plan) if isinstance(plan, str) else plan)


async def test_a_months_query_reads_one_partition(db: Settings) -> None:
    _postgres(db)
    await ensure_usage_partitions(datetime(2026, 9, 1, tzinfo=UTC))
    # a calendar month in UTC: its own partition only
    october = await _explain(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert october == {"usage_record_2026_10"}
    # a Moscow month (UTC+3) begins 3 hours before the UTC one: two partitions, no more
    moscow = await _explain(
        datetime(2026, 9, 30, 21, tzinfo=UTC), datetime(2026, 10, 31, 21, tzinfo=UTC)
    )
    assert moscow == {"usage_record_2026_09", "usage_record_2026_10"}


async def test_the_housekeeping_round_makes_the_months_ahead(db: Settings, tmp_path: Path) -> None:
    _postgres(db)
    import asyncio

    from detalka.jobs import actors
    from detalka.jobs.app import Jobs
    from detalka.jobs.runtime import WorkerProcess
    from tests.factories import MovableClock

    # given a clock in January 2031, which no partition covers yet
    jobs = Jobs.for_settings(
        db.model_copy(update={"data_dir": tmp_path}),
        MovableClock(datetime(2031, 1, 15, 12, tzinfo=UTC)),
    )
    assert "usage_record_2031_04" not in await partitions.partitions()
    # when the round's partitions message (the rest of the round would touch the other
    # tests' rows) runs on a worker of the housekeeping queue
    async with WorkerProcess(jobs.broker, queues={"housekeeping"}, shutdown_timeout_s=20):
        jobs.actor(actors.ensure_usage_partitions).send()
        await asyncio.to_thread(jobs.broker.join, "housekeeping")
    jobs.broker.close()
    # then January 2031 and the three months after it have partitions
    made = set(await partitions.partitions())
    assert {f"usage_record_2031_0{m}" for m in (1, 2, 3, 4)} <= made
