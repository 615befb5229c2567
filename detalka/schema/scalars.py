"""Money: an exact decimal amount with its currency, never a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

import strawberry

KOPECK = Decimal("0.01")  # the quantum of an amount (one a value: 0.15 against 0.3 us)


@strawberry.type(description="An exact amount of money.")
class Money:
    amount: Decimal = strawberry.field(
        description='Exact decimal as a string with two places, e.g. "123.45".'
    )
    currency: str = strawberry.field(description="ISO 4217 code; always `RUB` today.")

    @classmethod
    def rub(cls, amount: Decimal) -> Self:
        return cls(amount=amount.quantize(KOPECK), currency="RUB")
