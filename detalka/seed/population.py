"""Who the subscribers are: number, name, tariff, lifetime, habits, trips, bonuses.

Everything here is drawn from ``random.Random`` instances derived from the seed, so the
same seed and ``now`` plan the same people. Rare traits (a deactivated number, one activated
inside the window, a bonus, an overdue promised payment) are spread by position instead of
by chance, so that even a small seed run has each of them.
"""

from __future__ import annotations

import random
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from detalka.models.enums import PaymentMethod
from detalka.seed.catalog import COUNTRIES, COUNTRY_WEIGHTS, REGIONS, TARIFF_BY_NAME, TARIFFS
from detalka.seed.people import email_for, msisdns, person
from detalka.seed.periods import window_start

DEMO_MSISDN = "+79001234567"
DEMO_REGION = "MOW"
DEMO_PASSWORD = "demo-password"  # the published demo login (DESIGN.md section 3)
DEMO_EMAIL = "demo@example.com"

_REGION_WEIGHTS = {"MOW": 28, "SPE": 14}  # the rest: 7 each
_TARIFF_WEIGHTS = {
    "Минимум": 15,
    "Базовый": 30,
    "Оптимальный": 28,
    "Максимум": 12,
    "Без абонентской платы": 15,
}
# Typical data volume a month in MB, by tariff: people pick a tariff that roughly fits.
_DATA_MB = {
    "Минимум": 2500,
    "Базовый": 7000,
    "Оптимальный": 15000,
    "Максимум": 26000,
    "Без абонентской платы": 150,
}
SERVICES: tuple[tuple[str, int], ...] = (
    ("Подписка «Музыка»", 16900),
    ("Подписка «Кино и сериалы»", 29900),
    ("Подписка «Книги»", 19900),
    ("Услуга «Кто звонил+»", 6000),
    ("Услуга «Определитель номера»", 3900),
)


@dataclass(frozen=True)
class Habits:
    """How much and how a subscriber talks, writes, browses and pays."""

    calls_per_day: float
    out_share: float
    sms_out_per_day: float
    sms_in_per_day: float
    mms_per_month: float
    sessions_per_day: float
    data_mb_per_month: float
    contacts: int
    autopay: int  # kopecks topped up automatically below the threshold, 0 = pays by hand
    low_balance: int  # kopecks: below this a subscriber tops up (or autopay fires)
    top_up: int  # kopecks, a usual manual top-up
    method: PaymentMethod  # of manual top-ups
    promised_propensity: float  # chance to take a promised payment once in the red


@dataclass(frozen=True)
class Trip:
    country: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Service:
    """A paid subscription, charged monthly on ``day`` of the month."""

    name: str
    price: int
    day: int


@dataclass(frozen=True)
class Bonus:
    amount: int
    granted_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class SubscriberSpec:
    history_seed: str
    msisdn: str
    full_name: str
    email: str | None
    password: str | None
    region_code: str
    tariff_name: str
    activated_at: datetime
    deactivated_at: datetime | None
    window_start: datetime
    now: datetime
    opening_balance: int
    habits: Habits
    trips: tuple[Trip, ...]
    services: tuple[Service, ...]
    bonus: Bonus | None
    # A promised payment taken then and never repaid: no top-up follows (the demo, debtors).
    outstanding_promise_at: datetime | None = None

    @property
    def start(self) -> datetime:
        """The first instant of generated history."""
        return max(self.activated_at, self.window_start)

    @property
    def end(self) -> datetime:
        return self.deactivated_at or self.now


def plan_subscribers(
    seed: int, count: int, months: int, now: datetime, taken: Container[str]
) -> Iterator[SubscriberSpec]:
    """``count`` subscribers, their numbers avoiding ``taken`` (and the demo number)."""
    now = _whole(now)
    numbers = msisdns(random.Random(f"detalka:{seed}:msisdn"), _Taken(taken))
    regions = [r.code for r in REGIONS]
    region_weights = [_REGION_WEIGHTS.get(code, 7) for code in regions]
    tariffs = [t.name for t in TARIFFS]
    tariff_weights = [_TARIFF_WEIGHTS[name] for name in tariffs]
    for index in range(count):
        rng = random.Random(f"detalka:{seed}:subscriber:{index}")
        region_code = rng.choices(regions, region_weights)[0]
        tariff_name = rng.choices(tariffs, tariff_weights)[0]
        who = person(rng)
        zone = ZoneInfo(next(r.time_zone for r in REGIONS if r.code == region_code))
        start = window_start(now, zone, months)
        activated, deactivated = _lifetime(rng, index, start, now)
        first = max(activated, start)
        last = deactivated or now
        yield SubscriberSpec(
            history_seed=f"detalka:{seed}:history:{index}",
            msisdn=next(numbers),
            full_name=who.full_name,
            email=email_for(rng, who) if rng.random() < 0.4 else None,
            password=None,
            region_code=region_code,
            tariff_name=tariff_name,
            activated_at=activated,
            deactivated_at=deactivated,
            window_start=start,
            now=now,
            opening_balance=rng.randrange(5000, 70000) if activated < start else 0,
            habits=_habits(rng, tariff_name),
            trips=_trips(rng, first, last),
            services=_services(rng),
            bonus=_bonus(rng, first, last, now) if index % 3 == 1 else None,
            outstanding_promise_at=_debt(rng, first, deactivated, now) if index % 25 == 3 else None,
        )


