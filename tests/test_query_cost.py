"""Query cost (#14): every operation priced by docs/aggregators.md's rules, refused before it
runs when too costly, paid from the caller's leaky bucket (refunded down to what it actually
returned), and every answer says so in ``extensions.cost``."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query, parse

from detalka.schema import build_schema
from detalka.schema.cost import Pricing
from detalka.schema.priced import priced
from detalka.seed import SeedReport
from detalka.settings import ConfigError, Settings
from detalka.web.app import create_app
from tests.browser_api import GRAPHQL_RESPONSE, Api, serving
from tests.client import served, websocket
from tests.conftest import SEED_NOW, make_settings
from tests.factories import MovableClock

DOCUMENTS = Path(__file__).parents[1] / "detalka" / "web" / "static" / "app" / "graphql"
DEMO_SIGN_IN = """mutation { sessionCreate(input: {msisdn: "+79001234567",
  password: "demo-password", regionCode: "MOW"}) { token } }"""
# Eight aliases of 5 objects each (__schema, types, fields, type, ofType): 40, no SQL.
INTROSPECTING = (
    "{ "
    + " ".join(
        f"a{i}: __schema {{ types {{ fields {{ type {{ ofType {{ name }} }} }} }} }}"
        for i in range(8)
    )
    + " }"
)


def document(name: str) -> str:
    """A cabinet document with its #import-ed fragments, as the app sends it."""
    text = (DOCUMENTS / f"{name}.graphql").read_text()
    for imported in re.findall(r'#import "\./(.+)"', text):
        text += (DOCUMENTS / imported).read_text()
    return text


def price(query: str, variables: dict[str, Any] | None = None) -> int:
    return Pricing(build_schema()._schema, parse(query), None, variables).requested()


# -- the model, as docs/aggregators.md writes it --------------------------------------------


def test_the_dashboard_query_costs_what_the_rules_add_up_to() -> None:
    expected = (
        1  # viewer: an object
        + 1  # balances
        + 1
        + 1  # main, its amount (Money is an object)
        + 1
        + 1  # additional: a plain list of objects counts once, and its amount
        + 1  # promisedDebt
        + 1
        + 3  # promisedPayments (a plain list) with amount, fee, outstanding
        + 1  # packages: a plain list of scalars
    )
    assert price(document("Overview")) == expected == 12


def test_a_connection_costs_two_plus_its_page_times_one_item() -> None:
    usage = document("Usage")
    period = {"from": "2026-03-01", "to": "2026-03-10"}
    # an item is its node (1) and the node's cost { } (1); viewer is 1
    assert price(usage, {"period": period, "first": 10}) == 1 + 2 + 10 * 2
    assert price(usage, {"period": period}) == 1 + 2 + 50 * 2  # no first: the default page
    assert price(usage, {"period": period, "first": 1000}) == 1 + 2 + 100 * 2  # at most a page
    # pageInfo alone is inside the 2
    only_pages = """{ viewer {
      usage(period: {from: "2026-03-01", to: "2026-03-02"}, first: 5) { pageInfo { hasNextPage } }
    } }"""
    assert price(only_pages) == 1 + 2


def test_a_mutation_costs_ten_plus_what_its_payload_selects() -> None:
    # detailOrderCreate 10; order, its period, store and document 4; userErrors 1
    assert price(document("DetailOrderCreate")) == 10 + 4 + 1
    assert price("mutation { sessionDelete { ended } }") == 10


def test_an_interface_costs_its_most_expensive_type_and_skipped_fields_nothing() -> None:
    query = """query($withTariff: Boolean!) { node(id: "x") {
      ... on Subscriber { homeRegion { code } tariff @include(if: $withTariff) { name } }
      ... on DetailOrder { store { name } document { fileName } }
    } }"""
    # node 1, then DetailOrder's store and document (2) over Subscriber's homeRegion (1)
    assert price(query, {"withTariff": False}) == 1 + 2
    # Subscriber's tariff included: a tie at 2
    assert price(query, {"withTariff": True}) == 1 + 2
    richer = query.replace("homeRegion { code }", "homeRegion { code } balances { state }")
    assert price(richer, {"withTariff": True}) == 1 + 3


def test_fragments_merge_as_execution_merges_them_and_are_priced_once() -> None:
    # given a fragment that spreads the one below it twice, forty levels deep (2**40 spreads
    # if expanded), with one object at the bottom
    fragments = ["fragment F0 on Subscriber { homeRegion { code } }"]
    fragments += [
        f"fragment F{i} on Subscriber {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 41)
    ]
    query = "{ a: viewer { ...F40 } b: viewer { ...F40 } }\n" + "\n".join(fragments)
    # then each viewer costs 1 + homeRegion 1, however many times the fragment is spread
    assert price(query) == 2 * (1 + 1)


