"""Demo data: the rows the seed writes keep the domain's rules, checked on the real rows.

Money rules are recomputed from raw payments and usage records, never taken from the
statements the seed wrote. Every query is scoped to the subscribers the seed created,
because the session's database is shared with other modules.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.context import TortoiseContext

from detalka.db import apply_migrations, tortoise_config
from detalka.models import (
    Balance,
    MonthlyStatement,
    PackageAllowance,
    Payment,
    PromisedPayment,
    Region,
    Subscriber,
    Tariff,
    UsageRecord,
)
from detalka.models.enums import BalanceKind, Direction, PackageKind, PaymentMethod, UsageKind
from detalka.models.money import to_kopecks
from detalka.passwords import verify_password
from detalka.seed import SeedReport, ensure_demo_data, seed_database
from detalka.seed.history import generate_history
from detalka.seed.periods import add_months
from detalka.seed.population import DEMO_MSISDN, demo_spec, plan_subscribers
from detalka.settings import Settings
from tests.conftest import (
    SEED_MONTHS,
    SEED_NOW,
    _create_postgres_database,
    _drop_postgres_database,
    make_settings,
)

MINUTE = 60
PACKAGE_OF = {UsageKind.CALL: PackageKind.VOICE, UsageKind.SMS: PackageKind.SMS}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


# -- helpers ---------------------------------------------------------------------------------


class Crowd:
    """The seeded subscribers as the tests read them: zone, tariff and lifetime of each."""

    def __init__(self, rows: list[dict[str, Any]], tariffs: dict[int, Tariff]) -> None:
        self.ids = [row["id"] for row in rows]
        self.zone = {row["id"]: ZoneInfo(row["home_region__time_zone"]) for row in rows}
        self.tariff = {row["id"]: tariffs[row["tariff_id"]] for row in rows}
        self.start = {row["id"]: row["activated_at"] for row in rows}
        self.end = {row["id"]: row["deactivated_at"] or SEED_NOW for row in rows}
        self.msisdn = {row["id"]: row["msisdn"] for row in rows}

    def month(self, sid: int, at: datetime) -> date:
        return at.astimezone(self.zone[sid]).date().replace(day=1)

    def demo(self) -> int:
        found = [sid for sid, number in self.msisdn.items() if number == DEMO_MSISDN]
        assert found, "the seeded fixture must have created the demo account"
        return found[0]


async def crowd_of(report: SeedReport) -> Crowd:
    rows = await Subscriber.filter(id__in=report.subscriber_ids).values(
        "id", "msisdn", "tariff_id", "activated_at", "deactivated_at", "home_region__time_zone"
    )
    tariffs = {t.id: t for t in await Tariff.all().prefetch_related("allowances")}
    return Crowd(rows, tariffs)


def included(tariff: Tariff, kind: PackageKind) -> int:
    allowances: Sequence[PackageAllowance] = list(tariff.allowances)
    return next((a.included for a in allowances if a.kind == kind), 0)


def units_needed(kind: str, duration_s: int | None, volume_kb: int | None, qty: int | None) -> int:
    if kind == UsageKind.CALL:
        return -(-(duration_s or 0) // MINUTE)
    if kind == UsageKind.DATA:
        return -(-(volume_kb or 0) // 1024)
    return qty or 0


def local_hour(crowd: Crowd, sid: int, at: datetime) -> int:
    return at.astimezone(crowd.zone[sid]).hour


@asynccontextmanager
async def empty_database(backend: str, data_dir: Path) -> AsyncIterator[None]:
    """A fresh, migrated database of the session's backend, current for the block."""
    url = await _create_postgres_database() if backend == "postgres" else None
    settings = make_settings(data_dir, **({"database_url": url} if url else {}))
    try:
        await apply_migrations(settings)
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(settings))
            yield
    finally:
        if url:
            await _drop_postgres_database(url)


def fingerprint(seed: int, now: datetime) -> str:
    digest = hashlib.sha256()
    for spec in plan_subscribers(seed, 3, 2, now, taken=frozenset()):
        history = generate_history(spec)
        digest.update(repr((spec, history)).encode())
    return digest.hexdigest()


# -- 1. money ------------------------------------------------------------------------------


