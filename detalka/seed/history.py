"""One subscriber's whole history within the window: a pure function of its plan."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from detalka.models.enums import BalanceKind
from detalka.seed.catalog import REGION_BY_CODE, TARIFF_BY_NAME
from detalka.seed.ledger import Ledger, PaymentRow, Promise, UsageRow
from detalka.seed.periods import local_month, month_bounds
from detalka.seed.population import SubscriberSpec
from detalka.seed.traffic import Traffic

# month, opening, payments, charges, closing (kopecks)
StatementRow = tuple[date, int, int, int, int]


@dataclass(frozen=True)
class History:
    spec: SubscriberSpec
    usage: list[UsageRow]
    payments: list[PaymentRow]
    promises: list[Promise]
    statements: list[StatementRow]
    main_balance: int
    bonus_balance: int


def generate_history(spec: SubscriberSpec) -> History:
    rng = random.Random(spec.history_seed)
    zone = ZoneInfo(REGION_BY_CODE[spec.region_code].time_zone)
    months = month_bounds(local_month(spec.start, zone), local_month(spec.end, zone), zone)
    ledger = Ledger(rng, spec, TARIFF_BY_NAME[spec.tariff_name], months)
    ledger.run(Traffic(rng, spec).events())
    statements = _statements(spec.opening_balance, months, ledger.usage, ledger.payments)
    assert statements[-1][4] == ledger.main, "statements must close on the main balance"
    return History(
        spec=spec,
        usage=ledger.usage,
        payments=ledger.payments,
        promises=ledger.promises,
        statements=statements,
        main_balance=ledger.main,
        bonus_balance=ledger.bonus,
    )


def _statements(
    opening: int,
    months: list[tuple[date, datetime]],
    usage: list[UsageRow],
    payments: list[PaymentRow],
) -> list[StatementRow]:
    """Main balance per billing month, summed from the rows by the month they fall in."""
    starts = [begins for _, begins in months]
    paid = [0] * len(months)
    charged = [0] * len(months)
    for at, amount, _, _ in payments:
        paid[bisect_right(starts, at) - 1] += amount
    for row in usage:
        if row[11] == BalanceKind.MAIN and row[10]:
            charged[bisect_right(starts, row[0]) - 1] += row[10]
    rows = []
    for index, (month, _) in enumerate(months[:-1]):
        closing = opening + paid[index] - charged[index]
        rows.append((month, opening, paid[index], charged[index], closing))
        opening = closing
    return rows