def test_introspection_is_priced_and_cheap() -> None:
    cost = price(get_introspection_query(descriptions=True))
    assert 0 < cost <= 100


def test_a_price_kept_with_its_document_follows_the_variables_it_read() -> None:
    # given one parsed document, as the guard's cache hands it to every request
    schema, usage = build_schema()._schema, parse(document("Usage"))
    march = {"from": "2026-03-01", "to": "2026-03-10"}
    # when it is priced for ten rows, then twenty, then ten again over another period
    ten = priced(schema, usage, None, {"period": march, "first": 10})
    twenty = priced(schema, usage, None, {"period": march, "first": 20})
    again = priced(schema, usage, None, {"period": {"from": "2026-04-01"}, "first": 10})
    # then each is the rules' price for its own page, and the period (which no price reads)
    # does not make a new one
    assert (ten.requested, twenty.requested) == (1 + 2 + 10 * 2, 1 + 2 + 20 * 2)
    assert again is ten
    # and a value of another type is another variant (True == 1 in Python)
    assert priced(schema, usage, None, {"period": march, "first": True}) is not ten


def test_skipped_fields_are_priced_by_the_value_of_their_condition() -> None:
    schema = build_schema()._schema
    query = parse("""query($more: Boolean!) { viewer { homeRegion { code }
      tariff @include(if: $more) { monthlyFee { amount } } } }""")
    assert priced(schema, query, None, {"more": False}).requested == 1 + 1
    assert priced(schema, query, None, {"more": True}).requested == 1 + 1 + 2
    assert priced(schema, query, None, {"more": False}).requested == 1 + 1


def test_the_compiled_walk_of_returned_data_agrees_with_the_general_walk() -> None:
    schema = build_schema()._schema
    usage = parse(document("Usage"))
    node = {"id": "x", "cost": {"amount": "1.00", "currency": "RUB"}}
    edges = [{"cursor": "c", "node": node}] * 3
    page = {"viewer": {"usage": {"edges": edges, "pageInfo": {"hasNextPage": False}}}}
    overview = parse(document("Overview"))
    balances = {"main": {"amount": {}}, "additional": [], "promisedDebt": None}
    cases = [
        (usage, {"period": {}, "first": 10}, page),
        (usage, {"period": {}, "first": 10}, {"viewer": None}),
        (usage, {"period": {}, "first": 10}, None),
        (
            overview,
            {},
            {"viewer": {"balances": balances, "promisedPayments": [{}], "packages": []}},
        ),
        (parse(document("DetailOrderCreate")), {}, {"detailOrderCreate": None}),
        (parse(INTROSPECTING), {}, {"a0": {"types": [{"fields": []}]}, "a1": None}),
    ]
    for parsed, variables, data in cases:
        general = Pricing(schema, parsed, None, variables)
        general.requested()
        assert priced(schema, parsed, None, variables).actual(data) == general.actual(data)
    assert priced(schema, usage, None, {"period": {}, "first": 10}).actual(page) == 1 + 2 + 3 * 2


def test_a_page_whose_edges_cost_alike_is_priced_by_its_length_not_walked() -> None:
    # given a page whose every edge costs the same (a non-null node with a non-null cost),
    # and edges the walk would fail on if it opened them
    schema = build_schema()._schema
    usage = parse(document("Usage"))

    class Unopened:
        def get(self, key: str) -> Any:
            raise AssertionError("the edge was walked")

    page = {"viewer": {"usage": {"edges": [Unopened()] * 3, "pageInfo": {}}}}
    # when its actual cost is priced: then viewer 1 + page 2 + 3 edges of (node 1 + cost 1)
    assert priced(schema, usage, None, {"period": {}, "first": 10}).actual(page) == 1 + 2 + 3 * 2
    # and a selection with a nullable object in its edges still walks each one
    nullable = parse("""query { viewer { detailOrders(first: 5) { edges {
      node { store { name } } } } } }""")
    edges = [{"node": {"store": None}}, {"node": {"store": {"name": "x"}}}]
    data = {"viewer": {"detailOrders": {"edges": edges}}}
    general = Pricing(schema, nullable, None, {})
    general.requested()
    assert priced(schema, nullable, None, {}).actual(data) == general.actual(data) == 1 + 2 + 1 + 2


def test_a_maximum_over_the_budget_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DETALKA_QUERY_COST_MAX"):
        make_settings(tmp_path, query_cost_max=2000, cost_budget=1000).check()