async def test_every_monthly_statement_balances_to_the_kopeck_and_chains_into_the_main_balance(
    seeded: SeedReport,
) -> None:
    # given the seeded subscribers and their raw payments and main-balance charges
    crowd = await crowd_of(seeded)
    paid: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    charged: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for sid, at, amount in await Payment.filter(subscriber_id__in=crowd.ids).values_list(
        "subscriber_id", "occurred_at", "amount"
    ):
        paid[sid, crowd.month(sid, at)] += amount
    for sid, at, cost in await UsageRecord.filter(
        subscriber_id__in=crowd.ids, charged_from=BalanceKind.MAIN, cost__not=0
    ).values_list("subscriber_id", "occurred_at", "cost"):
        charged[sid, crowd.month(sid, at)] += cost
    # when the statements and the main balances are read
    statements = await MonthlyStatement.filter(subscriber_id__in=crowd.ids).order_by(
        "subscriber_id", "month"
    )
    mains = {
        b.subscriber_id: b.amount
        for b in await Balance.filter(subscriber_id__in=crowd.ids, kind=BalanceKind.MAIN)
    }
    # then each month adds up, from the rows of that local month, and the months chain
    by_subscriber: dict[int, list[MonthlyStatement]] = defaultdict(list)
    for statement in statements:
        by_subscriber[statement.subscriber_id].append(statement)
    assert sorted(by_subscriber) == sorted(crowd.ids)
    for sid, months in by_subscriber.items():
        for previous, statement in zip([None, *months], months, strict=False):
            key = (sid, statement.month)
            assert statement.payments == paid.pop(key, Decimal(0)), key
            assert statement.charges == charged.pop(key, Decimal(0)), key
            assert statement.opening + statement.payments - statement.charges == statement.closing
            if previous is not None:
                assert statement.month == add_months(previous.month, 1)
                assert statement.opening == previous.closing
        assert months[-1].closing == mains[sid]
        assert months[-1].month == crowd.month(sid, crowd.end[sid])
    # and no payment or charge falls in a month without a statement
    assert not paid and not charged


async def test_raw_inserted_rows_are_found_by_an_orm_range_filter_and_read_back_exactly(
    seeded: SeedReport,
) -> None:
    # given the demo account, written with raw SQL, and the generator's own rows for it
    crowd = await crowd_of(seeded)
    demo = crowd.demo()
    generated = generate_history(demo_spec(SEED_MONTHS, SEED_NOW)).usage
    since, until = SEED_NOW - timedelta(days=45), SEED_NOW - timedelta(days=15)
    # when the ORM filters a range with aware datetimes and reads the rows
    found = await UsageRecord.filter(
        subscriber_id=demo, occurred_at__gte=since, occurred_at__lt=until
    ).order_by("occurred_at", "id")
    # then it finds exactly the generated rows of that range, in order, with exact values
    expected = [row for row in generated if since <= row[0] < until]
    assert len(found) == len(expected) > 100
    for record, row in zip(found, expected, strict=True):
        assert record.occurred_at == row[0]
        assert record.occurred_at.utcoffset() == timedelta(0)
        assert (record.kind, record.counterparty, record.description) == (row[1], row[3], row[9])
        assert to_kopecks(record.cost) == row[10]
        assert (record.package_units, record.from_package) == (row[12], row[13])


