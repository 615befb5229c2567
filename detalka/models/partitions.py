"""Monthly partitions of ``usage_record`` on PostgreSQL (migration 0006, docs/scale.md)."""

from __future__ import annotations

from datetime import date

from tortoise import connections

# Months made ahead of the current one: a scheduler that stops for a while still leaves
# every write a partition of its own month.
MONTHS_AHEAD = 3


async def is_partitioned() -> bool:
    db = connections.get("default")
    if str(db.capabilities.dialect) != "postgres":
        return False
    rows = await db.execute_query_dict(
        "SELECT relkind::text AS relkind FROM pg_class WHERE oid = to_regclass('usage_record')"
    )
    return bool(rows) and rows[0]["relkind"] == "p"


async def ensure_usage_partitions(today: date, months_ahead: int = MONTHS_AHEAD) -> int:
    """Create the partitions of this month to ``months_ahead`` ahead, and of any month whose
    rows sit in the DEFAULT partition (moved out into their own). Returns how many were
    made; 0 on SQLite or an unpartitioned table."""
    if not await is_partitioned():
        return 0
    year, month = divmod(today.year * 12 + today.month - 1 + months_ahead, 12)
    last = date(year, month + 1, 1)
    rows = await connections.get("default").execute_query_dict(
        "SELECT usage_record_ensure_partitions($1, $2) AS made", [today.replace(day=1), last]
    )
    return int(rows[0]["made"])


async def partitions() -> list[str]:
    """The partitions' names, oldest first (DEFAULT last)."""
    if not await is_partitioned():
        return []
    rows = await connections.get("default").execute_query_dict(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits"
        " WHERE inhparent = 'usage_record'::regclass ORDER BY 1"
    )
    names = [str(r["name"]) for r in rows]
    return sorted(names, key=lambda n: n == "usage_record_default")