# -- on the seeded demo account -------------------------------------------------------------


@pytest.fixture
async def demo(seeded: SeedReport, db: Settings, tmp_path: Path) -> AsyncIterator[tuple[Api, str]]:
    # A restore rate too slow to matter for the test's seconds: levels are exact.
    settings = db.model_copy(update={"cost_restore_rate": 0.001})
    async with serving(settings, tmp_path) as api:
        api.clock.current = SEED_NOW
        signed = (await api.post(DEMO_SIGN_IN)).json()
        yield api, signed["data"]["sessionCreate"]["token"]


def actual_of_overview(viewer: dict[str, Any]) -> int:
    """The dashboard's actual cost by the rules: an empty plain list costs its 1, one with
    items what it was priced at, a null object nothing."""
    balances = viewer["balances"]
    return (
        1  # viewer
        + 1  # balances
        + 2  # main and its amount
        + 1
        + (1 if balances["additional"] else 0)
        + 1  # promisedDebt
        + 1
        + (3 if viewer["promisedPayments"] else 0)
        + 1  # packages
    )


async def test_extensions_cost_follows_the_model_on_the_dashboard_and_a_usage_page(
    demo: tuple[Api, str],
) -> None:
    api, token = demo
    # when the cabinet reads its dashboard, then a page of usage asking for 100 records
    overview = (await api.post(document("Overview"), token=token)).json()
    period = {"from": "2026-03-10", "to": "2026-03-10"}
    usage = (
        await api.post(document("Usage"), {"period": period, "first": 100}, token=token)
    ).json()
    # then each answer prices what was asked and what came back
    overview_cost = overview["extensions"]["cost"]
    assert overview_cost["requestedQueryCost"] == 12
    assert overview_cost["actualQueryCost"] == actual_of_overview(overview["data"]["viewer"])
    edges = usage["data"]["viewer"]["usage"]["edges"]
    assert 0 < len(edges) < 100  # the day had records, fewer than the page
    usage_cost = usage["extensions"]["cost"]
    assert usage_cost["requestedQueryCost"] == 1 + 2 + 100 * 2
    assert usage_cost["actualQueryCost"] == 1 + 2 + len(edges) * 2
    # and the session's bucket paid only the actual costs (the rest was refunded)
    spent = overview_cost["actualQueryCost"] + usage_cost["actualQueryCost"]
    assert usage_cost["throttleStatus"] == {
        "maximumAvailable": 1000,
        "currentlyAvailable": 1000 - spent,
        "restoreRate": 0.001,
    }


TOKEN_CREATE = """mutation { apiTokenCreate(input: {name: "aggregator", scopes: ["usage:read"]}) {
  token
} }"""
FIVE_PAGES = """query($p: PeriodInput!, $n: Int) { viewer {
  a: usage(period: $p, first: $n) { edges { node { id } } }
  b: usage(period: $p, first: $n) { edges { node { id } } }
  c: usage(period: $p, first: $n) { edges { node { id } } }
  d: usage(period: $p, first: $n) { edges { node { id } } }
  e: usage(period: $p, first: $n) { edges { node { id } } }
} }"""


