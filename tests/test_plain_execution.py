"""The plain-data shortcut answers exactly what graphql-core's general path answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry import relay

from detalka.adapters.captchas import ImageCaptchaFactory
from detalka.adapters.events import MemoryBus
from detalka.models.enums import DeliveryMethod, ReportFormat
from detalka.resolvers import account, order_views, orders
from detalka.resolvers.access import Scope, Viewer
from detalka.schema import build_schema
from detalka.schema.context import Context, Services
from detalka.schema.execution import PlainDataExecutor, _global_id_resolver
from detalka.schema.guard import Schema as GuardedSchema
from detalka.seed import SeedReport
from detalka.settings import Settings
from tests.conftest import SEED_NOW
from tests.factories import MovableClock


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


@strawberry.type
class Fruit(relay.Node):
    code: relay.NodeID[str]
    name: str


@strawberry.type
class Renamed(relay.Node):
    code: relay.NodeID[str]
    name: str

    @classmethod
    def resolve_id(cls, root: Renamed, *, info: strawberry.Info) -> str:
        return f"x-{root.code}"


@strawberry.type
class NodeQuery:
    @strawberry.field
    def fruits(self) -> list[Fruit]:
        return [Fruit(code=str(i), name=f"fruit {i}") for i in range(3)]

    @strawberry.field
    def renamed(self) -> list[Renamed]:
        return [Renamed(code=str(i), name=f"renamed {i}") for i in range(3)]


NODE_QUERIES = [
    "{ fruits { id name } renamed { id name } }",
    "{ fruits { ... on Node { id } name } renamed { __typename id } }",
]


@pytest.mark.parametrize("query", NODE_QUERIES)
async def test_the_shortcut_gives_relay_ids_like_the_general_path(query: str) -> None:
    general = await strawberry.Schema(NodeQuery).execute(query)
    plain = await strawberry.Schema(NodeQuery, execution_context_class=PlainDataExecutor).execute(
        query
    )
    assert general.errors is None and plain.errors is None
    assert plain.data == general.data


async def test_plain_objects_take_the_shortcut_and_their_plan_is_kept_with_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the general path's fields counted, and plans counted as they are compiled
    general: list[str] = []
    compiled: list[str] = []
    execute_field, compile_ = PlainDataExecutor.execute_field, PlainDataExecutor._compile

    def counted_field(self: Any, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        general.append(parent_type.name)
        return execute_field(self, parent_type, *args, **kwargs)

    def counted_compile(self: Any, parent_type: Any, grouped: Any) -> Any:
        compiled.append(parent_type.name)
        return compile_(self, parent_type, grouped)

    monkeypatch.setattr(PlainDataExecutor, "execute_field", counted_field)
    monkeypatch.setattr(PlainDataExecutor, "_compile", counted_compile)
    # and a schema whose guard keeps each parsed document (as the API's does)
    schema = GuardedSchema(Query, execution_context_class=PlainDataExecutor)
    # when one document runs twice, the second time with other values of its variables
    for skip in (True, False, True):
        result = await schema.execute(QUERIES[2], variable_values={"s": skip})
        assert result.errors is None and len(result.data["days"]) == 5  # type: ignore[index]
    # then only the root field went the general way: the days were the shortcut's
    assert general == ["Query"] * 3
    # and each selection's plan (the root's: "not plain") was compiled once for each value
    # of the @skip condition, not once a request
    assert sorted(compiled) == ["Amount", "Amount", "Day", "Day", "Query", "Query"]


def test_a_node_id_is_plain_unless_its_type_resolves_ids_its_own_way() -> None:
    # given a schema with a node of strawberry's own ids and one that overrides resolve_id
    schema = strawberry.Schema(NodeQuery)._schema
    fruit, renamed = schema.type_map["Fruit"], schema.type_map["Renamed"]
    # then the first one's id is computed without its resolver, the second one's is not
    resolve = _global_id_resolver(fruit, fruit.fields["id"])  # type: ignore[arg-type]
    assert resolve is not None
    assert resolve(Fruit(code="7", name="x")) == str(relay.GlobalID("Fruit", "7"))
    assert _global_id_resolver(renamed, renamed.fields["id"]) is None  # type: ignore[arg-type]
    assert _global_id_resolver(fruit, fruit.fields["name"]) is None  # type: ignore[arg-type]


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


# -- the real schema over the seeded database ----------------------------------------------

MONEY = "{ amount currency }"
# Without `id` (a resolver) the rows are plain data: the shortcut takes whole pages.
USAGE_NODE = f"""{{ occurredAt kind direction counterparty durationSeconds volumeKb quantity
  zone roaming description cost {MONEY} fromPackage }}"""
EXPENSES = f"""query($p: PeriodInput!) {{ viewer {{ expenses(period: $p) {{
  period {{ from to timeZone }} total {MONEY}
  byCategory {{ category amount {MONEY} count }} byDay {{ date amount {MONEY} }}
}} }} }}"""
USAGE_WITH_IDS = f"""query($p: PeriodInput!) {{ viewer {{
  usage(period: $p, first: 100) {{ edges {{ cursor node {{ id ...on Node {{ id }} }}
    more: node {USAGE_NODE} }} pageInfo {{ hasNextPage endCursor }} }}
  payments(period: $p, first: 20) {{ edges {{ node {{ id occurredAt amount {MONEY} }} }} }}
}} }}"""
USAGE = f"""query($p: PeriodInput!, $after: String) {{ viewer {{
  usage(period: $p, first: 50, after: $after) {{
    edges {{ cursor node {USAGE_NODE} }}
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  }}
}} }}"""
DASHBOARD = f"""query($p: PeriodInput!) {{ viewer {{
  id msisdn email homeRegion {{ id code name timeZone }} tariff {{ id name monthlyFee {MONEY} }}
  balances {{
    main {{ kind name amount {MONEY} expiresAt }}
    additional {{ kind name amount {MONEY} expiresAt }}
    state promisedDebt {MONEY}
  }}
  promisedPayments {{ amount {MONEY} fee {MONEY} takenAt dueAt repaid {MONEY}
    outstanding {MONEY} overdue }}
  packages {{ kind name unit included used remaining periodEnd }}
  expenses(period: $p) {{ total {MONEY} byCategory {{ category amount {MONEY} count }}
    byDay {{ date amount {MONEY} }} }}
  usage(period: $p, first: 50) {{ edges {{ cursor node {{ id }} more: node {USAGE_NODE} }}
    pageInfo {{ hasNextPage endCursor }} }}
  payments(period: $p, first: 20) {{ edges {{ node {{ id occurredAt amount {MONEY} method }} }} }}
  detailOrders(first: 10) {{
    edges {{ cursor node {{ id status period {{ from to timeZone }} format delivery sections
      email store {{ id name }} deliveryStatus progress rowCount createdAt readyAt expiresAt
      document {{ id fileName }} failureReason }} }}
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  }}
  documents {{ id fileName }}
  detailSchedules {{ id frequency nextPeriod {{ from to }} }}
}} }}"""
FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
WHOLE_HISTORY = {"from": "2025-11-18", "to": "2026-03-18"}
REAL_QUERIES = [
    pytest.param(EXPENSES, {"p": FEBRUARY}, None, id="expenses-month"),
    pytest.param(EXPENSES, {"p": WHOLE_HISTORY}, None, id="expenses-four-months"),
    pytest.param(
        EXPENSES,
        {"p": {"from": "2026-03-01", "to": "2026-03-19"}},
        "PERIOD_IN_FUTURE",
        id="expenses-future",
    ),
    pytest.param(USAGE, {"p": FEBRUARY, "after": None}, None, id="usage-50"),
    pytest.param(USAGE, {"p": FEBRUARY, "after": "not-a-cursor"}, "BAD_CURSOR", id="usage-bad"),
    pytest.param(DASHBOARD, {"p": FEBRUARY}, None, id="dashboard"),
    pytest.param(USAGE_WITH_IDS, {"p": FEBRUARY}, None, id="usage-100-with-ids"),
]


@pytest.fixture
async def seeded_context(seeded: SeedReport, db: Settings) -> Context:
    """A seeded subscriber's session, with two orders of its own (canceled: no worker runs)."""
    subscriber = await account.subscriber(seeded.subscriber_ids[0])
    assert subscriber is not None
    services = Services(
        settings=db,
        clock=MovableClock(SEED_NOW),
        captcha=ImageCaptchaFactory(),
        enqueue_render=_refuse,
        enqueue_sms=_refuse,
        events=MemoryBus(),
    )
    if not await order_views.orders(subscriber.id, limit=1):
        for delivery in (DeliveryMethod.ARCHIVE, DeliveryMethod.EMAIL):
            request = orders.OrderRequest(
                date(2026, 2, 1),
                date(2026, 2, 28),
                ReportFormat.CSV,
                delivery,
                None,
                "someone@example.ru",
                None,
                None,
                any_email=True,
            )
            placed, _ = await orders.place_order(request, subscriber, SEED_NOW, 3, _refuse)
            await orders.cancel_order(subscriber.id, placed.id, SEED_NOW)
    viewer = Viewer(subscriber.id, frozenset(Scope), session_id=-1)
    return Context(request=None, response=None, services=services, viewer=viewer)  # type: ignore[arg-type]