async def test_raw_datetimes_on_sqlite_are_stored_as_the_orm_stores_them(
    seeded: SeedReport, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz, there is no text to compare")
    # given a subscriber row written by the ORM and usage rows written raw
    conn = connections.get("default")
    sid = seeded.subscriber_ids[0]
    # when the stored text is read
    _, orm = await conn.execute_query(
        "SELECT activated_at AS at FROM subscriber WHERE id = ?", [sid]
    )
    _, raw = await conn.execute_query(
        "SELECT occurred_at AS at FROM usage_record WHERE subscriber_id = ? LIMIT 50", [sid]
    )
    # then both have the same shape: space separator, whole seconds, +00:00
    shape = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$")
    assert shape.match(orm[0]["at"])
    assert all(shape.match(row["at"]) for row in raw)


# -- 2. packages ---------------------------------------------------------------------------


async def test_package_use_stays_within_the_allowance_comes_first_and_only_the_excess_is_charged(
    seeded: SeedReport,
) -> None:
    # given the home-network calls, messages and data sessions, in billing order
    crowd = await crowd_of(seeded)
    records = await (
        UsageRecord.filter(
            subscriber_id__in=crowd.ids,
            kind__in=[UsageKind.CALL, UsageKind.SMS, UsageKind.DATA],
            roaming=False,
        )
        .order_by("subscriber_id", "occurred_at", "id")
        .values_list(
            "subscriber_id", "occurred_at", "kind", "direction", "counterparty", "duration_s",
            "volume_kb", "quantity", "cost", "package_units", "from_package",
        )
    )  # fmt: skip
    used: dict[tuple[int, date, PackageKind], int] = defaultdict(int)
    exhausted: set[tuple[int, date, PackageKind]] = set()
    excess_charged = split = 0
    # when each record is checked against its tariff
    for sid, at, kind, direction, party, seconds, kb, qty, cost, units, from_package in records:
        tariff = crowd.tariff[sid]
        assert from_package == (units > 0)
        if direction == Direction.IN or (kind == UsageKind.CALL and len(party) <= 4):
            assert (cost, units) == (0, 0), "incoming and service calls are free"
            continue
        package = PACKAGE_OF.get(kind, PackageKind.DATA)
        price = {
            PackageKind.VOICE: tariff.minute_price,
            PackageKind.SMS: tariff.sms_price,
            PackageKind.DATA: tariff.megabyte_price,
        }[package]
        needed = units_needed(kind, seconds, kb, qty)
        key = (sid, crowd.month(sid, at), package)
        # then the package is used first, never past what the tariff includes
        assert 0 <= units <= needed
        assert key not in exhausted or units == 0, "package units after the package ran out"
        used[key] += units
        assert used[key] <= included(tariff, package)
        # and only the excess is charged, at the tariff's price
        assert cost == (needed - units) * price
        if units < needed:
            exhausted.add(key)
            excess_charged += cost > 0
            split += units > 0
    assert excess_charged > 0, "no record was charged past its package"
    assert split > 0, "no record was split between the package and the price"


# -- 3. lifetime ---------------------------------------------------------------------------


async def test_no_record_or_payment_falls_outside_its_subscribers_lifetime_or_in_the_future(
    seeded: SeedReport,
) -> None:
    # given the seeded subscribers, one of them gone, one joined during the window
    crowd = await crowd_of(seeded)
    assert any(end < SEED_NOW for end in crowd.end.values()), "nobody was deactivated"
    window = SEED_NOW - timedelta(days=31 * SEED_MONTHS)
    assert any(start > window for start in crowd.start.values()), "nobody joined recently"
    # when every usage record, payment and promised payment is read
    rows = [
        *await UsageRecord.filter(subscriber_id__in=crowd.ids).values_list(
            "subscriber_id", "occurred_at"
        ),
        *await Payment.filter(subscriber_id__in=crowd.ids).values_list(
            "subscriber_id", "occurred_at"
        ),
        *await PromisedPayment.filter(subscriber_id__in=crowd.ids).values_list(
            "subscriber_id", "taken_at"
        ),
    ]
    # then each lies within [activated_at, deactivated_at or now]
    assert rows
    outside = [(s, at) for s, at in rows if not crowd.start[s] <= at <= crowd.end[s]]
    assert outside == []
    assert max(at for _, at in rows) <= SEED_NOW


# -- 4. determinism ------------------------------------------------------------------------


def test_the_same_seed_generates_identical_data_and_another_seed_different_data() -> None:
    # given a seed and a moment
    now = datetime(2026, 5, 20, 8, 0, 13, 250_000, tzinfo=UTC)
    # when the generator runs twice with it, and once with another seed
    first, again, other = fingerprint(11, now), fingerprint(11, now), fingerprint(12, now)
    # then the first two are identical to the bit and the third differs
    assert first == again
    assert other != first


async def test_the_written_rows_are_exactly_the_generators_output(seeded: SeedReport) -> None:
    # given the generator's history of the demo account
    crowd = await crowd_of(seeded)
    history = generate_history(demo_spec(SEED_MONTHS, SEED_NOW))
    # when its rows are read back from the database
    usage = await (
        UsageRecord.filter(subscriber_id=crowd.demo())
        .order_by("id")
        .values_list(
            "occurred_at", "kind", "direction", "counterparty", "duration_s", "volume_kb",
            "quantity", "zone", "roaming", "description", "cost", "charged_from",
            "package_units", "from_package",
        )
    )  # fmt: skip
    payments = await (
        Payment.filter(subscriber_id=crowd.demo())
        .order_by("id")
        .values_list("occurred_at", "amount", "method", "description")
    )
    # then they are the same rows in the same order
    as_written = [(*row[:10], to_kopecks(row[10]), *row[11:]) for row in usage]
    assert as_written == [tuple(row) for row in history.usage]
    assert [(at, to_kopecks(amount), m, t) for at, amount, m, t in payments] == history.payments


# -- 5. realism ----------------------------------------------------------------------------


async def test_calls_go_both_ways_mostly_in_the_local_daytime_and_last_minutes_not_hours(
    seeded: SeedReport,
) -> None:
    # given the seeded subscribers' calls at home
    crowd = await crowd_of(seeded)
    calls = await UsageRecord.filter(
        subscriber_id__in=crowd.ids, kind=UsageKind.CALL, roaming=False
    ).values_list("subscriber_id", "occurred_at", "direction", "duration_s")
    # when they are counted by local hour, direction and length
    hours = [local_hour(crowd, sid, at) for sid, at, _, _ in calls]
    outgoing = sum(direction == Direction.OUT for _, _, direction, _ in calls)
    durations = [seconds for *_, seconds in calls]
    # then both directions are common, nights are quiet and a typical call is short
    assert 0.3 < outgoing / len(calls) < 0.7
    assert sum(8 <= hour < 23 for hour in hours) / len(hours) > 0.85
    assert sum(1 <= hour < 6 for hour in hours) / len(hours) < 0.03
    assert 60 <= statistics.median(durations) <= 120
    assert max(durations) <= 3600
    assert any(seconds > 20 * MINUTE for seconds in durations)


async def test_an_average_subscriber_makes_a_few_hundred_records_a_month(
    seeded: SeedReport,
) -> None:
    # given the seeded statements (one per subscriber and billing month)
    crowd = await crowd_of(seeded)
    months = await MonthlyStatement.filter(subscriber_id__in=crowd.ids).count()
    # when the usage records are counted
    records = await UsageRecord.filter(subscriber_id__in=crowd.ids).count()
    # then there are about 200-300 a month (partial months pull the mean down a little)
    assert 150 <= records / months <= 400
    assert records == seeded.usage_records


async def test_roaming_happens_abroad_is_charged_daily_and_never_comes_from_a_package(
    seeded: SeedReport,
) -> None:
    # given the roaming records
    crowd = await crowd_of(seeded)
    roaming = await UsageRecord.filter(subscriber_id__in=crowd.ids, roaming=True).values_list(
        "kind", "zone", "package_units", "from_package", "cost", "direction"
    )
    # then there are some, each in a named country, none of them from a package
    assert roaming
    assert {zone for _, zone, *_ in roaming} <= {
        "Турция", "Египет", "ОАЭ", "Таиланд", "Грузия", "Армения", "Казахстан", "Италия",
    }  # fmt: skip
    assert all(units == 0 and not from_package for _, _, units, from_package, _, _ in roaming)
    # and abroad a daily fee is charged and even incoming calls cost money
    assert any(kind == UsageKind.ROAMING and cost > 0 for kind, *_, cost, _ in roaming)
    incoming = [cost for kind, *_, cost, d in roaming if kind == UsageKind.CALL and d == "IN"]
    assert incoming and all(cost > 0 for cost in incoming)


async def test_every_whole_month_of_a_lifetime_has_exactly_one_subscription_fee(
    seeded: SeedReport,
) -> None:
    # given the subscription fees
    crowd = await crowd_of(seeded)
    fees: dict[tuple[int, date], list[Decimal]] = defaultdict(list)
    for sid, at, cost, text in await UsageRecord.filter(
        subscriber_id__in=crowd.ids, kind=UsageKind.SUBSCRIPTION_FEE
    ).values_list("subscriber_id", "occurred_at", "cost", "description"):
        fees[sid, crowd.month(sid, at)].append(cost)
        assert text == f"Абонентская плата «{crowd.tariff[sid].name}»"
    # when each subscriber's whole months are listed
    whole = 0
    for sid in crowd.ids:
        tariff = crowd.tariff[sid]
        month = crowd.month(sid, SEED_NOW - timedelta(days=31 * SEED_MONTHS))
        while month < crowd.month(sid, crowd.end[sid]):
            begins = datetime.combine(month, datetime.min.time(), crowd.zone[sid])
            if tariff.monthly_fee and begins >= crowd.start[sid]:
                # then each has exactly one fee, of the tariff's amount
                assert fees[sid, month] == [tariff.monthly_fee], (sid, month)
                whole += 1
            month = add_months(month, 1)
    assert whole > 0
    # and no month has two
    assert all(len(costs) == 1 for costs in fees.values())


async def test_promised_payments_are_repaid_with_their_fee_and_some_are_still_owed(
    seeded: SeedReport,
) -> None:
    # given the promised payments and the money movements around them
    crowd = await crowd_of(seeded)
    promises = await PromisedPayment.filter(subscriber_id__in=crowd.ids)
    movements = set(
        await Payment.filter(subscriber_id__in=crowd.ids).values_list(
            "subscriber_id", "occurred_at", "amount", "method"
        )
    )
    fees = set(
        await UsageRecord.filter(
            subscriber_id__in=crowd.ids, description="Плата за обещанный платёж"
        ).values_list("subscriber_id", "occurred_at", "cost")
    )
    assert promises
    outstanding = overdue = 0
    for p in promises:
        sid = p.subscriber_id
        # then each was credited when taken, for 100-500 rubles, due in 3 to 7 days
        assert (sid, p.taken_at, p.amount, PaymentMethod.PROMISED_PAYMENT) in movements
        assert Decimal(100) <= p.amount <= Decimal(500) and Decimal(1) <= p.fee <= Decimal(50)
        assert timedelta(days=3) <= p.due_at - p.taken_at <= timedelta(days=7)
        debt = p.amount + p.fee - p.repaid
        if p.repaid_at is None:
            assert (p.repaid, debt) == (0, p.amount + p.fee)
            outstanding += 1
            overdue += p.due_at < SEED_NOW
            continue
        # and a repaid one was returned whole with its fee at a top-up
        assert debt == 0 and p.repaid_at >= p.taken_at
        assert (sid, p.repaid_at, -p.amount, PaymentMethod.PROMISED_REPAYMENT) in movements
        assert (sid, p.repaid_at, p.fee) in fees
    # and some are still owed, one of them past its due date
    assert outstanding > overdue >= 1
    assert len(fees) == len(promises) - outstanding


async def test_the_bonus_balance_pays_while_it_covers_a_charge_and_never_goes_negative(
    seeded: SeedReport,
) -> None:
    # given the bonus balances and what they paid for
    crowd = await crowd_of(seeded)
    bonuses = await Balance.filter(subscriber_id__in=crowd.ids, kind=BalanceKind.BONUS)
    paid_by_bonus = await UsageRecord.filter(
        subscriber_id__in=crowd.ids, charged_from=BalanceKind.BONUS
    ).values_list("subscriber_id", "occurred_at", "kind", "cost", "roaming")
    # then bonuses are never negative and run out before they expire
    assert bonuses and paid_by_bonus
    expiry = {b.subscriber_id: b.expires_at for b in bonuses}
    assert all(b.amount >= 0 and b.expires_at is not None for b in bonuses)
    for sid, at, kind, cost, roaming in paid_by_bonus:
        assert sid in expiry and at < expiry[sid]  # type: ignore[operator]
        assert cost > 0 and not roaming and kind != UsageKind.SUBSCRIPTION_FEE
    # and the demo's running bonus, from its grant, stays at or above zero
    demo = crowd.demo()
    grant = demo_spec(SEED_MONTHS, SEED_NOW).bonus
    assert grant is not None
    running = Decimal(grant.amount) / 100
    for sid, _, _, cost, _ in sorted(paid_by_bonus, key=lambda row: row[1]):
        if sid == demo:
            running -= cost
            assert running >= 0
    assert next(b.amount for b in bonuses if b.subscriber_id == demo) == running


async def test_people_numbers_and_texts_look_russian_and_real(seeded: SeedReport) -> None:
    # given the seeded subscribers and the texts of their records
    subscribers = await Subscriber.filter(id__in=seeded.subscriber_ids)
    texts = (
        await UsageRecord.filter(subscriber_id__in=seeded.subscriber_ids)
        .distinct()
        .values_list("description", flat=True)
    )
    parties = (
        await UsageRecord.filter(
            subscriber_id__in=seeded.subscriber_ids, counterparty__not_isnull=True
        )
        .distinct()
        .values_list("counterparty", flat=True)
    )
    # then names are three Russian words, numbers E.164 and texts in Russian
    assert len({s.msisdn for s in subscribers}) == len(subscribers)
    for s in subscribers:
        assert re.fullmatch(r"\+79\d{9}", s.msisdn)
        assert len(s.full_name.split()) == 3 and CYRILLIC.search(s.full_name)
    assert all(CYRILLIC.search(str(text)) for text in texts)
    assert all(re.fullmatch(r"\+7\d{10}|\d{3,4}", str(party)) for party in parties)
    assert any(s.email for s in subscribers)


async def test_the_demo_account_has_every_kind_of_record_a_trip_a_bonus_and_a_debt(
    seeded: SeedReport,
) -> None:
    # given the demo account
    crowd = await crowd_of(seeded)
    demo = crowd.demo()
    # when its records, payments, balances and promised payments are read
    kinds = set(await UsageRecord.filter(subscriber_id=demo).values_list("kind", flat=True))
    methods = set(await Payment.filter(subscriber_id=demo).values_list("method", flat=True))
    balances = {b.kind for b in await Balance.filter(subscriber_id=demo)}
    owed = await PromisedPayment.filter(subscriber_id=demo, repaid_at__isnull=True)
    # then it shows everything a report can show
    assert kinds == set(UsageKind)
    assert PaymentMethod.PROMISED_PAYMENT in methods and PaymentMethod.PROMISED_REPAYMENT in methods
    assert balances == {BalanceKind.MAIN, BalanceKind.BONUS}
    assert len(owed) == 1 and owed[0].due_at > SEED_NOW
    assert await UsageRecord.filter(subscriber_id=demo, roaming=True).exists()
    assert crowd.start[demo] < SEED_NOW - timedelta(days=31 * SEED_MONTHS)
    assert crowd.end[demo] == SEED_NOW


# -- 6. demo data on an empty database ---------------------------------------------------


async def test_demo_data_is_seeded_into_an_empty_database_once_and_the_demo_login_works(
    db: Settings, backend: str, tmp_path: Path
) -> None:
    async with empty_database(backend, tmp_path):
        # given an empty database
        assert not await Subscriber.exists()
        # when the demo data is ensured twice
        first = await ensure_demo_data(now=SEED_NOW)
        second = await ensure_demo_data(now=SEED_NOW)
        # then the first call seeds the catalog, the demo account and a crowd, the second nothing
        assert first is not None and second is None
        assert first.demo_created and first.subscribers == 26 and first.usage_records > 50_000
        assert await Subscriber.all().count() == 26
        assert {r.code for r in await Region.all()} >= {
            "MOW",
            "SPE",
            "BA",
            "KO",
            "KDA",
            "KGD",
            "PRI",
        }
        # and the demo account signs in with the published password, in Moscow
        demo = await Subscriber.get(msisdn=DEMO_MSISDN).prefetch_related("home_region")
        assert demo.home_region.code == "MOW" and demo.email == "demo@example.com"
        assert verify_password(demo.password_hash, "demo-password")
        assert not verify_password(demo.password_hash, "demo-password ")


async def test_seeding_again_reuses_the_catalog_and_skips_numbers_already_taken(
    db: Settings, backend: str, tmp_path: Path
) -> None:
    async with empty_database(backend, tmp_path):
        # given a database seeded once
        first = await seed_database(3, 1, 5, now=SEED_NOW, progress=False)
        regions = await Region.all().count()
        # when the same seed runs again
        again = await seed_database(3, 1, 5, now=SEED_NOW, progress=False)
        # then nothing of the catalog is created twice, and the numbers are all new
        assert (again.regions, again.stores, again.tariffs) == (0, 0, 0)
        assert first.regions >= 7 and await Region.all().count() == regions
        assert first.demo_created and not again.demo_created
        numbers = await Subscriber.all().values_list("msisdn", flat=True)
        assert len(numbers) == len(set(numbers)) == 7
