"""Keyset pages seek to the cursor: a deep page reads no more rows than the first one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise import connections

from detalka.models import UsageRecord
from detalka.models.queries import usage_page, usage_page_query
from detalka.settings import Settings
from tests.factories import make_subscriber

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


async def test_a_deep_page_seeks_to_its_cursor(db: Settings) -> None:
    # given 3,000 records in a month
    subscriber = await make_subscriber()
    await UsageRecord.bulk_create(
        [
            UsageRecord(
                subscriber_id=subscriber.id,
                occurred_at=START + timedelta(minutes=10 * n),
                kind="SMS",
                description="SMS",
                cost=Decimal("1.00"),
            )
            for n in range(3000)
        ],
        batch_size=1000,
    )
    pages = [await usage_page(subscriber.id, START, END, kinds=None, after=None, limit=1000)]
    while len(pages[-1]) == 1000:
        last = pages[-1][-1]
        after = (last.occurred_at, last.id)
        pages.append(
            await usage_page(subscriber.id, START, END, kinds=None, after=after, limit=1000)
        )
    assert sum(len(p) for p in pages) == 3000
    # when the third page is asked for
    last = pages[1][-1]
    query = usage_page_query(
        subscriber.id, START, END, kinds=None, after=(last.occurred_at, last.id), limit=1000
    )
    sql = query.sql(params_inline=True)
    connection = connections.get("default")
    if db.database_kind == "postgres":
        # then the index range starts at the cursor: nothing before it is read and dropped
        (row,) = await connection.execute_query_dict("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = row["QUERY PLAN"]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        nodes = _plan_nodes(plan[0]["Plan"])
        assert sum(n.get("Rows Removed by Filter", 0) for n in nodes) < 5, nodes
        assert sum(n.get("Actual Rows", 0) for n in nodes if "Index" in n["Node Type"]) <= 1001
    else:
        # SQLite seeks on one lower bound: it must be the cursor, not the period's start
        assert f"\"occurred_at\">='{last.occurred_at.isoformat()}'" in sql, sql
        assert START.isoformat() not in sql, sql
