"""Report periods: calendar days, inclusive, in the home region's time zone (DESIGN.md 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from detalka.models.queries import TimeSlice
from detalka.resolvers.errors import ErrorCode, UserFacingError


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first instant of the first day, in UTC terms (aware)."""
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the last day (exclusive)."""
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def slices(self) -> list[TimeSlice]:
        """Split where the zone's UTC offset changes, so that SQL can use one offset a slice.

        Steps a week at a time; a week whose ends differ is split at the exact instant of
        the change (an offset changes a few times a year at most, never twice in a week).
        """
        slices: list[TimeSlice] = []

        def add(start: datetime, end: datetime, offset: int) -> None:
            if slices and slices[-1].offset_minutes == offset:
                slices[-1] = TimeSlice(slices[-1].start, end, offset)
            else:
                slices.append(TimeSlice(start, end, offset))

        day = self.first
        while day <= self.last:
            step = min(timedelta(days=7), self.last + timedelta(days=1) - day)
            start, end = local_midnight(day, self.zone), local_midnight(day + step, self.zone)
            before, after = _offset_minutes(start, self.zone), _offset_minutes(end, self.zone)
            if before == after:
                add(start, end, before)
            else:
                change = _change_instant(start, end, self.zone)
                add(start, change, before)
                add(change, end, after)
            day += step
        return slices


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of a local day, as a UTC datetime.

    UTC, not the local zone: SQLite compares datetimes as ISO text, so every bound must be
    written in the same offset as the stored values (UTC).
    """
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _change_instant(start: datetime, end: datetime, zone: ZoneInfo) -> datetime:
    """The first minute at which the offset differs from the one at ``start`` (bisection)."""
    offset = _offset_minutes(start, zone)
    low, high = start, end
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle <= low:
            break
        if _offset_minutes(middle, zone) == offset:
            low = middle
        else:
            high = middle
    return high


def _offset_minutes(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def month_of(moment: datetime, zone: ZoneInfo) -> Period:
    """The billing month (a calendar month in the zone) that contains ``moment``."""
    local = moment.astimezone(zone).date()
    first = local.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1), zone)


def checked_period(
    first: date,
    last: date,
    zone: ZoneInfo,
    now: datetime,
    horizon_years: int,
    field: str = "period",
) -> Period:
    """A period the rules allow, or a user error with its own code."""
    today = now.astimezone(zone).date()
    if first > last:
        raise UserFacingError(
            ErrorCode.PERIOD_REVERSED, "Начало периода позже его конца.", (field, "from")
        )
    if last > today:
        raise UserFacingError(
            ErrorCode.PERIOD_IN_FUTURE,
            f"Конец периода не может быть позже сегодняшнего дня ({today:%d.%m.%Y}).",
            (field, "to"),
        )
    horizon = _years_before(today, horizon_years)
    if first < horizon:
        raise UserFacingError(
            ErrorCode.PERIOD_BEFORE_HORIZON,
            f"История хранится {horizon_years} года: начало периода не раньше {horizon:%d.%m.%Y}.",
            (field, "from"),
        )
    return Period(first, last, zone)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
