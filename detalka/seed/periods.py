"""Billing months: calendar months in the home region's time zone, as UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def local_month(at: datetime, zone: ZoneInfo) -> date:
    """The first day of the billing month that ``at`` falls in."""
    return at.astimezone(zone).date().replace(day=1)


def window_start(now: datetime, zone: ZoneInfo, months: int) -> datetime:
    """The start of the history: ``months`` full months before the month of ``now``."""
    return local_midnight(add_months(local_month(now, zone), -months), zone)


def month_bounds(first: date, last: date, zone: ZoneInfo) -> list[tuple[date, datetime]]:
    """Each month from ``first`` to ``last`` with its start, then the month after it."""
    bounds = []
    month = first
    while month <= add_months(last, 1):
        bounds.append((month, local_midnight(month, zone)))
        month = add_months(month, 1)
    return bounds


def days(first: datetime, last: datetime, zone: ZoneInfo) -> list[tuple[date, datetime]]:
    """The local days that ``[first, last]`` touches, each with its UTC start."""
    day = first.astimezone(zone).date()
    end = last.astimezone(zone).date()
    result = []
    while day <= end:
        result.append((day, local_midnight(day, zone)))
        day += timedelta(days=1)
    return result
