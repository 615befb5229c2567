"""The daily roll-up usage_day equals a direct aggregate over usage_record, whoever writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from detalka.models import Region, Subscriber, UsageDay, UsageRecord, ZoneOffset
from detalka.models.queries import usage_totals
from detalka.models.usage_days import rebuild_usage_days, sqlite_datetime, zone_offsets
from detalka.settings import Settings
from tests.factories import make_region, make_subscriber, make_tariff, unique_msisdn

Key = tuple[date, str, bool]


async def _subscriber(code: str, zone: str) -> Subscriber:
    tariff = await make_tariff(sms_price="1.50", megabyte_price="0.40")
    region = await make_region(code, code, zone)
    return await make_subscriber(None, region, tariff=tariff, full_name="Иванов Пётр")


async def _rolled_up(subscriber_id: int) -> dict[Key, tuple[int, int]]:
    rows = await UsageDay.filter(subscriber_id=subscriber_id).values_list(
        "day", "kind", "roaming", "charged", "record_count"
    )
    return {
        (day, str(kind), bool(roaming)): (int(charged * 100), count)
        for day, kind, roaming, charged, count in rows
    }


async def _direct(subscriber_id: int) -> dict[Key, tuple[int, int]]:
    """The same aggregate computed here, from the records and Python's zoneinfo."""
    subscriber = await Subscriber.get(id=subscriber_id).select_related("home_region")
    zone = ZoneInfo(subscriber.home_region.time_zone)
    found: dict[Key, tuple[int, int]] = {}
    for at, kind, roaming, cost in await UsageRecord.filter(
        subscriber_id=subscriber_id
    ).values_list("occurred_at", "kind", "roaming", "cost"):
        key = (at.astimezone(zone).date(), str(kind), bool(roaming))
        kopecks, count = found.get(key, (0, 0))
        found[key] = (kopecks + int(cost * 100), count + 1)
    return found


async def _assert_consistent(subscriber_id: int) -> dict[Key, tuple[int, int]]:
    direct = await _direct(subscriber_id)
    assert await _rolled_up(subscriber_id) == direct
    return direct


def _record(subscriber: Subscriber, at: datetime, cost: str, **extra: Any) -> UsageRecord:
    values: dict[str, Any] = {"kind": "CALL", "description": "Звонок"} | extra
    return UsageRecord(subscriber=subscriber, occurred_at=at, cost=Decimal(cost), **values)


async def test_inserts_updates_and_deletes_keep_the_roll_up_exact(db: Settings) -> None:
    # Kaliningrad is UTC+2: 22:30 UTC is already the next local day.
    subscriber = await _subscriber("RKGD", "Europe/Kaliningrad")
    evening = datetime(2026, 10, 14, 21, 30, tzinfo=UTC)  # 23:30 local, 14 October
    late = datetime(2026, 10, 14, 22, 30, tzinfo=UTC)  # 00:30 local, 15 October
    await _record(subscriber, evening, "10.00").save()
    await _record(subscriber, late, "2.50").save()
    await _record(subscriber, late, "1.00", kind="SMS", roaming=True).save()
    # bulk_create and raw SQL bypass the ORM's signals: the triggers still count them.
    await UsageRecord.bulk_create(
        [_record(subscriber, evening + timedelta(minutes=i), "0.10") for i in range(5)]
    )
    db_client = connections.get("default")
    postgres = db_client.capabilities.dialect == "postgres"
    at: Any = late if postgres else sqlite_datetime(late)
    sql = (
        "INSERT INTO usage_record (subscriber_id, occurred_at, kind, roaming, description, cost,"
        " charged_from, package_units, from_package) VALUES (?, ?, 'DATA', ?, 'Интернет', 77,"
        " 'MAIN', 0, ?)"
    )
    if postgres:
        sql = sql.replace("?", "$1", 1).replace("?", "$2", 1).replace("?", "$3", 1)
        sql = sql.replace("?", "$4", 1)
    await db_client.execute_query(sql, [subscriber.id, at, False, False])
    totals = await _assert_consistent(subscriber.id)
    assert totals[(date(2026, 10, 14), "CALL", False)] == (1050, 6)
    assert totals[(date(2026, 10, 15), "CALL", False)] == (250, 1)
    assert totals[(date(2026, 10, 15), "DATA", False)] == (77, 1)

    # A cost corrected, a record moved across local midnight, a kind changed.
    record = await UsageRecord.filter(subscriber_id=subscriber.id, cost=Decimal("10.00")).first()
    assert record is not None
    record.cost = Decimal("12.34")
    await record.save()
    await UsageRecord.filter(subscriber_id=subscriber.id, cost=Decimal("2.50")).update(
        occurred_at=late - timedelta(hours=1)  # back to 23:30 on 14 October
    )
    await UsageRecord.filter(subscriber_id=subscriber.id, kind="SMS").update(kind="MMS")
    # An update that touches no rolled-up column changes nothing.
    await UsageRecord.filter(subscriber_id=subscriber.id).update(description="Исправлено")
    totals = await _assert_consistent(subscriber.id)
    assert totals[(date(2026, 10, 14), "CALL", False)] == (1234 + 50 + 250, 7)
    assert (date(2026, 10, 15), "CALL", False) not in totals  # emptied groups go away
    assert (date(2026, 10, 15), "SMS", True) not in totals

    # Deletes: one record, then a whole day in one statement.
    await UsageRecord.filter(subscriber_id=subscriber.id, kind="MMS").delete()
    await UsageRecord.filter(subscriber_id=subscriber.id, cost=Decimal("0.10")).delete()
    totals = await _assert_consistent(subscriber.id)
    assert totals == {
        (date(2026, 10, 14), "CALL", False): (1234 + 250, 2),
        (date(2026, 10, 15), "DATA", False): (77, 1),
    }
    await UsageRecord.filter(subscriber_id=subscriber.id).delete()
    assert await _rolled_up(subscriber.id) == {}


