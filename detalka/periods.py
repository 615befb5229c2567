"""Report periods: calendar days, inclusive, in the home region's time zone (DESIGN.md 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from detalka.errors import ErrorCode, UserFacingError


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


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of a local day, as a UTC datetime.

    UTC, not the local zone: SQLite compares datetimes as ISO text, so every bound must be
    written in the same offset as the stored values (UTC).
    """
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


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
