"""The account overview: balances, promised payments, packages, expenses for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import Balance as Balance
from detalka.models import PackageAllowance, PromisedPayment
from detalka.models.enums import BalanceKind, PackageKind, UsageKind
from detalka.models.money import from_kopecks
from detalka.models.queries import UsageTotal, UsageTotals, package_units_used, usage_totals
from detalka.periods import Period, month_of

LOW_BALANCE = Decimal("50.00")


class BalanceState(StrEnum):
    POSITIVE = "POSITIVE"
    LOW = "LOW"
    NEGATIVE = "NEGATIVE"


class ExpenseCategory(StrEnum):
    CALLS = "CALLS"
    MESSAGES = "MESSAGES"
    MOBILE_INTERNET = "MOBILE_INTERNET"
    SUBSCRIPTION = "SUBSCRIPTION"
    ONE_TIME = "ONE_TIME"
    ROAMING = "ROAMING"


_CATEGORY_OF_KIND = {
    UsageKind.CALL: ExpenseCategory.CALLS,
    UsageKind.SMS: ExpenseCategory.MESSAGES,
    UsageKind.MMS: ExpenseCategory.MESSAGES,
    UsageKind.DATA: ExpenseCategory.MOBILE_INTERNET,
    UsageKind.SUBSCRIPTION_FEE: ExpenseCategory.SUBSCRIPTION,
    UsageKind.ONE_TIME: ExpenseCategory.ONE_TIME,
    UsageKind.ROAMING: ExpenseCategory.ROAMING,
}
_USAGE_OF_PACKAGE = {
    PackageKind.VOICE: UsageKind.CALL,
    PackageKind.SMS: UsageKind.SMS,
    PackageKind.DATA: UsageKind.DATA,
}


def category_of(kind: UsageKind, roaming: bool) -> ExpenseCategory:
    """Anything spent abroad is ROAMING; the rest by kind."""
    return ExpenseCategory.ROAMING if roaming else _CATEGORY_OF_KIND[kind]


@dataclass(frozen=True)
class BalancesView:
    main: Balance
    additional: list[Balance]
    state: BalanceState
    promised_debt: Decimal


@dataclass(frozen=True)
class PromisedPaymentView:
    row: PromisedPayment
    outstanding: Decimal
    overdue: bool


@dataclass(frozen=True)
class PackageView:
    kind: PackageKind
    name: str
    unit: str
    included: int
    used: int
    period_end: datetime

    @property
    def remaining(self) -> int:
        return max(self.included - self.used, 0)


@dataclass(frozen=True)
class CategoryTotal:
    category: ExpenseCategory
    amount: Decimal
    count: int


@dataclass(frozen=True)
class ExpensesView:
    period: Period
    total: Decimal
    by_category: list[CategoryTotal]
    by_day: list[tuple[date, Decimal]]
    totals: list[UsageTotal]  # by kind and roaming: what the categories were summed from


async def balances(subscriber_id: int, now: datetime) -> BalancesView:
    rows = await Balance.filter(subscriber_id=subscriber_id).order_by("kind")
    main = next((b for b in rows if b.kind == BalanceKind.MAIN), None)
    if main is None:
        main = Balance(
            subscriber_id=subscriber_id,
            kind=BalanceKind.MAIN,
            name="Основной",
            amount=Decimal("0.00"),
        )
    additional = [
        b
        for b in rows
        if b.kind != BalanceKind.MAIN and (b.expires_at is None or b.expires_at > now)
    ]
    debt = sum((p.outstanding for p in await promised_payments(subscriber_id, now)), Decimal(0))
    if main.amount < 0:
        state = BalanceState.NEGATIVE
    elif main.amount < LOW_BALANCE:
        state = BalanceState.LOW
    else:
        state = BalanceState.POSITIVE
    return BalancesView(main, additional, state, debt.quantize(Decimal("0.01")))


async def promised_payments(subscriber_id: int, now: datetime) -> list[PromisedPaymentView]:
    rows = await PromisedPayment.filter(subscriber_id=subscriber_id).order_by("-taken_at", "-id")
    views = []
    for row in rows:
        outstanding = row.amount + row.fee - row.repaid
        views.append(PromisedPaymentView(row, outstanding, outstanding > 0 and row.due_at < now))
    return views


async def packages(
    subscriber_id: int, tariff_id: int, zone: ZoneInfo, now: datetime
) -> list[PackageView]:
    month = month_of(now, zone)
    allowances = await PackageAllowance.filter(tariff_id=tariff_id).order_by("kind")
    used = await package_units_used(subscriber_id, month.start, month.end)
    return [
        PackageView(
            kind=a.kind,
            name=a.name,
            unit=a.unit,
            included=a.included,
            used=used.get(_USAGE_OF_PACKAGE[a.kind], 0),
            period_end=month.end,
        )
        for a in allowances
    ]


async def expenses(subscriber_id: int, period: Period) -> ExpensesView:
    return summarize(period, await usage_totals(subscriber_id, period.first, period.last))


def summarize(period: Period, totals: UsageTotals) -> ExpensesView:
    """Totals by category and by day, from the one grouped read."""
    by_category: dict[ExpenseCategory, list[int]] = {}
    for total in totals.by_kind:
        group = by_category.setdefault(category_of(total.kind, total.roaming), [0, 0])
        group[0] += total.kopecks
        group[1] += total.count
    days = totals.by_day
    every_day = [period.first + timedelta(days=i) for i in range(period.days)]
    return ExpensesView(
        period=period,
        total=from_kopecks(sum(k for k, _ in by_category.values())),
        by_category=[
            CategoryTotal(c, from_kopecks(by_category[c][0]), by_category[c][1])
            for c in ExpenseCategory
            if c in by_category
        ],
        by_day=[(day, from_kopecks(days.get(day, 0))) for day in every_day],
        totals=totals.by_kind,
    )
