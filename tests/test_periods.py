"""Periods in local time: whole days in the home region's zone, with their rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from detalka.errors import ErrorCode, UserFacingError
from detalka.periods import checked_period, month_of


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
