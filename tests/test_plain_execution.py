"""The plain-data shortcut answers exactly what graphql-core's general path answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import strawberry
from strawberry import relay
from strawberry.permission import BasePermission, PermissionExtension

from detalka.adapters.captchas import ImageCaptchaFactory
from detalka.adapters.events import MemoryBus
from detalka.models.enums import (
    DeliveryMethod,
    Direction,
    PaymentMethod,
    ReportFormat,
    UsageKind,
)
from detalka.resolvers import account, order_views, orders
from detalka.resolvers.access import Scope, Viewer
from detalka.schema import build_schema
from detalka.schema.connections import Connection, keyset_connection
from detalka.schema.context import Context, Services
from detalka.schema.execution import PlainDataExecutor, _global_id_resolver
from detalka.schema.guard import Schema as GuardedSchema
from detalka.schema.overview import Payment, UsageRecord
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
class Bigger(Amount):
    pass


@strawberry.type
class Day:
    day: date
    colour: Colour
    amount: Amount
    tags: list[str]
    extra: Amount | None = None  # None, an Amount or an instance of a subclass
    size: int | None = None  # out of Int's range on a broken day: an error

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
                extra=(
                    None,
                    Amount(value=Decimal(i), note="x"),
                    Bigger(value=Decimal(i), note=None),
                )[i % 3],
                size=i or None,
            )
            for i in range(5)
        ]
        if broken:
            days[3].amount = None  # type: ignore[assignment]  # a null where none may be
            days[1].tags = None  # type: ignore[assignment]
            days[2].size = 5 * 10**9
        return days


QUERIES = [
    "{ days { day colour amount { value note } tags } }",
    "{ days { __typename when: day amount { __typename v: value } } }",
    "query($s: Boolean!) { days { day @skip(if: $s) ...F } } fragment F on Day { amount { note } }",
    "{ days { day doubled amount { value } } }",
    "{ days(broken: true) { day amount { value } } }",
    "{ days(broken: true) { tags } }",
    "{ days { extra { value note } e: extra { __typename } size } }",
    "{ days(broken: true) { day size } }",
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


# -- keyset pages answered from their rows -------------------------------------------------


class Deny(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


MADE: list[tuple[Any, ...]] = []  # the rows that became node objects
ROWS = [(i, f"thing {i}", Colour.RED if i % 2 else Colour.BLUE, Decimal(i) / 3) for i in range(7)]


@strawberry.type
class Thing(relay.Node):
    code: relay.NodeID[int]
    name: str
    colour: Colour
    amount: Amount
    extra: Amount | None  # None, an Amount or an instance of a subclass (not written out)
    size: int | None  # the sixth row's is out of Int's range: an error
    secret: str | None = strawberry.field(extensions=[PermissionExtension([Deny()])])

    row_attributes: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "code": itemgetter(0),
        "name": itemgetter(1),
        "colour": itemgetter(2),
        "amount": lambda row: Amount(value=row[3], note=None if row[0] % 2 else "ok"),
        "extra": lambda row: (
            None,
            Amount(value=row[3], note="x"),
            Bigger(value=row[3], note=None),
        )[row[0] % 3],
        "size": lambda row: 5 * 10**9 if row[0] == 5 else row[0] or None,
        "secret": lambda row: f"secret {row[0]}",
    }

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Thing:
        MADE.append(row)
        return cls(**{name: read(row) for name, read in cls.row_attributes.items()})


@strawberry.type
class RowQuery:
    @strawberry.field
    async def things(
        self, first: int | None = None, after: str | None = None, typed: bool = True
    ) -> Connection[Thing]:
        async def fetch(cursor: Any, limit: int) -> list[tuple[Any, ...]]:
            return [r for r in ROWS if cursor is None or r[0] > cursor[1]][:limit]

        return await keyset_connection(
            first,
            after,
            fetch,
            key=lambda row: (datetime(2026, 1, 1, tzinfo=UTC), row[0]),
            node=Thing.from_row,
            node_type=Thing if typed else None,
        )


ROW_QUERIES = [
    # (query, whether the page is answered from its rows, without node objects)
    ("{ things(first: 5) { edges { node { size } } } }", True),
    ("{ things { edges { node { size } } } }", False),  # the error: the general path's
    (
        "{ things(first: 5) { edges { cursor node { id name colour amount { value note } } } "
        "pageInfo { hasNextPage endCursor } } }",
        True,
    ),
    (
        "{ things { edges { node { extra { value note } e: extra { __typename } } } } }",
        True,
    ),
    (
        "{ things { __typename edges { __typename c: cursor node { __typename ... on Node { id } "
        "n: name code: id } more: node { amount { value } } } } }",
        True,
    ),
    (
        'query($s: Boolean!) { things(first: 3, after: "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx") '
        "{ edges { cursor @skip(if: $s) node { name @include(if: $s) colour } } } }",
        True,
    ),
    ("{ things { edges { cursor } pageInfo { startCursor } } }", True),
    ("{ things(typed: false) { edges { cursor } } }", True),  # no node: no node type needed
    ("{ things(typed: false) { edges { node { name } } } }", False),  # rows of an unknown type
    ("{ things { edges { node { name secret } } } }", False),  # a permission: never plain
]


@pytest.mark.parametrize(("query", "from_rows"), ROW_QUERIES)
async def test_a_keyset_page_of_plain_nodes_is_answered_from_its_rows(
    query: str, from_rows: bool
) -> None:
    # given the same schema with and without the shortcut
    variables = {"s": False}
    general = await strawberry.Schema(RowQuery).execute(query, variable_values=variables)
    MADE.clear()
    plain_schema = strawberry.Schema(RowQuery, execution_context_class=PlainDataExecutor)
    # when the shortcut answers
    plain = await plain_schema.execute(query, variable_values=variables)
    # then it answers as the general path does, errors (the permission's) included
    assert general.data is not None and plain.data == general.data
    assert [(e.message, e.path) for e in plain.errors or []] == [
        (e.message, e.path) for e in general.errors or []
    ]
    assert bool(general.errors) == (
        "secret" in query or query.startswith("{ things { edges { node { size")
    )
    # and a plain page made no node object, anything else went the general way
    assert (MADE == []) == from_rows


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


async def test_the_real_usage_and_payments_pages_make_no_node_objects(
    seeded_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the nodes made from rows counted
    made: list[str] = []
    for node_type in (UsageRecord, Payment):
        from_row = node_type.from_row

        def counted(row: Any, _from_row: Any = from_row, _name: str = node_type.__name__) -> Any:
            made.append(_name)
            return _from_row(row)

        monkeypatch.setattr(node_type, "from_row", counted)
    # when the general path and the shortcut answer the dashboard
    variables = {"p": FEBRUARY}
    expected = await build_schema(plain_data=False).execute(
        DASHBOARD, variables, context_value=seeded_context
    )
    general_made = sorted(set(made))
    made.clear()
    answered = await build_schema().execute(DASHBOARD, variables, context_value=seeded_context)
    # then both answer the same pages, but only the general path made nodes of them
    assert expected.errors is None and answered.errors is None
    assert answered.data == expected.data
    assert general_made == ["Payment", "UsageRecord"]
    assert made == []


def _leaves(value: Any) -> int:
    """How many scalar values an answer holds."""
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def test_a_row_s_enum_values_become_the_enum_s_members_and_an_unknown_one_is_refused() -> None:
    # given a usage row and a payment row as the driver gives them, and one of unknown kind
    usage = SimpleNamespace(kind="CALL", direction="OUT")
    payment = SimpleNamespace(method=PaymentMethod.CARD.value)
    # when the node types read them: then the members, as the enums' own call gives them
    assert UsageRecord.row_attributes["kind"](usage) is UsageKind("CALL")
    assert UsageRecord.row_attributes["direction"](usage) is Direction("OUT")
    assert Payment.row_attributes["method"](payment) is PaymentMethod.CARD
    with pytest.raises(ValueError, match="'PHONE_BOOTH' is not a valid UsageKind"):
        UsageRecord.row_attributes["kind"](SimpleNamespace(kind="PHONE_BOOTH"))