async def test_the_roll_up_follows_the_home_region_and_its_zone(db: Settings) -> None:
    subscriber = await _subscriber("RPRI", "Asia/Vladivostok")  # UTC+10
    moment = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 01:00 on 2 March in Vladivostok
    await _record(subscriber, moment, "5.00").save()
    assert (date(2026, 3, 2), "CALL", False) in await _assert_consistent(subscriber.id)

    # The number moves to a region in another zone: its days are counted there.
    moscow = await make_region("RMOW", "RMOW", "Europe/Moscow")
    subscriber.home_region = moscow
    await subscriber.save()
    assert (date(2026, 3, 1), "CALL", False) in await _assert_consistent(subscriber.id)

    # The region itself gets another zone (saved through the ORM: offsets come first).
    moscow.time_zone = "Asia/Kamchatka"  # UTC+12
    await moscow.save()
    assert (date(2026, 3, 2), "CALL", False) in await _assert_consistent(subscriber.id)
    moscow.time_zone = "Europe/Moscow"
    await moscow.save()


async def test_expenses_read_the_roll_up_over_local_days(db: Settings) -> None:
    subscriber = await _subscriber("RKGD", "Europe/Kaliningrad")
    first_instant = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # 00:00 on 1 October, local
    await _record(subscriber, first_instant - timedelta(seconds=1), "1.00").save()
    await _record(subscriber, first_instant, "2.00").save()
    await _record(subscriber, first_instant, "3.00", kind="DATA", roaming=True).save()
    await _record(subscriber, first_instant + timedelta(days=2), "4.00").save()
    totals = await usage_totals(subscriber.id, date(2026, 10, 1), date(2026, 10, 31))
    assert sorted((t.kind.value, t.roaming, t.kopecks, t.count) for t in totals.by_kind) == [
        ("CALL", False, 600, 2),
        ("DATA", True, 300, 1),
    ]
    assert totals.by_day == {date(2026, 10, 1): 500, date(2026, 10, 3): 400}


async def test_rebuild_gives_what_the_triggers_kept(db: Settings) -> None:
    subscriber = await _subscriber("RKGD", "Europe/Kaliningrad")
    for hour in range(0, 48, 5):
        at = datetime(2026, 5, 1, tzinfo=UTC) + timedelta(hours=hour)
        await _record(subscriber, at, f"{hour}.25").save()
    kept = await _rolled_up(subscriber.id)
    await rebuild_usage_days([subscriber.id])
    assert await _rolled_up(subscriber.id) == kept == await _direct(subscriber.id)


async def test_sqlite_refuses_a_record_whose_zone_has_no_offsets(db: Settings) -> None:
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        pytest.skip("PostgreSQL has its own tz database")
    subscriber = await _subscriber("RKGD", "Europe/Kaliningrad")
    await ZoneOffset.filter(time_zone="America/Nome").delete()
    # A region written around the ORM: nobody wrote its zone's offsets.
    await client.execute_query(
        "INSERT INTO region (code, name, time_zone) VALUES ('RNOME', 'Ном', 'America/Nome')"
    )
    region = await Region.get(code="RNOME")
    stranger = await Subscriber.create(
        msisdn=unique_msisdn(),
        full_name="Без зоны",
        home_region=region,
        tariff_id=subscriber.tariff_id,
        activated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(IntegrityError, match="no zone_offset row"):
        await _record(stranger, datetime(2026, 1, 1, tzinfo=UTC), "1.00").save()
    assert not await UsageRecord.filter(subscriber_id=stranger.id).exists()


def test_zone_offsets_follow_the_tz_database() -> None:
    moscow = zone_offsets("Europe/Moscow")
    # Russia kept summer time until 2011, then UTC+4 until 26 October 2014, then UTC+3.
    assert moscow[-1] == (datetime(2014, 10, 25, 22, 0, tzinfo=UTC), 180)
    assert moscow[-2] == (datetime(2011, 3, 26, 23, 0, tzinfo=UTC), 240)
    assert zone_offsets("Europe/Kaliningrad")[-1][1] == 120
    assert zone_offsets("Asia/Vladivostok")[-1][1] == 600
