"""Periods in local time: whole days, and slices split exactly where the offset changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from detalka.resolvers.errors import ErrorCode, UserFacingError
from detalka.resolvers.periods import Period, checked_period, month_of


def test_a_period_without_offset_changes_is_one_slice_of_whole_local_days() -> None:
    period = Period(date(2026, 1, 1), date(2026, 12, 31), ZoneInfo("Asia/Vladivostok"))
    (only,) = period.slices()
    assert only.start == datetime(2025, 12, 31, 14, 0, tzinfo=UTC)
    assert only.end == datetime(2026, 12, 31, 14, 0, tzinfo=UTC)
    assert only.offset_minutes == 600


@pytest.mark.parametrize(
    ("zone", "changes"),
    [
        (
            "Europe/Berlin",
            [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
        ),
        ("Europe/Moscow", [datetime(2014, 10, 25, 22, tzinfo=UTC)]),  # +4 to +3 for good
    ],
)
def test_slices_split_exactly_at_each_offset_change(zone: str, changes: list[datetime]) -> None:
    first = changes[0].date() - timedelta(days=40)
    period = Period(first, first + timedelta(days=300), ZoneInfo(zone))
    slices = period.slices()
    assert [s.end for s in slices[:-1]] == changes
    assert all(a.end == b.start for a, b in pairwise(slices))
    assert slices[0].start == period.start and slices[-1].end == period.end
    for piece in slices:
        probe = piece.start + (piece.end - piece.start) / 2
        offset = probe.astimezone(ZoneInfo(zone)).utcoffset()
        assert offset == timedelta(minutes=piece.offset_minutes)


def test_a_billing_month_is_the_calendar_month_in_the_zone() -> None:
    zone = ZoneInfo("Europe/Kaliningrad")
    month = month_of(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), zone)  # 1 Nov 00:30 local
    assert (month.first, month.last) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2026, 11, 2), date(2026, 11, 1), ErrorCode.PERIOD_REVERSED),
        (date(2026, 11, 1), date(2026, 11, 25), ErrorCode.PERIOD_IN_FUTURE),
        (date(2023, 11, 23), date(2023, 11, 30), ErrorCode.PERIOD_BEFORE_HORIZON),
    ],
)
def test_period_rules_each_have_their_code(first: date, last: date, code: ErrorCode) -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    with pytest.raises(UserFacingError) as raised:
        checked_period(first, last, ZoneInfo("Europe/Moscow"), now, 3)
    assert raised.value.code == code


def test_today_in_the_far_east_may_already_be_tomorrow_in_utc() -> None:
    # 20:00 UTC on 24 November is 06:00 on 25 November in Vladivostok
    now = datetime(2026, 11, 24, 20, tzinfo=UTC)
    period = checked_period(
        date(2026, 11, 25), date(2026, 11, 25), ZoneInfo("Asia/Vladivostok"), now, 3
    )
    assert period.days == 1
