"""The plain-data shortcut answers exactly what graphql-core's general path answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry

from detalka.schema.execution import PlainDataExecutor


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Amount:
    value: Decimal
    note: str | None


@strawberry.type
class Day:
    day: date
    colour: Colour
    amount: Amount
    tags: list[str]

    @strawberry.field
    def doubled(self) -> Decimal:  # a resolver: never taken by the shortcut
        return self.amount.value * 2


@strawberry.type
class Query:
    @strawberry.field
    def days(self, broken: bool = False) -> list[Day]:
        days = [
            Day(
                day=date(2026, 1, i + 1),
                colour=Colour.RED if i % 2 else Colour.BLUE,
                amount=Amount(value=Decimal(i) / 4, note=None if i % 3 else "ok"),
                tags=["a", str(i)],
            )
            for i in range(5)
        ]
        if broken:
            days[3].amount = None  # type: ignore[assignment]  # a null where none may be
            days[1].tags = None  # type: ignore[assignment]
        return days


QUERIES = [
    "{ days { day colour amount { value note } tags } }",
    "{ days { __typename when: day amount { __typename v: value } } }",
    "query($s: Boolean!) { days { day @skip(if: $s) ...F } } fragment F on Day { amount { note } }",
    "{ days { day doubled amount { value } } }",
    "{ days(broken: true) { day amount { value } } }",
    "{ days(broken: true) { tags } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_the_shortcut_answers_like_the_general_path(query: str) -> None:
    variables: dict[str, Any] = {"s": True}
    general = await strawberry.Schema(Query).execute(query, variable_values=variables)
    plain = await strawberry.Schema(Query, execution_context_class=PlainDataExecutor).execute(
        query, variable_values=variables
    )
    assert bool(general.errors) == ("broken" in query)
    assert plain.data == general.data
    assert [(e.message, e.path) for e in plain.errors or []] == [
        (e.message, e.path) for e in general.errors or []
    ]