async def _refuse(_id: int) -> None:
    raise RuntimeError("no broker in this test")


@pytest.mark.parametrize(("query", "variables", "error_code"), REAL_QUERIES)
async def test_the_shortcut_answers_real_queries_like_the_general_path(
    seeded_context: Context, query: str, variables: dict[str, Any], error_code: str | None
) -> None:
    # given the real schema with and without the shortcut, and a seeded account
    general, plain = build_schema(plain_data=False), build_schema()
    assert plain.execution_context_class is PlainDataExecutor
    # when both answer the same query
    expected = await general.execute(query, variables, context_value=seeded_context)
    answered = await plain.execute(query, variables, context_value=seeded_context)
    # then the data and the errors are the same, and there was data to compare
    assert answered.data == expected.data
    assert [(e.message, e.path, e.extensions) for e in answered.errors or []] == [
        (e.message, e.path, e.extensions) for e in expected.errors or []
    ]
    if error_code is not None:
        assert [(e.extensions or {}).get("code") for e in expected.errors or []] == [error_code]
    else:
        assert expected.errors is None and expected.data is not None
        assert _leaves(expected.data) > 100
        if query is DASHBOARD:  # every part of the page had rows to show
            viewer = expected.data["viewer"]
            assert viewer["detailOrders"]["edges"] and len(viewer["usage"]["edges"]) == 50
            assert viewer["packages"] and viewer["payments"]["edges"]


def _leaves(value: Any) -> int:
    """How many scalar values an answer holds."""
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1
