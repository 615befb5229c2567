"""The account overview: balances, promised payments, packages, expenses for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import Balance as Balance
from detalka.models import PackageAllowance, PromisedPayment
from detalka.models.enums import BalanceKind, PackageKind, UsageKind

# The expenses summary lives with the models, where the reports read it too (one place for
# the numbers); the schema takes it from here, its use-case layer.
from detalka.models.enums import ExpenseCategory as ExpenseCategory
from detalka.models.expenses import ExpensesView as ExpensesView
from detalka.models.expenses import expenses as expenses
from detalka.models.joined import balances_and_debt
from detalka.models.queries import package_units_used
from detalka.periods import month_of

LOW_BALANCE = Decimal("50.00")


class BalanceState(StrEnum):
    POSITIVE = "POSITIVE"
    LOW = "LOW"
    NEGATIVE = "NEGATIVE"


_USAGE_OF_PACKAGE = {
    PackageKind.VOICE: UsageKind.CALL,
    PackageKind.SMS: UsageKind.SMS,
    PackageKind.DATA: UsageKind.DATA,
}


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


async def balances(subscriber_id: int, now: datetime) -> BalancesView:
    rows, debt = await balances_and_debt(subscriber_id)  # one statement for both
    if debt is None:  # no balance row to read it with
        debt = sum((p.outstanding for p in await promised_payments(subscriber_id, now)), Decimal(0))
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
