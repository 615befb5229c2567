"""What a subscriber does, before any price: calls, messages, data sessions, fees, trips.

Times of day follow the local clock (home region, or the country of a trip): few events at
night, peaks at lunch and in the evening. Each kind of event comes as a Poisson count a day.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from detalka.models.enums import Direction, PackageKind, UsageKind
from detalka.seed.catalog import COUNTRY_BY_NAME, REGION_BY_CODE, TARIFF_BY_NAME, CountrySpec
from detalka.seed.people import (
    HOME_ZONE,
    SERVICE_SENDERS,
    SUPPORT_NUMBER,
    Contact,
    contacts,
    random_caller,
)
from detalka.seed.periods import add_months, days, local_midnight, month_bounds
from detalka.seed.population import SubscriberSpec, Trip

# Relative activity by local hour, 00-23: calls and messages, and data.
_CALL_HOURS = (
    1,
    0.4,
    0.2,
    0.15,
    0.15,
    0.3,
    1,
    3,
    6,
    8,
    9,
    9,
    10,
    9,
    9,
    9,
    9,
    10,
    11,
    11,
    10,
    8,
    5,
    2.5,
)
_DATA_HOURS = (3, 1.5, 1, 0.8, 0.8, 1, 2, 4, 6, 7, 7, 7, 8, 7, 7, 7, 7, 8, 9, 10, 10, 9, 7, 5)
_CALL_CUM = list(accumulate(_CALL_HOURS))
_DATA_CUM = list(accumulate(_DATA_HOURS))
_HOURS = range(24)
_MEDIAN_CALL_S = 90
_ONE_OFFS = (
    ("Покупка мелодии на гудок", 4900),
    ("Платный контент: игра «Судоку»", 9900),
    ("Подписка «Гороскоп на день», неделя", 3500),
)


class Event(NamedTuple):
    """One usage event and what billing needs to price it."""

    at: datetime
    kind: UsageKind
    description: str
    direction: Direction | None = None
    counterparty: str | None = None
    duration_s: int | None = None
    volume_kb: int | None = None
    quantity: int | None = None
    zone: str | None = None
    roaming: bool = False
    package: PackageKind | None = None  # units come from this package first
    units: int = 0  # minutes, messages, megabytes, or 1 for a fixed charge
    price: int = 0  # kopecks per unit past the package
    bonus_ok: bool = False  # may be paid from the bonus balance


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # plenty: the normal approximation is close and quick
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class Traffic:
    """The unpriced events of one subscriber's lifetime within the window, in time order."""

    def __init__(self, rng: random.Random, spec: SubscriberSpec) -> None:
        self.rng = rng
        self.spec = spec
        self.habits = spec.habits
        self.tariff = TARIFF_BY_NAME[spec.tariff_name]
        self.zone = ZoneInfo(REGION_BY_CODE[spec.region_code].time_zone)
        book = contacts(rng, REGION_BY_CODE[spec.region_code], spec.habits.contacts)
        self.contacts = book
        # Zipf-like: the first few people get most of the calls.
        self.contact_cum = list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(book))))

    def events(self) -> list[Event]:
        spec, out = self.spec, []
        for day, midnight in days(spec.start, spec.end, self.zone):
            out.extend(self._home_day(day, midnight))
        for trip in spec.trips:
            out.extend(self._trip(trip))
        out.extend(self._monthly_charges())
        kept = [e for e in out if spec.start <= e.at <= spec.end]
        kept.sort(key=_at)
        return kept

    # -- a day at home -------------------------------------------------------------------

    def _home_day(self, day: date, midnight: datetime) -> list[Event]:
        h, rng = self.habits, self.rng
        weekend = day.weekday() >= 5
        talk = 0.8 if weekend else 1.0
        events = []
        for at in self._times(midnight, h.calls_per_day * talk, _CALL_CUM):
            events.append(self._call(at, None))
        for at in self._times(midnight, h.sms_out_per_day * talk, _CALL_CUM):
            events.append(self._sms_out(at, None))
        for at in self._times(midnight, h.sms_in_per_day, _CALL_CUM):
            events.append(self._sms_in(at, None))
        for at in self._times(midnight, h.mms_per_month / 30, _CALL_CUM):
            events.append(self._mms(at))
        sessions = h.sessions_per_day * (1.15 if weekend else 1.0)
        mean_kb = h.data_mb_per_month * 1024 / max(h.sessions_per_day * 30.4, 0.1)
        for at in self._times(midnight, sessions, _DATA_CUM):
            kb = self._volume(mean_kb)
            events.append(
                Event(
                    at,
                    UsageKind.DATA,
                    "Мобильный интернет",
                    volume_kb=kb,
                    zone=HOME_ZONE,
                    package=PackageKind.DATA,
                    units=(kb + 1023) // 1024,
                    price=self.tariff.megabyte_price,
                    bonus_ok=True,
                )
            )
        if rng.random() < 0.08 / 30:
            name, price = rng.choice(_ONE_OFFS)
            at = midnight + timedelta(seconds=rng.randrange(9 * 3600, 22 * 3600))
            events.append(_fixed(at, UsageKind.ONE_TIME, name, price, bonus_ok=True))
        return [e for e in events if not self._abroad(e.at)]

    def _times(self, midnight: datetime, mean: float, hours: list[float]) -> list[datetime]:
        rng = self.rng
        count = poisson(rng, mean)
        if not count:
            return []
        chosen = rng.choices(_HOURS, cum_weights=hours, k=count)
        return [midnight + timedelta(seconds=hour * 3600 + rng.randrange(3600)) for hour in chosen]

    def _contact(self) -> Contact:
        return self.rng.choices(self.contacts, cum_weights=self.contact_cum)[0]

    def _duration(self) -> int:
        seconds = self.rng.lognormvariate(math.log(_MEDIAN_CALL_S), 1.0)
        return min(3600, max(3, int(seconds)))

    def _volume(self, mean_kb: float) -> int:
        sigma = 1.0
        return max(1, int(self.rng.lognormvariate(math.log(mean_kb) - sigma**2 / 2, sigma)))

    def _call(self, at: datetime, country: CountrySpec | None) -> Event:
        rng, outgoing = self.rng, self.rng.random() < self.habits.out_share
        seconds = self._duration()
        minutes = (seconds + 59) // 60
        direction = Direction.OUT if outgoing else Direction.IN
        if outgoing and country is None and rng.random() < 0.015:
            return Event(
                at,
                UsageKind.CALL,
                "Звонок в службу поддержки",
                direction,
                SUPPORT_NUMBER,
                seconds,
                zone=HOME_ZONE,
            )
        who = random_caller(rng) if not outgoing and rng.random() < 0.12 else self._contact()
        if country is not None:
            text = "Исходящий звонок в роуминге" if outgoing else "Входящий звонок в роуминге"
            price = country.minute_out if outgoing else country.minute_in
            return Event(
                at,
                UsageKind.CALL,
                text,
                direction,
                who.number,
                seconds,
                zone=country.name,
                roaming=True,
                units=minutes,
                price=price,
            )
        if outgoing:
            return Event(
                at,
                UsageKind.CALL,
                "Исходящий звонок",
                direction,
                who.number,
                seconds,
                zone=who.zone,
                package=PackageKind.VOICE,
                units=minutes,
                price=self.tariff.minute_price,
                bonus_ok=True,
            )
        return Event(
            at, UsageKind.CALL, "Входящий звонок", direction, who.number, seconds, zone=who.zone
        )

    def _sms_out(self, at: datetime, country: CountrySpec | None) -> Event:
        parts = self.rng.choices((1, 2, 3), (85, 12, 3))[0]
        to = self._contact()
        if country is not None:
            return Event(
                at,
                UsageKind.SMS,
                "Исходящее SMS в роуминге",
                Direction.OUT,
                to.number,
                quantity=parts,
                zone=country.name,
                roaming=True,
                units=parts,
                price=country.sms_out,
            )
        return Event(
            at,
            UsageKind.SMS,
            "Исходящее SMS",
            Direction.OUT,
            to.number,
            quantity=parts,
            zone=to.zone,
            package=PackageKind.SMS,
            units=parts,
            price=self.tariff.sms_price,
            bonus_ok=True,
        )

    def _sms_in(self, at: datetime, country: CountrySpec | None) -> Event:
        rng = self.rng
        sender = rng.choice(SERVICE_SENDERS) if rng.random() < 0.55 else self._contact().number
        if country is not None:
            return Event(
                at,
                UsageKind.SMS,
                "Входящее SMS в роуминге",
                Direction.IN,
                sender,
                quantity=1,
                zone=country.name,
                roaming=True,
            )
        return Event(
            at, UsageKind.SMS, "Входящее SMS", Direction.IN, sender, quantity=1, zone=HOME_ZONE
        )

    def _mms(self, at: datetime) -> Event:
        who, kb = self._contact(), self.rng.randrange(40, 600)
        if self.rng.random() < 0.5:
            return Event(
                at,
                UsageKind.MMS,
                "Исходящее MMS",
                Direction.OUT,
                who.number,
                volume_kb=kb,
                quantity=1,
                zone=who.zone,
                units=1,
                price=self.tariff.mms_price,
                bonus_ok=True,
            )
        return Event(
            at,
            UsageKind.MMS,
            "Входящее MMS",
            Direction.IN,
            who.number,
            volume_kb=kb,
            quantity=1,
            zone=who.zone,
        )

    # -- abroad --------------------------------------------------------------------------

    def _abroad(self, at: datetime) -> bool:
        return any(trip.start <= at < trip.end for trip in self.spec.trips)

    def _trip(self, trip: Trip) -> list[Event]:
        h, rng = self.habits, self.rng
        country = COUNTRY_BY_NAME[trip.country]
        zone = ZoneInfo(country.time_zone)
        events = []
        for _, midnight in days(trip.start, trip.end - timedelta(seconds=1), zone):
            fee_at = max(midnight + timedelta(minutes=1), trip.start)
            text = f"Суточная плата за роуминг, {country.name}"
            events.append(
                Event(
                    fee_at,
                    UsageKind.ROAMING,
                    text,
                    quantity=1,
                    zone=country.name,
                    roaming=True,
                    units=1,
                    price=country.daily_fee,
                )
            )
            for at in self._times(midnight, h.calls_per_day * 0.4, _CALL_CUM):
                events.append(self._call(at, country))
            for at in self._times(midnight, h.sms_out_per_day * 0.5, _CALL_CUM):
                events.append(self._sms_out(at, country))
            for at in self._times(midnight, h.sms_in_per_day, _CALL_CUM):
                events.append(self._sms_in(at, country))
            for at in self._times(midnight, 1.5, _DATA_CUM):
                kb = max(1, int(rng.lognormvariate(math.log(3000), 1.0)))
                events.append(
                    Event(
                        at,
                        UsageKind.DATA,
                        "Мобильный интернет в роуминге",
                        volume_kb=kb,
                        zone=country.name,
                        roaming=True,
                        units=(kb + 1023) // 1024,
                        price=country.megabyte,
                    )
                )
        return [e for e in events if trip.start <= e.at < trip.end]

    # -- monthly charges -----------------------------------------------------------------

    def _monthly_charges(self) -> list[Event]:
        spec, tariff, rng = self.spec, self.tariff, self.rng
        first = spec.start.astimezone(self.zone).date().replace(day=1)
        last = spec.end.astimezone(self.zone).date().replace(day=1)
        events = []
        for month, begins in month_bounds(first, last, self.zone)[:-1]:
            if tariff.monthly_fee:
                # Charged when the month starts, or a minute after activation in its month.
                at = max(begins, spec.activated_at + timedelta(minutes=1))
                text = f"Абонентская плата «{tariff.name}»"
                events.append(_fixed(at, UsageKind.SUBSCRIPTION_FEE, text, tariff.monthly_fee))
            month_days = (add_months(month, 1) - month).days
            for service in spec.services:
                day = month.replace(day=min(service.day, month_days))
                at = local_midnight(day, self.zone) + timedelta(
                    seconds=rng.randrange(8 * 3600, 12 * 3600)
                )
                events.append(_fixed(at, UsageKind.ONE_TIME, service.name, service.price, True))
        return events


def _fixed(at: datetime, kind: UsageKind, text: str, price: int, bonus_ok: bool = False) -> Event:
    return Event(at, kind, text, quantity=1, units=1, price=price, bonus_ok=bonus_ok)


def _at(event: Event) -> datetime:
    return event.at
