"""Periodic reports: schedules over GraphQL, the periods they order, and racing schedulers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from detalka.models import DetailOrder, DetailSchedule, Subscriber
from detalka.models.enums import ScheduleFrequency
from detalka.resolvers.scheduling import next_run, previous_period, run_due_schedules
from detalka.settings import Settings
from tests.factories import make_region, subscriber_with_history
from tests.mail import Inbox
from tests.ordering import Ordering, global_id, pk_of
from tests.polling import eventually

SCHEDULE_FIELDS = """
  id frequency format sections email paused nextRunAt nextPeriod { from to timeZone }
"""
CREATE = f"""
mutation($input: DetailScheduleCreateInput!) {{
  detailScheduleCreate(input: $input) {{
    schedule {{ {SCHEDULE_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
UPDATE = f"""
mutation($input: DetailScheduleUpdateInput!) {{
  detailScheduleUpdate(input: $input) {{
    schedule {{ {SCHEDULE_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
DELETE = """
mutation($input: DetailScheduleDeleteInput!) {
  detailScheduleDelete(input: $input) { deletedId userErrors { code } }
}
"""
LIST = f"{{ viewer {{ detailSchedules {{ {SCHEDULE_FIELDS} }} }} }}"
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")  # UTC+10


async def _quiet(*_: int) -> None:
    return None


# --- the periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "today", "expected"),
    [
        ("MONTHLY", date(2026, 4, 1), (date(2026, 3, 1), date(2026, 3, 31))),
        ("MONTHLY", date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        ("MONTHLY", date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
        ("WEEKLY", date(2026, 11, 23), (date(2026, 11, 16), date(2026, 11, 22))),  # a Monday
        ("WEEKLY", date(2026, 11, 29), (date(2026, 11, 16), date(2026, 11, 22))),  # a Sunday
    ],
)
def test_the_previous_full_period(frequency: str, today: date, expected: tuple[date, date]) -> None:
    assert previous_period(ScheduleFrequency(frequency), today) == expected


def test_a_run_is_at_one_in_the_night_local_time_on_the_first_day() -> None:
    # 1 April 01:00 in Vladivostok is 31 March 15:00 UTC
    at = next_run(ScheduleFrequency.MONTHLY, VLADIVOSTOK, datetime(2026, 3, 15, tzinfo=UTC))
    assert at == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert next_run(ScheduleFrequency.MONTHLY, VLADIVOSTOK, at) == datetime(
        2026, 4, 30, 15, 0, tzinfo=UTC
    )
    monday = next_run(ScheduleFrequency.WEEKLY, VLADIVOSTOK, datetime(2026, 11, 25, tzinfo=UTC))
    assert monday == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Monday 30 Nov, 01:00 local


async def _far_east_subscriber() -> Subscriber:
    region = await make_region("PRI", "Приморский край", "Asia/Vladivostok")
    subscriber = await subscriber_with_history()
    await Subscriber.filter(id=subscriber.id).update(home_region_id=region.id)
    return await Subscriber.get(id=subscriber.id).select_related("home_region")


async def test_a_month_boundary_in_utc_plus_10_orders_the_right_month(db: Settings) -> None:
    # given a monthly schedule of a subscriber in Primorye, due on 1 April 01:00 local
    subscriber = await _far_east_subscriber()
    schedule = await DetailSchedule.create(
        subscriber=subscriber,
        frequency="MONTHLY",
        format="CSV",
        sections=["SUMMARY", "CALLS"],
        email="anna@example.com",
        next_run_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
    )
    # when the scheduler runs at 23:30 on 31 March local time, nothing is due yet
    await run_due_schedules(datetime(2026, 3, 31, 13, 30, tzinfo=UTC), notify=_quiet)
    assert not await DetailOrder.filter(schedule_id=schedule.id).exists()
    # and at 01:10 on 1 April local time (still 31 March in UTC) March is ordered
    made = await run_due_schedules(datetime(2026, 3, 31, 15, 10, tzinfo=UTC), notify=_quiet)
    (order,) = await DetailOrder.filter(schedule_id=schedule.id)
    assert order.id in [o.id for o in made]
    assert (order.period_from, order.period_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert order.delivery == "EMAIL" and order.email == "anna@example.com"
    assert order.schedule_id == schedule.id and order.sections == ["SUMMARY", "CALLS"]
    assert order.region_id == subscriber.home_region_id
    # and the next run is 1 May 01:00 local
    await schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 4, 30, 15, 0, tzinfo=UTC)


async def test_two_schedulers_at_once_make_one_order_per_schedule_and_period(
    db: Settings,
) -> None:
    subscriber = await _far_east_subscriber()
    due = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    schedules = [
        await DetailSchedule.create(
            subscriber=subscriber,
            frequency=frequency,
            format="PDF",
            sections=["SUMMARY"],
            email="anna@example.com",
            next_run_at=due,
        )
        for frequency in ("WEEKLY", "MONTHLY", "WEEKLY")
    ]
    moment = due + timedelta(minutes=1)
    rounds = await asyncio.gather(
        *(run_due_schedules(moment, notify=_quiet) for _ in range(4)), return_exceptions=True
    )
    assert not [r for r in rounds if isinstance(r, BaseException)], rounds
    # (the database is shared with other tests: only these schedules' orders count)
    made = [o.id for r in rounds if isinstance(r, list) for o in r]
    ids = [s.id for s in schedules]
    orders = await DetailOrder.filter(schedule_id__in=ids)
    assert sorted(o.schedule_id or 0 for o in orders) == sorted(ids)  # one each
    assert {o.id for o in orders} <= set(made) and len(made) == len(set(made))
    # and a later round in the same period orders nothing more
    await run_due_schedules(moment + timedelta(hours=1), notify=_quiet)
    assert await DetailOrder.filter(schedule_id__in=ids).count() == len(ids)


# --- over GraphQL -----------------------------------------------------------------------


async def _create(ordering: Ordering, **given: Any) -> Any:
    variables = {"input": {"frequency": "MONTHLY", "format": "PDF", **given}}
    return (await ordering.data(CREATE, variables))["detailScheduleCreate"]


async def test_a_schedule_is_created_listed_paused_resumed_and_deleted(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, _ = mailing
    # created on 24 November (Moscow): the first run is 1 December 01:00 for November
    created = await _create(ordering, sections=["CALLS", "SUMMARY"])
    assert created["userErrors"] == []
    schedule = created["schedule"]
    assert schedule["email"] == "petr@example.com"  # the address on file
    assert schedule["sections"] == ["SUMMARY", "CALLS"]
    assert schedule["nextRunAt"] == "2026-11-30T22:00:00+00:00"
    assert schedule["nextPeriod"] == {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "timeZone": "Europe/Moscow",
    }
    listed = (await ordering.data(LIST))["viewer"]["detailSchedules"]
    assert [s["id"] for s in listed] == [schedule["id"]]
    # paused: nothing is due
    update = {"id": schedule["id"], "paused": True}
    paused = (await ordering.data(UPDATE, {"input": update}))["detailScheduleUpdate"]
    assert paused["schedule"]["paused"] is True and paused["schedule"]["nextRunAt"] is None
    # resumed weekly: the next run is Monday 30 November for the week before it
    ordering.clock.advance(hours=1)
    update = {"id": schedule["id"], "paused": False, "frequency": "WEEKLY", "format": "XLSX"}
    resumed = (await ordering.data(UPDATE, {"input": update}))["detailScheduleUpdate"]["schedule"]
    assert resumed["frequency"] == "WEEKLY" and resumed["format"] == "XLSX"
    assert resumed["nextRunAt"] == "2026-11-29T22:00:00+00:00"
    assert resumed["nextPeriod"]["from"] == "2026-11-23"
    assert resumed["nextPeriod"]["to"] == "2026-11-29"
    deleted = (await ordering.data(DELETE, {"input": {"id": schedule["id"]}}))[
        "detailScheduleDelete"
    ]
    assert deleted == {"deletedId": schedule["id"], "userErrors": []}
    assert (await ordering.data(LIST))["viewer"]["detailSchedules"] == []


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"sections": []}, "NO_SECTIONS"),
        ({"email": "not-an-address"}, "EMAIL_INVALID"),
    ],
)
async def test_a_bad_schedule_is_a_user_error(
    mailing: tuple[Ordering, Inbox], given: dict[str, Any], code: str
) -> None:
    ordering, _ = mailing
    payload = await _create(ordering, **given)
    assert payload["schedule"] is None
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert await DetailSchedule.filter(subscriber_id=ordering.subscriber.id).count() == 0


async def test_someone_elses_schedule_cannot_be_changed_or_deleted(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, _ = mailing
    other = await subscriber_with_history()
    theirs = await DetailSchedule.create(
        subscriber=other,
        frequency="WEEKLY",
        format="CSV",
        sections=["SUMMARY"],
        email="other@example.com",
    )
    their_id = global_id("DetailSchedule", theirs.id)
    update = {"id": their_id, "paused": True}
    changed = (await ordering.data(UPDATE, {"input": update}))["detailScheduleUpdate"]
    assert [e["code"] for e in changed["userErrors"]] == ["NOT_FOUND"]
    deleted = (await ordering.data(DELETE, {"input": {"id": their_id}}))["detailScheduleDelete"]
    assert [e["code"] for e in deleted["userErrors"]] == ["NOT_FOUND"]
    assert await DetailSchedule.filter(id=theirs.id, paused=False).exists()


async def test_a_due_schedule_is_rendered_and_emailed(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, inbox = mailing
    created = await _create(ordering, format="CSV", email="scheduled@example.com")
    # when the first run is due (1 December 01:05 Moscow) and the scheduler's round comes
    ordering.clock.current = datetime(2026, 11, 30, 22, 5, tzinfo=UTC)
    await ordering.jobs.housekeeping()
    mine = await eventually(
        lambda: [m for m in inbox.messages if m["To"] == "scheduled@example.com"],
        explain="no email arrived",
    )
    # then November came by email, as a CSV
    (message,) = mine
    assert "01.11.2026–30.11.2026" in str(message["Subject"])
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".csv")
    # and the order records it (just after the server took the message)
    schedule_id = pk_of(created["schedule"]["id"])
    await eventually(
        DetailOrder.filter(schedule_id=schedule_id, delivery_status="SENT").exists,
        explain="the delivery was not recorded",
    )


# --- the scheduler process --------------------------------------------------------------


def test_the_scheduler_needs_a_shared_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from detalka.cli import main

    monkeypatch.setenv("DETALKA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DETALKA_BROKER_URL", "memory://")
    assert main(["scheduler", "--once"]) == 2
    assert "detalka serve" in capsys.readouterr().err


def test_one_scheduler_round_sends_the_minutely_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    import redis

    from detalka.cli import main

    monkeypatch.setenv("DETALKA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DETALKA_BROKER_URL", redis_url)
    assert main(["scheduler", "--once"]) == 0
    # (the housekeeping actors have a queue of their own, apart from renders and SMS)
    queued = redis.Redis.from_url(redis_url).hvals("dramatiq:housekeeping.msgs")
    actors = sorted(json.loads(m)["actor_name"] for m in queued)
    assert actors == [
        "ensure_usage_partitions",
        "purge_expired_documents",
        "purge_sign_in_state",
        "reap_stuck_orders",
        "run_due_schedules",
    ]
