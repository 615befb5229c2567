"""Types of the account overview: balances, packages, expenses, usage and payments."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Self

import strawberry
from strawberry import relay

from detalka.models.enums import (
    BalanceKind as BalanceKindEnum,
)
from detalka.models.enums import (
    Direction as DirectionEnum,
)
from detalka.models.enums import (
    PackageKind as PackageKindEnum,
)
from detalka.models.enums import (
    PackageUnit as PackageUnitEnum,
)
from detalka.models.enums import (
    PaymentMethod as PaymentMethodEnum,
)
from detalka.models.enums import (
    UsageKind as UsageKindEnum,
)
from detalka.periods import Period as PeriodValue
from detalka.resolvers import history, overview
from detalka.resolvers.access import Scope
from detalka.schema.connections import ConnectionTexts
from detalka.schema.context import Info
from detalka.schema.enums import described_enum
from detalka.schema.nodes import own_nodes
from detalka.schema.scalars import Money

if TYPE_CHECKING:
    from detalka.resolvers.history import Payment as PaymentModel
    from detalka.resolvers.history import PaymentRow, UsageRow
    from detalka.resolvers.history import UsageRecord as UsageModel
    from detalka.resolvers.overview import Balance as BalanceRow

BalanceKind = described_enum(
    BalanceKindEnum,
    "Which balance.",
    {
        BalanceKindEnum.MAIN: "The main balance: payments go in, charges come out.",
        BalanceKindEnum.BONUS: "Bonus points from the operator's offers; they may expire.",
        BalanceKindEnum.CASHBACK: "Money back from partner offers; spent before the main one.",
        BalanceKindEnum.CONTENT: "A separate account for paid content and subscriptions.",
    },
)
BalanceState = described_enum(
    overview.BalanceState,
    "Overall state of the main balance: POSITIVE; LOW (under 50 ₽); NEGATIVE.",
    {
        overview.BalanceState.POSITIVE: "50 ₽ or more on the main balance.",
        overview.BalanceState.LOW: "Under 50 ₽ but not below zero: time to top up.",
        overview.BalanceState.NEGATIVE: "Below zero: paid services may be suspended.",
    },
)
PackageKind = described_enum(
    PackageKindEnum,
    "What a package holds.",
    {
        PackageKindEnum.VOICE: "Minutes of calls.",
        PackageKindEnum.SMS: "Text messages.",
        PackageKindEnum.DATA: "Mobile internet traffic.",
    },
)
PackageUnit = described_enum(
    PackageUnitEnum,
    "Unit of a package.",
    {
        PackageUnitEnum.MINUTES: "Whole minutes of calls.",
        PackageUnitEnum.MESSAGES: "Single messages.",
        PackageUnitEnum.MEGABYTES: "Megabytes (1024 kilobytes) of traffic.",
    },
)
UsageKind = described_enum(
    UsageKindEnum,
    "Kind of a charge event.",
    {
        UsageKindEnum.CALL: "A voice call; `durationSeconds` says how long.",
        UsageKindEnum.SMS: "A text message.",
        UsageKindEnum.MMS: "A multimedia message.",
        UsageKindEnum.DATA: "A mobile internet session; `volumeKb` says how much.",
        UsageKindEnum.SUBSCRIPTION_FEE: "The tariff's or an option's periodic fee.",
        UsageKindEnum.ONE_TIME: "A one-time charge: an option switched on, a paid service.",
        UsageKindEnum.ROAMING: "A roaming service charge of its own (not a call or data).",
    },
)
Direction = described_enum(
    DirectionEnum,
    "Incoming or outgoing.",
    {
        DirectionEnum.IN: "Incoming: the other party called or wrote.",
        DirectionEnum.OUT: "Outgoing: the subscriber called or wrote.",
    },
)
PaymentMethod = described_enum(
    PaymentMethodEnum,
    "How money came or went.",
    {
        PaymentMethodEnum.CARD: "A bank card payment.",
        PaymentMethodEnum.CASH: "Cash at a store or a terminal.",
        PaymentMethodEnum.BANK_TRANSFER: "A bank transfer.",
        PaymentMethodEnum.AUTOPAY: "An automatic top-up from a linked card.",
        PaymentMethodEnum.PROMISED_PAYMENT: "A promised payment credited (short credit).",
        PaymentMethodEnum.PROMISED_REPAYMENT: "A promised payment repaid (money out).",
    },
)
ExpenseCategory = described_enum(
    overview.ExpenseCategory,
    "Expense category; anything abroad is ROAMING.",
    {
        overview.ExpenseCategory.CALLS: "Calls at home.",
        overview.ExpenseCategory.MESSAGES: "SMS and MMS at home.",
        overview.ExpenseCategory.MOBILE_INTERNET: "Mobile internet at home.",
        overview.ExpenseCategory.SUBSCRIPTION: "Subscription fees.",
        overview.ExpenseCategory.ONE_TIME: "One-time charges.",
        overview.ExpenseCategory.ROAMING: "Everything spent abroad, whatever its kind.",
    },
)


@strawberry.input(description="Calendar days, inclusive, in the home region's time zone.")
class PeriodInput:
    from_: date = strawberry.field(name="from", description="First day, e.g. `2026-10-01`.")
    to: date = strawberry.field(description="Last day (inclusive); not after today.")


@strawberry.type(description="A period of calendar days in a time zone.")
class Period:
    from_: date = strawberry.field(name="from", description="First day.")
    to: date = strawberry.field(description="Last day, inclusive.")
    time_zone: str = strawberry.field(description="IANA zone the days are counted in.")

    @classmethod
    def of(cls, period: PeriodValue) -> Self:
        return cls(from_=period.first, to=period.last, time_zone=period.zone.key)


@strawberry.type(description="A balance of the account.")
class Balance:
    kind: BalanceKind = strawberry.field(description="Main or an additional one.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Its name in Russian.")
    amount: Money = strawberry.field(description="How much is on it.")
    expires_at: datetime | None = strawberry.field(description="When it burns, if it does.")

    @classmethod
    def from_row(cls, row: BalanceRow) -> Self:
        return cls(
            kind=row.kind, name=row.name, amount=Money.rub(row.amount), expires_at=row.expires_at
        )


@strawberry.type(description="Main and additional balances, their state and the debt.")
class Balances:
    main: Balance = strawberry.field(description="The main balance.")
    additional: list[Balance] = strawberry.field(description="Bonus and other live balances.")
    state: BalanceState = strawberry.field(description="Overall state of the main balance.")  # type: ignore[valid-type]
    promised_debt: Money = strawberry.field(description="Outstanding promised payments.")


@strawberry.type(description="A promised payment (обещанный платёж): short credit with a fee.")
class PromisedPayment:
    amount: Money = strawberry.field(description="Credited to the main balance.")
    fee: Money = strawberry.field(description="The fee for it.")
    taken_at: datetime = strawberry.field(description="When it was taken.")
    due_at: datetime = strawberry.field(description="When it is to be repaid.")
    repaid: Money = strawberry.field(description="Repaid so far.")
    outstanding: Money = strawberry.field(description="amount + fee - repaid.")
    overdue: bool = strawberry.field(description="Outstanding past its due date.")


@strawberry.type(description="What is left of a package in the current billing month.")
class PackageRemainder:
    kind: PackageKind = strawberry.field(description="Minutes, messages or data.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Package name in Russian.")
    unit: PackageUnit = strawberry.field(description="Unit of the numbers below.")  # type: ignore[valid-type]
    included: int = strawberry.field(description="Included per billing month.")
    used: int = strawberry.field(description="Used this billing month.")
    remaining: int = strawberry.field(description="Left this billing month.")
    period_end: datetime = strawberry.field(description="When it renews.")


@strawberry.type(description="Spent in one category over the period.")
class CategoryExpense:
    category: ExpenseCategory = strawberry.field(description="The category.")  # type: ignore[valid-type]
    amount: Money = strawberry.field(description="Sum of charges.")
    count: int = strawberry.field(description="Number of charge events.")


@strawberry.type(description="Spent on one local calendar day.")
class DailyExpense:
    date: date = strawberry.field(description="The day, in the home region's zone.")
    amount: Money = strawberry.field(description="Sum of charges that day.")


@strawberry.type(description="All expenses for a period.")
class ExpenseSummary:
    period: Period = strawberry.field(description="The period, normalised.")
    total: Money = strawberry.field(description="Sum of every charge in the period.")
    by_category: list[CategoryExpense] = strawberry.field(description="Per category.")
    by_day: list[DailyExpense] = strawberry.field(description="Per day, every day of the period.")

    @classmethod
    def of(cls, view: overview.ExpensesView) -> Self:
        return cls(
            period=Period.of(view.period),
            total=Money.rub(view.total),
            by_category=[
                CategoryExpense(category=c.category, amount=Money.rub(c.amount), count=c.count)
                for c in view.by_category
            ],
            by_day=[DailyExpense(date=d, amount=Money.rub(a)) for d, a in view.by_day],
        )


def _by_value(enum: Any) -> Callable[[Any], Any]:
    """``enum(value)`` read from the enum's own map of values first: 0.05 against 0.5 us a
    call, twice a usage row. A value not in the map goes through ``enum(value)`` (its
    ValueError for an unknown one)."""
    members = enum._value2member_map_

    def member(value: Any) -> Any:
        found = members.get(value)
        return found if found is not None else enum(value)

    return member


_usage_kind, _direction = _by_value(UsageKindEnum), _by_value(DirectionEnum)
_payment_method = _by_value(PaymentMethodEnum)


@strawberry.type(description="A charge event: a call, a message, a data session, a fee.")
class UsageRecord(relay.Node):
    pk: relay.NodeID[int]
    occurred_at: datetime = strawberry.field(description="When, in UTC.")
    kind: UsageKind = strawberry.field(description="What it was.")  # type: ignore[valid-type]
    direction: Direction | None = strawberry.field(description="For calls and messages.")  # type: ignore[valid-type]
    counterparty: str | None = strawberry.field(description="The other number.")
    duration_seconds: int | None = strawberry.field(description="Call length.")
    volume_kb: int | None = strawberry.field(description="Data volume in kilobytes.")
    quantity: int | None = strawberry.field(description="Count, for messages.")
    zone: str | None = strawberry.field(description="Where: home region, Russia, a country.")
    roaming: bool = strawberry.field(description="Abroad.")
    description: str = strawberry.field(description="What it is, in Russian.")
    cost: Money = strawberry.field(description="Charged, past the package.")
    from_package: bool = strawberry.field(description="Taken (partly) from a package.")

    connection_texts: ClassVar[ConnectionTexts] = ConnectionTexts(
        "A page of usage records, oldest first.", "A usage record and its cursor.", "The record."
    )

    # What a node made from a row holds in each attribute (a page's tuple with the enums'
    # values, detalka.models.row_pages, or a model looked up by id): ``from_row`` is made of
    # these, and the plain-data executor answers a page from them without the nodes.
    row_attributes: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "pk": attrgetter("id"),
        "occurred_at": attrgetter("occurred_at"),
        "kind": lambda row: _usage_kind(row.kind),
        "direction": lambda row: None if row.direction is None else _direction(row.direction),
        "counterparty": attrgetter("counterparty"),
        "duration_seconds": attrgetter("duration_s"),
        "volume_kb": attrgetter("volume_kb"),
        "quantity": attrgetter("quantity"),
        "zone": attrgetter("zone"),
        "roaming": attrgetter("roaming"),
        "description": attrgetter("description"),
        "cost": lambda row: Money.rub(row.cost),
        "from_package": attrgetter("from_package"),
    }

    @classmethod
    def from_row(cls, row: UsageRow | UsageModel) -> Self:
        return cls(**{name: read(row) for name, read in cls.row_attributes.items()})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await own_nodes(
            info, node_ids, Scope.USAGE_READ, history.usage_records, cls.from_row
        )


@strawberry.type(description="A movement onto the main balance.")
class Payment(relay.Node):
    pk: relay.NodeID[int]
    occurred_at: datetime = strawberry.field(description="When, in UTC.")
    amount: Money = strawberry.field(description="Positive in, negative out.")
    method: PaymentMethod = strawberry.field(description="How.")  # type: ignore[valid-type]
    description: str = strawberry.field(description="What it is, in Russian.")

    connection_texts: ClassVar[ConnectionTexts] = ConnectionTexts(
        "A page of payments, oldest first.", "A payment and its cursor.", "The payment."
    )

    row_attributes: ClassVar[dict[str, Callable[[Any], Any]]] = {  # as UsageRecord's
        "pk": attrgetter("id"),
        "occurred_at": attrgetter("occurred_at"),
        "amount": lambda row: Money.rub(row.amount),
        "method": lambda row: _payment_method(row.method),
        "description": attrgetter("description"),
    }

    @classmethod
    def from_row(cls, row: PaymentRow | PaymentModel) -> Self:
        return cls(**{name: read(row) for name, read in cls.row_attributes.items()})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await own_nodes(info, node_ids, Scope.USAGE_READ, history.payments, cls.from_row)
