"""The daily roll-up of usage (``usage_day``) and the zone offsets SQLite needs for it.

``usage_day`` holds, per subscriber, local day (home region's zone), kind and roaming flag,
the sum of ``usage_record.cost`` and the number of records. Database triggers (migration
``0003_usage_day``) keep it in step with ``usage_record`` for every writer: inserts, updates,
deletes, a subscriber moved to another region, a region given another zone. The application
never writes it.

The local day needs the tz database. PostgreSQL has one (``AT TIME ZONE``); SQLite has
none, so its triggers read ``zone_offset``: each zone's UTC offsets from an instant on,
written here from Python's ``zoneinfo`` (the same tz database the API counts periods in).
A record whose zone has no offsets is refused by the trigger rather than filed under a
wrong day. Offsets are written for a region's zone before the region is saved through the
ORM, and for every region's zone whenever migrations are applied, which is also where a
newer tz database is noticed: a zone whose offsets changed has its subscribers' days
rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.signals import pre_save

from detalka.models.catalog import Region

#: Offsets are written for [SYNC_FROM, SYNC_TO); past the last change the last offset holds.
SYNC_FROM = datetime(1990, 1, 1, tzinfo=UTC)
SYNC_TO = datetime(2100, 1, 1, tzinfo=UTC)


def sqlite_day_sql(row: str) -> str:
    """The local day of usage row ``row`` (an alias, ``NEW`` or ``OLD``) on SQLite, or NULL."""
    return (
        f"(SELECT date({row}.occurred_at, z.offset_minutes || ' minutes')"  # noqa: S608 - constant SQL
        " FROM subscriber s JOIN region r ON r.id = s.home_region_id"
        f" JOIN zone_offset z ON z.time_zone = r.time_zone AND z.starts_at <= {row}.occurred_at"
        f" WHERE s.id = {row}.subscriber_id ORDER BY z.starts_at DESC LIMIT 1)"
    )


POSTGRES_DAY_SQL = "CAST(u.occurred_at AT TIME ZONE r.time_zone AS DATE)"


def rebuild_sql(dialect: str, subscribers: str) -> list[str]:
    """Statements that recompute ``usage_day`` for the subscribers selected by ``subscribers``
    (an SQL condition on ``subscriber_id``) from ``usage_record``."""
    insert = (
        "INSERT INTO usage_day (subscriber_id, day, kind, roaming, charged, record_count)"
        " SELECT u.subscriber_id, {day}, u.kind, u.roaming, SUM(u.cost), COUNT(*)"
        " FROM usage_record u{join} WHERE u.{subscribers} GROUP BY 1, 2, 3, 4"
    )
    if dialect == "postgres":
        join = (
            " JOIN subscriber s ON s.id = u.subscriber_id JOIN region r ON r.id = s.home_region_id"
        )
        day = POSTGRES_DAY_SQL
    else:
        join, day = "", sqlite_day_sql("u")
    return [
        f"DELETE FROM usage_day WHERE {subscribers}",  # noqa: S608 - constant SQL
        insert.format(day=day, join=join, subscribers=subscribers),
    ]


def zone_offsets(name: str) -> list[tuple[datetime, int]]:
    """(UTC instant, offset in minutes from then on) for a zone over [SYNC_FROM, SYNC_TO)."""
    zone = ZoneInfo(name)
    changes = [(SYNC_FROM, _minutes(SYNC_FROM, zone))]
    moment = SYNC_FROM
    while moment < SYNC_TO:
        following = moment + timedelta(days=1)
        if _minutes(following, zone) != changes[-1][1]:
            low, high = moment, following  # the offset at high differs: find the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _minutes(middle, zone) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high, _minutes(high, zone)))
        moment = following
    return changes


def _minutes(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    seconds = int(offset.total_seconds())
    assert seconds % 60 == 0, f"{zone.key} has an offset of {seconds} s at {moment}"
    return seconds // 60


def sqlite_datetime(at: datetime) -> str:
    """The text tortoise stores for an aware datetime on SQLite (UTC, ISO, space)."""
    return at.astimezone(UTC).isoformat(" ")


async def sync_zone_offsets(zones: Iterable[str], db: BaseDBAsyncClient | None = None) -> list[str]:
    """Write the offsets of ``zones`` on SQLite (a no-op on PostgreSQL); the zones changed.

    A zone that had other offsets before (a newer tz database) gets its subscribers'
    ``usage_day`` rows rebuilt in the same transaction.
    """
    client: BaseDBAsyncClient = db or connections.get("default")
    if client.capabilities.dialect == "postgres":
        return []
    changed = []
    for name in sorted(set(zones)):
        wanted = [(sqlite_datetime(at), minutes) for at, minutes in zone_offsets(name)]
        _, rows = await client.execute_query(
            "SELECT starts_at, offset_minutes FROM zone_offset WHERE time_zone = ?"
            " ORDER BY starts_at",
            [name],
        )
        if [(row[0], int(row[1])) for row in rows] == wanted:
            continue
        changed.append(name)
        await client.execute_query("DELETE FROM zone_offset WHERE time_zone = ?", [name])
        await client.execute_many(
            "INSERT INTO zone_offset (time_zone, starts_at, offset_minutes) VALUES (?, ?, ?)",
            [[name, at, minutes] for at, minutes in wanted],
        )
        if rows:
            subscribers = (
                "subscriber_id IN (SELECT s.id FROM subscriber s JOIN region r"
                " ON r.id = s.home_region_id WHERE r.time_zone = ?)"
            )
            for statement in rebuild_sql("sqlite", subscribers):
                await client.execute_query(statement, [name])
    return changed


async def sync_region_zones(db: BaseDBAsyncClient | None = None) -> list[str]:
    """Offsets for the zone of every region (run whenever migrations are applied)."""
    client: BaseDBAsyncClient = db or connections.get("default")
    _, rows = await client.execute_query("SELECT DISTINCT time_zone FROM region")
    return await sync_zone_offsets([row[0] for row in rows], client)


async def rebuild_usage_days(
    subscriber_ids: Sequence[int] | None = None, db: BaseDBAsyncClient | None = None
) -> None:
    """Recompute ``usage_day`` from ``usage_record``, for some subscribers or all.

    Never needed for consistency (the triggers keep it); for after a PostgreSQL tz database
    update that moved offsets of the past, and for tests.
    """
    client: BaseDBAsyncClient = db or connections.get("default")
    dialect = str(client.capabilities.dialect)
    condition = "subscriber_id IS NOT NULL"
    params: list[Any] = []
    if subscriber_ids is not None:
        ids = [int(i) for i in subscriber_ids]
        condition = f"subscriber_id IN ({', '.join(str(i) for i in ids) or 'NULL'})"
    for statement in rebuild_sql(dialect, condition):
        await client.execute_query(statement, params)


@pre_save(Region)
async def _region_zone_offsets(
    sender: type[Region],
    instance: Region,
    using_db: BaseDBAsyncClient | None,
    update_fields: Iterable[str] | None,
) -> None:
    """A region saved through the ORM has its zone's offsets first (its triggers need them)."""
    await sync_zone_offsets([instance.time_zone], using_db)
