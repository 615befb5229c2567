"""Periodic reports: each due schedule orders the previous full week or month, by email.

A schedule is due at ``next_run_at``: 01:00 local time on the first day of a week (Monday)
or month, an hour after the period ended, so that late charge records of its last evening
are in. The period is the last full week or month before the moment the scheduler runs, in
the home region's zone, so a scheduler that was down catches up with the latest period only
(never a burst of old ones).

Exactly one order per schedule and period, however many schedulers run at once: the unique
(schedule, period_from) index decides, and the loser of the race makes nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from detalka.models import DetailOrder, DetailSchedule
from detalka.models.enums import DeliveryMethod, DeliveryStatus, ScheduleFrequency
from detalka.resolvers.orders import Notify

log = logging.getLogger(__name__)
RUN_AT = time(1, 0)  # local time on the first day of the next period


def previous_period(frequency: ScheduleFrequency, local_today: date) -> tuple[date, date]:
    """The last full week (Monday to Sunday) or calendar month before ``local_today``."""
    if frequency == ScheduleFrequency.WEEKLY:
        this_monday = local_today - timedelta(days=local_today.weekday())
        return this_monday - timedelta(days=7), this_monday - timedelta(days=1)
    first_of_this = local_today.replace(day=1)
    last_of_previous = first_of_this - timedelta(days=1)
    return last_of_previous.replace(day=1), last_of_previous


def next_run(frequency: ScheduleFrequency, zone: ZoneInfo, after: datetime) -> datetime:
    """The first run moment (UTC) strictly after ``after``."""
    local_day = after.astimezone(zone).date()
    while True:
        start = _period_start(frequency, local_day)
        moment = datetime.combine(start, RUN_AT, tzinfo=zone).astimezone(ZoneInfo("UTC"))
        if moment > after:
            return moment
        local_day = _next_period_start(frequency, start)


def _period_start(frequency: ScheduleFrequency, day: date) -> date:
    if frequency == ScheduleFrequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_period_start(frequency: ScheduleFrequency, start: date) -> date:
    if frequency == ScheduleFrequency.WEEKLY:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


async def run_due_schedules(now: datetime, *, notify: Notify) -> list[DetailOrder]:
    """Order what is due; returns the orders made here (to be dispatched to render)."""
    made: list[DetailOrder] = []
    due = await DetailSchedule.filter(paused=False, next_run_at__lte=now).select_related(
        "subscriber__home_region"
    )
    for schedule in due:
        subscriber = schedule.subscriber
        zone = ZoneInfo(subscriber.home_region.time_zone)
        first, last = previous_period(schedule.frequency, now.astimezone(zone).date())
        order: DetailOrder | None = None
        try:
            async with in_transaction():
                order = await DetailOrder.create(
                    subscriber_id=subscriber.id,
                    region_id=subscriber.home_region_id,
                    schedule_id=schedule.id,
                    period_from=first,
                    period_to=last,
                    format=schedule.format,
                    delivery=DeliveryMethod.EMAIL,
                    sections=list(schedule.sections),
                    email=schedule.email,
                    delivery_status=DeliveryStatus.PENDING,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            order = None
            log.info("schedule %s: the order for %s exists already", schedule.id, first)
        # Conditional: a concurrent scheduler that advanced it first wins, nothing repeats.
        await DetailSchedule.filter(id=schedule.id, next_run_at=schedule.next_run_at).update(
            next_run_at=next_run(schedule.frequency, zone, now)
        )
        if order is not None:
            made.append(order)
            await notify(subscriber.id, order.id)
    return made
