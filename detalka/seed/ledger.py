"""Billing of one subscriber, in time order: packages first, then prices, then the balances.

Packages are counted per billing month; a unit comes from the package while any is left
and only the excess is charged. Costs leave the bonus balance while it covers them (and has
not expired), otherwise the main one. When the main balance runs low the subscriber tops it
up, by hand after a while or at once by autopay; in the red they may take a promised
payment, returned with its fee at the next top-up.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from detalka.models.enums import BalanceKind, PackageKind, PaymentMethod, UsageKind
from detalka.seed.catalog import TariffSpec
from detalka.seed.population import SubscriberSpec
from detalka.seed.traffic import Event

# Rows as the writer inserts them (subscriber_id is added there), money in kopecks:
# usage: occurred_at, kind, direction, counterparty, duration_s, volume_kb, quantity, zone,
#        roaming, description, cost, charged_from, package_units, from_package
UsageRow = tuple[
    datetime, str, str | None, str | None, int | None, int | None, int | None, str | None,
    bool, str, int, str, int, bool,
]  # fmt: skip
PaymentRow = tuple[datetime, int, str, str]  # occurred_at, amount, method, description

PROMISED_FEE_TEXT = "Плата за обещанный платёж"
_PROMISE_FEES = ((10000, 700), (20000, 1500), (30000, 2500), (50000, 5000))
_PAYMENT_TEXT = {
    PaymentMethod.CARD: "Пополнение банковской картой",
    PaymentMethod.CASH: "Пополнение наличными в салоне связи",
    PaymentMethod.BANK_TRANSFER: "Перевод из мобильного банка",
    PaymentMethod.AUTOPAY: "Автоплатёж с привязанной карты",
    PaymentMethod.PROMISED_PAYMENT: "Обещанный платёж",
    PaymentMethod.PROMISED_REPAYMENT: "Погашение обещанного платежа",
}


@dataclass
class Promise:
    amount: int
    fee: int
    taken_at: datetime
    due_at: datetime
    repaid: int = 0
    repaid_at: datetime | None = None


class Ledger:
    def __init__(
        self,
        rng: random.Random,
        spec: SubscriberSpec,
        tariff: TariffSpec,
        months: list[tuple[date, datetime]],
    ) -> None:
        self.rng, self.spec, self.habits = rng, spec, spec.habits
        self.included = {kind: tariff.included(kind) for kind in PackageKind}
        self.month_starts = [begins for _, begins in months]
        self.month = -1
        self.left: dict[PackageKind, int] = {}
        self.main = spec.opening_balance
        self.bonus = spec.bonus.amount if spec.bonus else 0
        self.usage: list[UsageRow] = []
        self.payments: list[PaymentRow] = []
        self.promises: list[Promise] = []
        self.owed: Promise | None = None
        self.top_up_at: datetime | None = None
        self.promise_at: datetime | None = None
        self.asked = False
        self.frozen_after = spec.outstanding_promise_at  # no top-up after it (the demo's debt)

    def run(self, events: Iterable[Event]) -> None:
        spec = self.spec
        if spec.activated_at >= spec.window_start:  # a new SIM card comes with a first top-up
            amount = self.rng.choice((30000, 50000, 50000, 100000))
            self._pay(spec.activated_at, amount, PaymentMethod.CASH)
        forced = spec.outstanding_promise_at
        for event in events:
            self._catch_up(event.at)
            if forced is not None and event.at >= forced:
                self._force_promise(forced)
                forced = None
            self._charge(event)
        self._catch_up(spec.end)

    # -- pricing -------------------------------------------------------------------------

    def _charge(self, e: Event) -> None:
        taken = 0
        if e.package is not None and e.units:
            self._roll_month(e.at)
            taken = min(e.units, self.left[e.package])
            self.left[e.package] -= taken
        cost = (e.units - taken) * e.price
        source = BalanceKind.MAIN
        bonus = self.spec.bonus
        if (
            cost
            and e.bonus_ok
            and bonus is not None
            and bonus.granted_at <= e.at < bonus.expires_at
            and self.bonus >= cost
        ):
            source = BalanceKind.BONUS
            self.bonus -= cost
        self.usage.append(
            (e.at, e.kind, e.direction, e.counterparty, e.duration_s, e.volume_kb, e.quantity,
             e.zone, e.roaming, e.description, cost, source, taken, taken > 0)
        )  # fmt: skip
        if source is BalanceKind.MAIN and cost:
            self.main -= cost
            self._after_charge(e.at)

    def _roll_month(self, at: datetime) -> None:
        month = self.month
        while month + 1 < len(self.month_starts) and self.month_starts[month + 1] <= at:
            month += 1
        if month != self.month:
            self.month = month
            self.left = dict(self.included)

    # -- money ---------------------------------------------------------------------------

    def _after_charge(self, at: datetime) -> None:
        h = self.habits
        if self.main >= h.low_balance or self._frozen(at):
            return
        if self.top_up_at is None:
            self.top_up_at = at + (timedelta(seconds=30) if h.autopay else self._delay())
        if h.autopay or self.main >= 0 or self.owed is not None or self.asked:
            return
        self.asked = True  # once in the red, the subscriber decides once, until the top-up
        if self.rng.random() < h.promised_propensity:
            self.promise_at = at + timedelta(seconds=self.rng.randrange(60, 900))

    def _delay(self) -> timedelta:
        """How long a subscriber takes to top up by hand: mostly hours, now and then days."""
        rng, roll = self.rng, self.rng.random()
        hour = 3600
        if roll < 0.7:
            return timedelta(seconds=rng.randrange(hour // 3, 12 * hour))
        if roll < 0.95:
            return timedelta(seconds=rng.randrange(12 * hour, 48 * hour))
        return timedelta(seconds=rng.randrange(48 * hour, 8 * 24 * hour))

    def _frozen(self, at: datetime) -> bool:
        return self.frozen_after is not None and at >= self.frozen_after

    def _catch_up(self, until: datetime) -> None:
        """Carry out the promised payment and the top-up that are due by ``until``."""
        while True:
            due = [t for t in (self.promise_at, self.top_up_at) if t is not None and t <= until]
            if not due:
                return
            at = min(due)
            if at > self.spec.end:
                return
            if at == self.promise_at:
                self.promise_at = None
                if self.main < 0 and self.owed is None:
                    self._take_promise(at, -self.main)
            else:
                self.top_up_at = None
                if self._frozen(at):
                    continue
                self._top_up(at)

    def _take_promise(self, at: datetime, shortfall: int) -> None:
        offers = [(amount, fee) for amount, fee in _PROMISE_FEES if amount >= shortfall + 2000]
        if not offers:
            return  # too deep in the red for a promise
        amount, fee = offers[0]
        due = at + timedelta(days=self.rng.randrange(3, 8))
        self.owed = Promise(amount, fee, at, due)
        self.promises.append(self.owed)
        self._pay(at, amount, PaymentMethod.PROMISED_PAYMENT)

    def _force_promise(self, at: datetime) -> None:
        if self.owed is not None or self.main < 0:
            self.top_up_at = None
            self._top_up(at)
        self._take_promise(at, 20000)

    def _top_up(self, at: datetime) -> None:
        h, owed = self.habits, self.owed
        needed = max(0, -self.main) + (owed.amount + owed.fee if owed else 0) + h.low_balance
        step = h.autopay or h.top_up
        amount = step * max(1, -(-needed // step))  # whole steps, enough for the need
        self._pay(at, amount, PaymentMethod.AUTOPAY if h.autopay else h.method)
        self.asked = False
        if owed is not None:
            self._pay(at, -owed.amount, PaymentMethod.PROMISED_REPAYMENT)
            self.usage.append(
                (at, UsageKind.ONE_TIME, None, None, None, None, 1, None, False,
                 PROMISED_FEE_TEXT, owed.fee, BalanceKind.MAIN, 0, False)
            )  # fmt: skip
            self.main -= owed.fee
            owed.repaid, owed.repaid_at = owed.amount + owed.fee, at
            self.owed = None

    def _pay(self, at: datetime, amount: int, method: PaymentMethod) -> None:
        self.payments.append((at, amount, method, _PAYMENT_TEXT[method]))
        self.main += amount
