"""The account overview over HTTP: periods in local time, exact money, paging, no N+1."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from detalka.models import (
    Balance,
    Payment,
    PromisedPayment,
    Subscriber,
    UsageRecord,
)
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.factories import MovableClock, make_region, make_subscriber, make_tariff, usage

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
PASSWORD = "overview-password"

EXPENSES = """
query($period: PeriodInput!) {
  viewer { expenses(period: $period) {
    period { from to timeZone }
    total { amount currency }
    byCategory { category amount { amount } count }
    byDay { date amount { amount } }
  } }
}
"""
USAGE_PAGE = """
query($period: PeriodInput!, $first: Int, $after: String) {
  viewer { usage(period: $period, first: $first, after: $after) {
    edges { cursor node { id occurredAt kind cost { amount } } }
    pageInfo { hasNextPage endCursor }
  } }
}
"""
DASHBOARD = """
query($period: PeriodInput!) {
  viewer {
    msisdn tariff { name monthlyFee { amount } } homeRegion { code timeZone }
    balances { main { amount { amount } } additional { kind amount { amount } expiresAt }
               state promisedDebt { amount } }
    promisedPayments { amount { amount } fee { amount } outstanding { amount } overdue }
    packages { kind unit included used remaining periodEnd }
    expenses(period: $period) { total { amount } byCategory { category amount { amount } } }
    usage(period: $period, first: 100) { edges { node { kind cost { amount } } } }
    payments(period: $period, first: 100) { edges { node { amount { amount } method } } }
  }
}
"""


class Account(GraphQL):
    """The API as one subscriber calls it, in their region's time zone."""

    def __init__(
        self, http: httpx.AsyncClient, subscriber: Subscriber, token: str, zone: ZoneInfo
    ) -> None:
        super().__init__(http, token)
        self.subscriber, self.zone = subscriber, zone

    async def viewer(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return (await self.data(query, variables))["viewer"]

    def local(self, *args: int) -> datetime:
        return datetime(*args, tzinfo=self.zone).astimezone(UTC)  # type: ignore[misc]

    async def charge(self, at: datetime, cost: str, kind: str = "CALL", **extra: Any) -> None:
        await usage(self.subscriber.id, at, cost, kind, **extra).save()

    async def charge_all(self, charges: Iterable[tuple[datetime, str, str]]) -> None:
        """Many charges (moment, cost, kind) in one insert."""
        await UsageRecord.bulk_create(
            [usage(self.subscriber.id, at, cost, kind) for at, cost, kind in charges]
        )


async def open_account(
    db: Settings, tmp_path: Path, region_code: str, zone: str
) -> AsyncIterator[Account]:
    tariff = await make_tariff(
        monthly_fee="450.00",
        minute_price="2.50",
        mms_price="9.90",
        megabyte_price="0.50",
        packages=[
            {"kind": "VOICE", "name": "Минуты", "included": 300, "unit": "MINUTES"},
            {"kind": "DATA", "name": "Интернет", "included": 10240, "unit": "MEGABYTES"},
        ],
    )
    region = await make_region(region_code, region_code, zone)
    subscriber = await make_subscriber(
        PASSWORD, region, tariff=tariff, full_name="Петрова Анна Сергеевна"
    )
    settings = db.model_copy(update={"data_dir": tmp_path})
    app = create_app(settings, open_db=False, clock=MovableClock(NOW))
    async with asgi_http(app) as http:
        token = await GraphQL(http).sign_in(subscriber.msisdn, PASSWORD, region_code)
        yield Account(http, subscriber, token, ZoneInfo(zone))


@pytest.fixture
async def kaliningrad(db: Settings, tmp_path: Path) -> AsyncIterator[Account]:
    async for account in open_account(db, tmp_path, "KGD", "Europe/Kaliningrad"):
        yield account


@pytest.fixture
async def primorye(db: Settings, tmp_path: Path) -> AsyncIterator[Account]:
    async for account in open_account(db, tmp_path, "PRI", "Asia/Vladivostok"):
        yield account


@pytest.fixture(
    params=[("KGD", "Europe/Kaliningrad"), ("PRI", "Asia/Vladivostok")], ids=["KGD", "PRI"]
)
async def account(
    request: pytest.FixtureRequest, db: Settings, tmp_path: Path
) -> AsyncIterator[Account]:
    code, zone = request.param
    async for opened in open_account(db, tmp_path, code, zone):
        yield opened


def amount(money: dict[str, str]) -> Decimal:
    return Decimal(money["amount"])


async def test_a_period_is_whole_local_days_at_both_ends(account: Account) -> None:
    # given calls just inside and just outside October in the subscriber's own zone
    await account.charge(account.local(2026, 9, 30, 23, 50), "1.00")  # out: the day before
    await account.charge(account.local(2026, 10, 1, 0, 10), "2.00")  # in: first minutes
    await account.charge(account.local(2026, 10, 31, 23, 30), "4.00")  # in: last evening
    await account.charge(account.local(2026, 11, 1, 0, 30), "8.00")  # out: the day after
    # when October's expenses are asked for
    expenses = (await account.viewer(EXPENSES, {"period": OCTOBER}))["expenses"]
    # then exactly the two inside count, on their local days
    assert expenses["total"] == {"amount": "6.00", "currency": "RUB"}
    assert expenses["period"]["timeZone"] == account.zone.key
    by_day = {d["date"]: amount(d["amount"]) for d in expenses["byDay"]}
    assert len(by_day) == 31
    assert by_day["2026-10-01"] == Decimal("2.00")
    assert by_day["2026-10-31"] == Decimal("4.00")
    assert sum(by_day.values()) == Decimal("6.00")


async def test_expenses_are_split_by_category_with_roaming_apart(account: Account) -> None:
    day = account.local(2026, 10, 15, 12, 0)
    await account.charge(day, "10.10", "CALL")
    await account.charge(day, "0.20", "SMS")
    await account.charge(day, "9.90", "MMS")
    await account.charge(day, "5.55", "DATA", volume_kb=2048)
    await account.charge(day, "450.00", "SUBSCRIPTION_FEE")
    await account.charge(day, "99.00", "CALL", roaming=True, zone="Турция")
    await account.charge(day, "350.00", "ROAMING", roaming=True, zone="Турция")
    expenses = (await account.viewer(EXPENSES, {"period": OCTOBER}))["expenses"]
    categories = {c["category"]: (amount(c["amount"]), c["count"]) for c in expenses["byCategory"]}
    assert categories == {
        "CALLS": (Decimal("10.10"), 1),
        "MESSAGES": (Decimal("10.10"), 2),
        "MOBILE_INTERNET": (Decimal("5.55"), 1),
        "SUBSCRIPTION": (Decimal("450.00"), 1),
        "ROAMING": (Decimal("449.00"), 2),
    }
    assert amount(expenses["total"]) == Decimal("924.75")


async def test_expenses_total_equals_the_usage_connection_paged_through(account: Account) -> None:
    # given 230 charges over the month
    start = account.local(2026, 10, 1, 0, 0)
    await account.charge_all(
        (start + timedelta(hours=3 * i), f"{i % 7}.{i % 100:02d}", "CALL") for i in range(230)
    )
    # when the connection is paged through, 100 at a time
    seen: list[str] = []
    costs = Decimal(0)
    after = None
    while True:
        page = (
            await account.viewer(USAGE_PAGE, {"period": OCTOBER, "first": 100, "after": after})
        )["usage"]
        seen += [e["node"]["id"] for e in page["edges"]]
        costs += sum((amount(e["node"]["cost"]) for e in page["edges"]), Decimal(0))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then every record comes exactly once and the sums agree
    inside = await UsageRecord.filter(
        subscriber=account.subscriber,
        occurred_at__gte=start,
        occurred_at__lt=account.local(2026, 11, 1, 0, 0),
    ).count()
    assert len(seen) == len(set(seen)) == inside
    total = amount((await account.viewer(EXPENSES, {"period": OCTOBER}))["expenses"]["total"])
    assert total == costs


@pytest.mark.parametrize(
    ("period", "code"),
    [
        ({"from": "2026-10-31", "to": "2026-10-01"}, "PERIOD_REVERSED"),
        ({"from": "2026-11-01", "to": "2026-11-25"}, "PERIOD_IN_FUTURE"),
        ({"from": "2023-11-23", "to": "2023-12-01"}, "PERIOD_BEFORE_HORIZON"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"from": "yesterday", "to": "2026-03-01"}, "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_a_bad_period_is_a_clear_error_with_a_code(
    kaliningrad: Account, period: dict[str, str], code: str
) -> None:
    body = await kaliningrad.body(EXPENSES, {"period": period})
    if code.startswith("PERIOD_"):
        # a field's error: the rest of viewer stays, and the error names the field
        assert body["data"]["viewer"]["expenses"] is None
        assert body["errors"][0]["path"] == ["viewer", "expenses"]
    else:
        assert "data" not in body  # a request's error: no data at all
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["message"]


async def test_the_horizon_day_itself_and_today_are_allowed(kaliningrad: Account) -> None:
    period = {"from": "2023-11-24", "to": "2026-11-24"}
    expenses = (await kaliningrad.viewer(EXPENSES, {"period": period}))["expenses"]
    assert len(expenses["byDay"]) == 1097


@pytest.mark.parametrize(("first", "code"), [(101, "BAD_PAGE_SIZE"), (-1, "BAD_PAGE_SIZE")])
async def test_a_page_is_at_most_a_hundred(kaliningrad: Account, first: int, code: str) -> None:
    body = await kaliningrad.body(USAGE_PAGE, {"period": OCTOBER, "first": first})
    assert body["errors"][0]["extensions"]["code"] == code


async def test_a_forged_cursor_is_a_clear_error(kaliningrad: Account) -> None:
    body = await kaliningrad.body(USAGE_PAGE, {"period": OCTOBER, "after": "not-a-cursor"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_balances_debt_and_remainders_match_the_rows(primorye: Account) -> None:
    # given balances, promised payments and package use this month (November, local)
    subscriber = primorye.subscriber
    await Balance.create(
        subscriber=subscriber, kind="MAIN", name="Основной", amount=Decimal("-12.34")
    )
    await Balance.create(
        subscriber=subscriber,
        kind="BONUS",
        name="Бонусы",
        amount=Decimal("150.00"),
        expires_at=NOW + timedelta(days=30),
    )
    await Balance.create(
        subscriber=subscriber,
        kind="CASHBACK",
        name="Кешбэк",
        amount=Decimal("5.00"),
        expires_at=NOW - timedelta(days=1),
    )
    await PromisedPayment.create(
        subscriber=subscriber,
        amount=Decimal("300.00"),
        fee=Decimal("25.00"),
        taken_at=NOW - timedelta(days=10),
        due_at=NOW - timedelta(days=3),
        repaid=Decimal("100.00"),
    )
    await PromisedPayment.create(
        subscriber=subscriber,
        amount=Decimal("100.00"),
        fee=Decimal("7.00"),
        taken_at=NOW - timedelta(days=1),
        due_at=NOW + timedelta(days=2),
    )
    await PromisedPayment.create(
        subscriber=subscriber,
        amount=Decimal("200.00"),
        fee=Decimal("15.00"),
        taken_at=NOW - timedelta(days=40),
        due_at=NOW - timedelta(days=35),
        repaid=Decimal("215.00"),
        repaid_at=NOW - timedelta(days=36),
    )
    await primorye.charge(
        primorye.local(2026, 11, 1, 0, 5), "0.00", package_units=120, from_package=True
    )
    await primorye.charge(
        primorye.local(2026, 11, 20, 9, 0), "0.00", package_units=200, from_package=True
    )
    await primorye.charge(
        primorye.local(2026, 10, 31, 23, 55), "0.00", package_units=50, from_package=True
    )
    await primorye.charge(
        primorye.local(2026, 11, 3, 9, 0), "0.00", "DATA", package_units=2048, from_package=True
    )
    await Payment.create(
        subscriber=subscriber,
        occurred_at=primorye.local(2026, 10, 5, 10, 0),
        amount=Decimal("500.00"),
        method="CARD",
        description="Пополнение картой",
    )
    # when the dashboard is read
    viewer = await primorye.viewer(DASHBOARD, {"period": OCTOBER})
    # then every figure is what the rows say
    balances = viewer["balances"]
    assert balances["main"]["amount"] == {"amount": "-12.34"}
    assert [(b["kind"], b["amount"]["amount"]) for b in balances["additional"]] == [
        ("BONUS", "150.00")
    ]
    assert balances["state"] == "NEGATIVE"
    assert balances["promisedDebt"] == {"amount": "332.00"}
    outstanding = [(p["outstanding"]["amount"], p["overdue"]) for p in viewer["promisedPayments"]]
    assert outstanding == [("107.00", False), ("225.00", True), ("0.00", False)]
    packages = {p["kind"]: p for p in viewer["packages"]}
    assert (
        packages["VOICE"]["included"],
        packages["VOICE"]["used"],
        packages["VOICE"]["remaining"],
    ) == (300, 320, 0)
    assert (packages["DATA"]["used"], packages["DATA"]["remaining"]) == (2048, 8192)
    renews = datetime.fromisoformat(packages["VOICE"]["periodEnd"])
    assert renews == datetime(2026, 12, 1, tzinfo=ZoneInfo("Asia/Vladivostok"))
    assert [p["node"]["method"] for p in viewer["payments"]["edges"]] == ["CARD"]


async def test_the_dashboard_costs_the_same_queries_however_much_data(
    kaliningrad: Account, caplog: pytest.LogCaptureFixture
) -> None:
    async def count_queries() -> int:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await kaliningrad.viewer(DASHBOARD, {"period": OCTOBER})
        return len([r for r in caplog.records if r.name.startswith("tortoise.db_client")])

    day = kaliningrad.local(2026, 10, 10, 12, 0)
    await kaliningrad.charge(day, "1.00")
    small = await count_queries()
    await kaliningrad.charge_all(
        (day + timedelta(minutes=i), "1.00", "SMS" if i % 2 else "CALL") for i in range(150)
    )
    await Payment.bulk_create(
        [
            Payment(
                subscriber=kaliningrad.subscriber,
                occurred_at=day + timedelta(minutes=i),
                amount=Decimal("10.00"),
                method="CASH",
                description="Наличными",
            )
            for i in range(150)
        ]
    )
    large = await count_queries()
    assert small > 0
    assert large == small


async def test_a_usage_only_token_cannot_read_balances(kaliningrad: Account) -> None:
    created = await kaliningrad.body(
        'mutation { apiTokenCreate(input: {name: "u", scopes: ["usage:read"]}) { token } }'
    )
    token = created["data"]["apiTokenCreate"]["token"]
    kaliningrad.token = token
    body = await kaliningrad.body("{ viewer { balances { state } } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await kaliningrad.viewer(EXPENSES, {"period": OCTOBER}))["expenses"]["total"]
