"""Periodic reports by email: create, change, pause and delete a subscriber's schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from detalka.errors import ErrorCode, Rejected, UserFacingError

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import DetailSchedule as DetailSchedule
from detalka.models import Subscriber
from detalka.models.enums import ReportFormat, ReportSection, ScheduleFrequency
from detalka.periods import Period
from detalka.resolvers.orders import checked_email, checked_recipient, checked_sections
from detalka.resolvers.scheduling import next_run, previous_period

MAX_SCHEDULES = 10


@dataclass(frozen=True)
class ScheduleRequest:
    frequency: ScheduleFrequency
    format: ReportFormat
    sections: list[ReportSection] | None
    email: str | None
    # Another address than the one on file: only for a caller who may read the account.
    any_email: bool = False


@dataclass(frozen=True)
class ScheduleChange:
    """``None`` leaves a setting as it is."""

    frequency: ScheduleFrequency | None = None
    format: ReportFormat | None = None
    sections: list[ReportSection] | None = None
    email: str | None = None
    paused: bool | None = None
    any_email: bool = False


def next_period(schedule: DetailSchedule, zone: ZoneInfo) -> Period | None:
    """What the next run will order; None while paused."""
    if schedule.paused or schedule.next_run_at is None:
        return None
    first, last = previous_period(schedule.frequency, schedule.next_run_at.astimezone(zone).date())
    return Period(first, last, zone)


async def create_schedule(
    subscriber: Subscriber, request: ScheduleRequest, now: datetime
) -> DetailSchedule:
    errors: list[UserFacingError] = []
    sections = checked_sections(request.sections, errors)
    email = checked_email(request.email, subscriber.email, errors)
    email = checked_recipient(email, subscriber.email, request.any_email, errors)
    if await DetailSchedule.filter(subscriber_id=subscriber.id).count() >= MAX_SCHEDULES:
        errors.append(
            UserFacingError(
                ErrorCode.TOO_MANY_SCHEDULES,
                f"Можно настроить не больше {MAX_SCHEDULES} рассылок.",
            )
        )
    if errors:
        raise Rejected(errors)
    zone = ZoneInfo(subscriber.home_region.time_zone)
    return await DetailSchedule.create(
        subscriber_id=subscriber.id,
        frequency=request.frequency,
        format=request.format,
        sections=[str(s) for s in sections],
        email=email,
        paused=False,
        next_run_at=next_run(request.frequency, zone, now),
    )


async def update_schedule(
    subscriber: Subscriber, schedule_id: int, change: ScheduleChange, now: datetime
) -> DetailSchedule:
    schedule = await _own(subscriber.id, schedule_id)
    errors: list[UserFacingError] = []
    if change.sections is not None:
        schedule.sections = [str(s) for s in checked_sections(change.sections, errors)]
    if change.email is not None:
        # An empty string is not "unchanged": it is an address that is missing.
        email = checked_email(change.email, None, errors)
        email = checked_recipient(email, subscriber.email, change.any_email, errors)
        if email is not None:
            schedule.email = email
    if errors:
        raise Rejected(errors)
    if change.format is not None:
        schedule.format = change.format
    retime = False
    if change.frequency is not None and change.frequency != schedule.frequency:
        schedule.frequency = change.frequency
        retime = True
    if change.paused is not None and change.paused != schedule.paused:
        schedule.paused = change.paused
        # Resuming starts from the next period: paused periods are not ordered afterwards.
        retime = retime or not change.paused
    if retime and not schedule.paused:
        zone = ZoneInfo(subscriber.home_region.time_zone)
        schedule.next_run_at = next_run(schedule.frequency, zone, now)
    await schedule.save()
    return schedule


async def delete_schedule(subscriber_id: int, schedule_id: int) -> DetailSchedule:
    """Orders it already made stay (their schedule link is cleared)."""
    schedule = await _own(subscriber_id, schedule_id)
    await schedule.delete()
    return schedule


async def _own(subscriber_id: int, schedule_id: int) -> DetailSchedule:
    schedule = await DetailSchedule.get_or_none(id=schedule_id, subscriber_id=subscriber_id)
    if schedule is None:
        raise Rejected([UserFacingError(ErrorCode.NOT_FOUND, "Рассылка не найдена.", ("id",))])
    return schedule


async def schedules_of(subscriber_id: int) -> list[DetailSchedule]:
    """The subscriber's schedules, oldest first, with the home region (its zone times them)."""
    query = DetailSchedule.filter(subscriber_id=subscriber_id).select_related(
        "subscriber__home_region"
    )
    return await query.order_by("created_at", "id")


async def schedules_by_ids(subscriber_id: int, ids: list[int]) -> list[DetailSchedule]:
    """Those of the schedules that are the subscriber's own, with the home region."""
    query = DetailSchedule.filter(id__in=ids, subscriber_id=subscriber_id)
    return await query.select_related("subscriber__home_region")
