"""A period's expenses by category and by local day: the one summary behind ``expenses``.

The API's ``expenses`` field, the report renderers and the reports' row estimates all take
their numbers from ``expenses`` here, summed from the one grouped read
(``queries.usage_totals``), so totals always agree (DESIGN.md section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from detalka.models.enums import ExpenseCategory, UsageKind
from detalka.models.money import from_kopecks
from detalka.models.queries import UsageTotal, UsageTotals, usage_totals
from detalka.periods import Period

_CATEGORY_OF_KIND = {
    UsageKind.CALL: ExpenseCategory.CALLS,
    UsageKind.SMS: ExpenseCategory.MESSAGES,
    UsageKind.MMS: ExpenseCategory.MESSAGES,
    UsageKind.DATA: ExpenseCategory.MOBILE_INTERNET,
    UsageKind.SUBSCRIPTION_FEE: ExpenseCategory.SUBSCRIPTION,
    UsageKind.ONE_TIME: ExpenseCategory.ONE_TIME,
    UsageKind.ROAMING: ExpenseCategory.ROAMING,
}


def category_of(kind: UsageKind, roaming: bool) -> ExpenseCategory:
    """Anything spent abroad is ROAMING; the rest by kind."""
    return ExpenseCategory.ROAMING if roaming else _CATEGORY_OF_KIND[kind]


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