def demo_spec(months: int, now: datetime) -> SubscriberSpec:
    """The published demo account: a busy year with every kind of record in it."""
    now = _whole(now)
    zone = ZoneInfo("Europe/Moscow")
    start = window_start(now, zone, months)
    trip_start = max(start + timedelta(days=2), now - timedelta(days=55)).replace(
        hour=7, minute=40, second=0, microsecond=0
    )
    return SubscriberSpec(
        history_seed="detalka:demo:history",
        msisdn=DEMO_MSISDN,
        full_name="Смирнова Анна Сергеевна",
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        region_code=DEMO_REGION,
        tariff_name="Оптимальный",
        activated_at=(start - timedelta(days=3 * 365)).replace(hour=9, minute=12),
        deactivated_at=None,
        window_start=start,
        now=now,
        opening_balance=31250,
        habits=Habits(
            calls_per_day=5.0,
            out_share=0.55,
            sms_out_per_day=0.8,
            sms_in_per_day=1.5,
            mms_per_month=1.0,
            sessions_per_day=2.5,
            data_mb_per_month=27000,  # past the 25 GB package in most months
            contacts=45,
            autopay=0,
            low_balance=15000,
            top_up=100000,
            method=PaymentMethod.CARD,
            promised_propensity=0.8,
        ),
        trips=(Trip("Турция", trip_start, trip_start + timedelta(days=8, hours=6)),),
        services=(Service("Подписка «Музыка»", 16900, 12), Service(*SERVICES[3], 3)),
        bonus=Bonus(50000, max(start, now - timedelta(days=100)), now + timedelta(days=80)),
        outstanding_promise_at=(now - timedelta(hours=30)).replace(second=0),
    )


class _Taken:
    """Numbers in the database plus the demo number, which only the demo account gets."""

    def __init__(self, taken: Container[str]) -> None:
        self._taken = taken

    def __contains__(self, number: object) -> bool:
        return number == DEMO_MSISDN or number in self._taken


def _lifetime(
    rng: random.Random, index: int, start: datetime, now: datetime
) -> tuple[datetime, datetime | None]:
    if index % 8 == 5:  # joined during the window
        activated = start + (now - start) * rng.uniform(0.1, 0.7)
    else:
        activated = start - timedelta(days=rng.uniform(10, 6 * 365))
    # A SIM card is sold in the daytime: 04-12 UTC is daytime from Kaliningrad to Vladivostok.
    activated = activated.replace(hour=rng.randrange(4, 12), minute=rng.randrange(60))
    deactivated = None
    if index % 20 == 6:  # left before now
        first = max(activated, start)
        deactivated = first + (now - first) * rng.uniform(0.5, 0.9)
    return _whole(activated), _whole(deactivated) if deactivated else None


def _whole(at: datetime) -> datetime:
    """Whole seconds: the history's instants compare and print cleanly on every backend."""
    return at.replace(microsecond=0)


def _habits(rng: random.Random, tariff_name: str) -> Habits:
    activity = rng.lognormvariate(0, 0.45) * (2.2 if rng.random() < 0.08 else 1.0)
    fee = TARIFF_BY_NAME[tariff_name].monthly_fee
    autopay = rng.choice((50000, 100000, 150000)) + fee if rng.random() < 0.3 else 0
    light = tariff_name == "Без абонентской платы"
    return Habits(
        calls_per_day=3.8 * activity * (0.6 if light else 1.0),
        out_share=rng.uniform(0.4, 0.65),
        sms_out_per_day=0.6 * activity * rng.uniform(0.3, 2.0),
        sms_in_per_day=1.0 * rng.uniform(0.5, 1.5),
        mms_per_month=rng.choice((0.0, 0.2, 0.5, 1.0)),
        sessions_per_day=(0.4 if light else 1.5) * activity,
        data_mb_per_month=_DATA_MB[tariff_name] * activity * rng.lognormvariate(0, 0.35),
        contacts=rng.randrange(15, 70),
        autopay=autopay,
        low_balance=max(5000, fee // 4 + rng.randrange(0, 10000, 1000)),
        top_up=max(rng.choice((20000, 30000, 50000, 50000, 100000)), fee * 2),
        method=rng.choices(
            (PaymentMethod.CARD, PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER), (5, 2, 3)
        )[0],
        promised_propensity=rng.uniform(0.15, 0.75),
    )


def _trips(rng: random.Random, first: datetime, last: datetime) -> tuple[Trip, ...]:
    roll = rng.random()
    count = 2 if roll < 0.08 else 1 if roll < 0.35 else 0
    span = (last - first) / max(count, 1)
    trips = []
    for part in range(count):
        length = timedelta(days=rng.randrange(4, 15), hours=rng.randrange(24))
        room = span - length - timedelta(days=4)
        if room <= timedelta(0):
            continue
        begin = first + span * part + timedelta(days=2) + room * rng.random()
        country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0].name
        begin = _whole(begin)
        trips.append(Trip(country, begin, begin + length))
    return tuple(trips)


def _services(rng: random.Random) -> tuple[Service, ...]:
    roll = rng.random()
    count = 2 if roll < 0.1 else 1 if roll < 0.4 else 0
    chosen = rng.sample(SERVICES, count)
    return tuple(Service(name, price, rng.randrange(1, 29)) for name, price in chosen)


def _debt(
    rng: random.Random, first: datetime, deactivated: datetime | None, now: datetime
) -> datetime | None:
    """When a debtor took the promised payment they have not returned (overdue by now)."""
    taken = now - timedelta(days=rng.uniform(8, 20))
    return None if deactivated or taken < first + timedelta(days=5) else _whole(taken)


def _bonus(rng: random.Random, first: datetime, last: datetime, now: datetime) -> Bonus | None:
    earliest = max(first, now - timedelta(days=150))
    latest = last - timedelta(days=10)
    if latest <= earliest:
        return None
    granted = _whole(earliest + (latest - earliest) * rng.random())
    return Bonus(rng.randrange(100, 600, 50) * 100, granted, granted + timedelta(days=180))