async def test_an_expensive_query_is_refused_before_any_sql_runs(
    demo: tuple[Api, str], caplog: pytest.LogCaptureFixture
) -> None:
    api, token = demo
    period = {"from": "2026-03-01", "to": "2026-03-10"}

    async def statements(query: str, variables: dict[str, Any]) -> tuple[int, Any]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            response = await api.post(
                query, variables, token=token, headers={"Accept": GRAPHQL_RESPONSE}
            )
        sql = [r for r in caplog.records if r.name.startswith("tortoise.db_client")]
        return len(sql), response

    # given what reading the caller's session alone costs in SQL
    baseline, _ = await statements("{ __typename }", {})
    # when five pages of 100 ids are asked for: 1 + 5 * (2 + 100) = 511, under the maximum
    cheap, _ = await statements(FIVE_PAGES, {"p": period, "n": 100})
    # and ten, five of them through a fragment: 1 + 10 * (2 + 100) = 1021, over 1000
    ten_pages = FIVE_PAGES.replace("viewer {", "viewer { ...More", 1) + (
        "fragment More on Subscriber {"
        + "".join(
            f" {x}: usage(period: $p, first: $n) {{ edges {{ node {{ id }} }} }}" for x in "fghij"
        )
        + " }"
    )
    refused, response = await statements(ten_pages, {"p": period, "n": 100})
    # then the cheap one read usage and the costly one nothing past the session
    assert cheap > baseline
    assert refused == baseline
    body = response.json()
    assert response.status_code == 400 and "data" not in body
    error = body["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 1021, "maxCost": 1000}
    assert "1021" in error["message"] and "1000" in error["message"]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1021


# -- the bucket -----------------------------------------------------------------------------


@pytest.fixture
async def tight(db: Settings, tmp_path: Path) -> AsyncIterator[Api]:
    settings = db.model_copy(
        update={"cost_budget": 100, "query_cost_max": 100, "cost_restore_rate": 0.001}
    )
    async with serving(settings, tmp_path) as api:
        yield api


async def test_over_budget_is_throttled_with_the_time_to_wait(tight: Api) -> None:
    # given an anonymous caller that spent 80 of its 100 points
    for _ in range(2):
        spent = (await tight.post(INTROSPECTING)).json()
        assert "errors" not in spent and spent["extensions"]["cost"]["actualQueryCost"] == 40
    # when it asks for 40 more, in both media types
    strict = await tight.post(INTROSPECTING, headers={"Accept": GRAPHQL_RESPONSE})
    plain = await tight.post(INTROSPECTING, headers={"Accept": "application/json"})
    # then it is throttled: 429 with Retry-After, or 200 under application/json
    assert (strict.status_code, plain.status_code) == (429, 200)
    for response in (strict, plain):
        body = response.json()
        assert "data" not in body
        error = body["errors"][0]["extensions"]
        assert error["code"] == "THROTTLED"
        # 20 points short at a point every 1000 s (less what the test's seconds restored)
        assert 19_900 <= error["retryAfter"] <= 20_000
        assert response.headers["retry-after"] == str(error["retryAfter"])
        cost = body["extensions"]["cost"]
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (40, 0)
        assert cost["throttleStatus"]["currentlyAvailable"] < 40  # nothing was taken


async def test_each_caller_has_a_bucket_of_its_own(tight: Api) -> None:
    # given a session, then its anonymous address spending all it has
    _, session = await tight.new_session()
    tight.http.cookies.clear()  # sessionCreate's cookie would make the client the session
    while "errors" not in (await tight.post(INTROSPECTING)).json():
        pass
    assert (await tight.post(INTROSPECTING)).json()["errors"][0]["extensions"]["code"] == (
        "THROTTLED"
    )
    # then the session's own bucket is full
    body = (await tight.post(INTROSPECTING, token=session)).json()
    assert "errors" not in body
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 100 - 40
    # and an API token the session makes has a bucket of its own too
    made = await tight.post(TOKEN_CREATE, token=session)
    token = made.json()["data"]["apiTokenCreate"]["token"]
    session_left = made.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
    assert session_left == 100 - 40 - 10  # a mutation selecting only a scalar costs 10
    body = (await tight.post(INTROSPECTING, token=token)).json()
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 100 - 40


async def test_a_websocket_result_carries_its_cost_and_is_throttled_the_same(
    db: Settings, tmp_path: Path
) -> None:
    slow = {"cost_budget": 50, "query_cost_max": 50, "cost_restore_rate": 0.001}
    settings = db.model_copy(update={"data_dir": tmp_path, **slow})
    app = create_app(settings, open_db=False, clock=MovableClock())
    async with served(app) as address, websocket(address) as socket:
        assert (await socket.init())["type"] == "connection_ack"
        # when a query runs over the socket, then its result says what it cost
        await socket.subscribe("1", INTROSPECTING)
        first = await socket.receive()
        assert first["type"] == "next"
        assert first["payload"]["extensions"]["cost"]["actualQueryCost"] == 40
        assert (await socket.receive())["type"] == "complete"
        # when the next does not fit, then it is THROTTLED like over HTTP
        await socket.subscribe("2", INTROSPECTING)
        second = await socket.receive()
        assert second["payload"]["data"] is None
        assert second["payload"]["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert second["payload"]["extensions"]["cost"]["requestedQueryCost"] == 40
        assert (await socket.receive())["type"] == "complete"
        # when the last 10 points go and a subscription asks for its 1, then it is refused
        # in its first result, and nothing was subscribed
        two_aliases = INTROSPECTING.split(" a2:")[0] + " }"
        await socket.subscribe("3", two_aliases)
        last = await socket.receive()
        assert last["payload"]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
        assert (await socket.receive())["type"] == "complete"
        await socket.subscribe("4", "subscription { detailOrderUpdated { id } }")
        refused = await socket.receive()
        assert refused["type"] == "next", refused
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert refused["payload"]["extensions"]["cost"]["requestedQueryCost"] == 1
        assert (await socket.receive())["type"] == "complete"
