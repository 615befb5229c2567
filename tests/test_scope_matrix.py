"""Scopes mean what they say: every API token scope against every field of the schema.

Both halves are generated from the schema, so a new field or mutation is covered without
touching this file (or the test says what to classify):
- statically, no field reached through a mutation (or the subscription) needs fewer scopes
  than the same data needs when read from ``Query``: writing never grants reading;
- live, a token of each scope runs every root query field and every mutation with every
  field selected, and reads exactly the fields whose path's ``@scope``s it holds: the
  others are null with FORBIDDEN at their path.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type

from detalka.models import Region, Store
from detalka.resolvers.access import Scope
from detalka.settings import Settings
from tests import scope_walk
from tests.ordering import OCTOBER, PASSWORD, Ordering, order_input, working

# Types that only mutations return, and what reading them needs (they hold no Query path).
PAYLOAD_ONLY_TYPES: dict[str, set[frozenset[str]]] = {
    "DetailOrderPreview": {frozenset({"orders:read"})},  # the address on file, row estimate
    "UserError": {frozenset()},
    "Captcha": {frozenset()},
}
# Leaves of payloads that show nothing but the outcome of the caller's own action.
RECEIPTS = {
    "SessionCreatePayload.token",
    "SessionCreatePayload.expiresAt",
    "SessionDeletePayload.ended",
    "PasswordRequestPayload.accepted",
    "ApiTokenCreatePayload.token",
    "DetailOrderCreatePayload.orderId",
    "DetailSchedulePayload.scheduleId",
    "DetailScheduleDeletePayload.deletedId",
    "WebhookEndpointCreatePayload.secret",  # the new endpoint's signing secret, shown once
    "WebhookEndpointDeletePayload.deletedId",
}
# Root fields whose reader is checked in code (detalka/schema/live.py's _viewer).
CHECKED_IN_CODE = {"Subscription.detailOrderUpdated": frozenset({"orders:read"})}
# The payload of these is read as the session they create, not as the caller.
SIGN_IN = {"sessionCreate"}

ARGUMENTS = {
    "Query.stores": '(regionCode: "MOW")',
    "Subscriber.expenses": f'(period: {{from: "{OCTOBER["from"]}", to: "{OCTOBER["to"]}"}})',
    "Subscriber.usage": f'(period: {{from: "{OCTOBER["from"]}", to: "{OCTOBER["to"]}"}}, first: 2)',
    "Subscriber.payments": f'(period: {{from: "{OCTOBER["from"]}", to: "{OCTOBER["to"]}"}}, '
    "first: 2)",
    "Subscriber.detailOrders": "(first: 2)",
}


def test_no_payload_reads_more_than_its_path_of_scopes_allows() -> None:
    gql = scope_walk.schema()
    reach = scope_walk.query_reach(gql) | PAYLOAD_ONLY_TYPES
    problems = []
    for root in ("Mutation", "Subscription"):
        root_type = gql.get_type(root)
        assert isinstance(root_type, GraphQLObjectType)
        for name in root_type.fields:
            checked = CHECKED_IN_CODE.get(f"{root}.{name}", frozenset())
            for met in scope_walk.walk(gql, root, name):
                needed = met.needed | checked
                target = gql.get_type(met.target)
                if len(met.path) == 1:
                    continue  # the payload itself: its fields are checked below
                if isinstance(target, GraphQLObjectType):
                    if target.name not in reach:
                        problems.append(f"{met.path}: classify {target.name} in PAYLOAD_ONLY_TYPES")
                    elif not any(alternative <= needed for alternative in reach[target.name]):
                        problems.append(
                            f"{met.path} shows {target.name} without {reach[target.name]}"
                        )
                elif met.parent not in reach and f"{met.parent}.{met.field}" not in RECEIPTS:
                    problems.append(f"{met.path}: is {met.parent}.{met.field} a receipt?")
    assert problems == []


def test_the_check_above_finds_a_payload_that_returns_an_order_to_a_writer() -> None:
    # the check itself can fail: the order under detailOrderCreate needs orders:read
    gql = scope_walk.schema()
    reach = scope_walk.query_reach(gql)
    assert reach["DetailOrder"] == {frozenset({"orders:read"})}
    assert reach["Document"] == {frozenset({"orders:read"})}
    (order,) = [
        m for m in scope_walk.walk(gql, "Mutation", "detailOrderCreate") if m.path[-1] == "order"
    ]
    assert order.needed == {"orders:write", "orders:read"}


# -- live ---------------------------------------------------------------------------------

TOKENS = [[s] for s in Scope] + [[str(s) for s in Scope]]
TOKEN_CREATE = """
mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { token apiToken { id } } }
"""


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    async with working(db.model_copy(update={"data_dir": tmp_path})) as opened:
        # a ready order with its document, so that every field has something to show
        created = await opened.create()
        await opened.wait_for(created["order"]["id"], "READY")
        yield opened


async def _examples(ordering: Ordering) -> dict[str, dict[str, Any]]:
    """An input for every mutation, on objects of the subscriber's own made fresh."""
    pending = (await ordering.create(period={"from": "2026-10-01", "to": "2026-10-02"}))["order"]
    pending_id = pending["id"]
    schedule = await ordering.data(
        "mutation { detailScheduleCreate(input: {frequency: WEEKLY, format: CSV}) { scheduleId } }"
    )
    token = await ordering.data(TOKEN_CREATE, {"input": {"name": "x", "scopes": ["usage:read"]}})
    schedule_id = schedule["detailScheduleCreate"]["scheduleId"]
    hook = {"url": "http://127.0.0.1:9/hook", "eventTypes": ["DETAIL_ORDER_READY"]}
    endpoint = await ordering.data(
        "mutation($i: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $i) "
        "{ endpoint { id } } }",
        {"i": hook},
    )
    endpoint_id = endpoint["webhookEndpointCreate"]["endpoint"]["id"]
    no_delivery = base64.b64encode(b"WebhookDelivery:2147483647").decode()
    return {
        "captchaCreate": {},
        "passwordRequest": {"msisdn": ordering.subscriber.msisdn},
        "sessionCreate": {
            "msisdn": ordering.subscriber.msisdn,
            "password": PASSWORD,
            "regionCode": "MOW",
        },
        "sessionDelete": {},
        "passwordChange": {"newPassword": PASSWORD},
        "detailOrderPreview": order_input(delivery="EMAIL"),
        "detailOrderCreate": order_input(delivery="EMAIL"),
        "detailOrderCancel": {"id": pending_id},
        "detailScheduleCreate": {"frequency": "MONTHLY", "format": "PDF"},
        "detailScheduleUpdate": {"id": schedule_id, "paused": True},
        "detailScheduleDelete": {"id": schedule_id},
        "apiTokenCreate": {"name": "y", "scopes": ["usage:read"]},
        "apiTokenRevoke": {"id": token["apiTokenCreate"]["apiToken"]["id"]},
        "webhookEndpointCreate": hook,
        "webhookEndpointUpdate": {"id": endpoint_id, "enabled": True},
        "webhookEndpointDelete": {"id": endpoint_id},
        "webhookDeliveryRetry": {"id": no_delivery},
    }


def _documents() -> list[tuple[str, str, str]]:
    """(root, field, document) for every root query field and mutation, every field asked."""
    gql = scope_walk.schema()
    documents = []
    for root in ("Query", "Mutation"):
        root_type = gql.get_type(root)
        assert isinstance(root_type, GraphQLObjectType)
        for name, field in root_type.fields.items():
            if root == "Query" and name in scope_walk.CHECKED_IN_CODE:
                continue
            keyword = root.lower()
            if root == "Mutation" and field.args:
                args = "(input: $input)"
                input_type = get_named_type(field.args["input"].type).name
                keyword = f"mutation($input: {input_type}!)"
            else:
                args = scope_walk.call_arguments(f"{root}.{name}", field, ARGUMENTS) or ""
            body = scope_walk.selection(gql, field, ARGUMENTS, frozenset({root}))
            documents.append((root, name, f"{keyword} {{ {name}{args} {body} }}"))
    return documents


@pytest.mark.parametrize("scopes", TOKENS, ids=["+".join(s) for s in TOKENS])
async def test_a_token_reads_only_what_its_scopes_allow(
    ordering: Ordering, scopes: list[str]
) -> None:
    # given a token with these scopes and an input for every mutation
    created = await ordering.data(TOKEN_CREATE, {"input": {"name": "matrix", "scopes": scopes}})
    token = created["apiTokenCreate"]["token"]
    gql = scope_walk.schema()
    examples = await _examples(ordering)
    checked = 0
    for root, name, document in _documents():
        assert root == "Query" or name in examples, f"add an example input for {name}"
        variables = {"input": examples[name]} if examples.get(name) else {}
        # when the token asks for every field
        response = await ordering.http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert "data" in body, body
        forbidden = {
            tuple(str(p) for p in e.get("path", ()))
            for e in body.get("errors", ())
            if e.get("extensions", {}).get("code") == "FORBIDDEN"
        }
        held = frozenset(scopes) | ({scope_walk.SESSION} if name in SIGN_IN else frozenset())
        if name in SIGN_IN:
            held |= {str(s) for s in Scope}
        # then each field is there exactly when the token holds its path's scopes
        checked += _check(gql, root, name, body["data"], held, forbidden)
    assert checked > 100


def _check(
    gql: Any,
    root: str,
    name: str,
    data: dict[str, Any],
    held: frozenset[str],
    forbidden: set[tuple[str, ...]],
) -> int:
    """Walks the answer along the schema; returns how many fields it checked."""
    count = 0
    values: dict[tuple[str, ...], list[Any]] = {(): [(data, ())]}
    for met in scope_walk.walk(gql, root, name):
        parents = values.get(met.path[:-1], [])
        found = []
        for parent, at in parents:
            if not isinstance(parent, dict) or met.field not in parent:
                continue
            value = parent[met.field]
            path = (*at, met.field)
            count += 1
            if met.needed <= held:
                assert path not in forbidden, f"{path}: held {sorted(held)}, needs {met.needed}"
            else:
                assert value is None, f"{path} read without {sorted(met.needed - held)}"
                assert path in forbidden, f"{path}: null but not FORBIDDEN"
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                found.append((item, (*path, str(index)) if isinstance(value, list) else path))
        values[met.path] = found
    return count


IDS = f"""
{{ viewer {{ id tariff {{ id }} homeRegion {{ id }} apiTokens {{ id }} detailSchedules {{ id }}
    detailOrders(first: 10) {{ edges {{ node {{ id document {{ id }} }} }} }}
    usage{ARGUMENTS["Subscriber.usage"]} {{ edges {{ node {{ id }} }} }}
    payments{ARGUMENTS["Subscriber.payments"]} {{ edges {{ node {{ id }} }} }} }}
  stores(regionCode: "MOW") {{ id }}
  webhookEndpoints(first: 10) {{ edges {{ node {{ id }} }} }} }}
"""


# Public by id though no Query field lists them: a tariff is a published plan (name and fee);
# which plan a subscriber has is Subscriber.tariff, which needs account:read.
PUBLIC_NODES = {"Tariff"}
# A token sees only the webhook endpoints it registered itself (docs/aggregators.md); this one
# the session made, so no token may read it, whatever its scopes.
MADE_BY_ANOTHER = {"WebhookEndpoint"}


def _ids_by_type(data: dict[str, Any]) -> dict[str, str]:
    viewer = data["viewer"]
    (order, *_) = [
        e["node"] for e in viewer["detailOrders"]["edges"] if e["node"]["document"] is not None
    ]
    return {
        "Subscriber": viewer["id"],
        "Tariff": viewer["tariff"]["id"],
        "Region": viewer["homeRegion"]["id"],
        "ApiToken": viewer["apiTokens"][0]["id"],
        "DetailSchedule": viewer["detailSchedules"][0]["id"],
        "DetailOrder": order["id"],
        "Document": order["document"]["id"],
        "UsageRecord": viewer["usage"]["edges"][0]["node"]["id"],
        "Payment": viewer["payments"]["edges"][0]["node"]["id"],
        "Store": data["stores"][0]["id"],
        "WebhookEndpoint": data["webhookEndpoints"]["edges"][0]["node"]["id"],
    }


@pytest.mark.parametrize("scopes", TOKENS, ids=["+".join(s) for s in TOKENS])
async def test_node_shows_a_token_only_the_objects_its_scopes_read(
    ordering: Ordering, scopes: list[str]
) -> None:
    # given an object of every Node type, and a token with these scopes
    await _examples(ordering)  # a schedule and an API token exist
    if not await Store.exists(region__code="MOW"):
        region = await Region.get(code="MOW")
        await Store.create(region=region, name="Салон на Тверской", address="Тверская, 1")
    ids = _ids_by_type(await ordering.data(IDS))
    gql = scope_walk.schema()
    node_types = [t.name for t in gql.type_map.values() if getattr(t, "interfaces", None)]
    node_types = [n for n in node_types if "Node" in {i.name for i in gql.type_map[n].interfaces}]  # type: ignore[attr-defined]
    assert set(node_types) == set(ids), "add an id of each Node type to IDS"
    reach = scope_walk.query_reach(gql)
    created = await ordering.data(TOKEN_CREATE, {"input": {"name": "nodes", "scopes": scopes}})
    token = created["apiTokenCreate"]["token"]
    for type_name, node_id in ids.items():
        # when it asks for the object by id, then it gets it only if a Query path lets it
        response = await ordering.http.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { node(id: $id) { id } }",
                "variables": {"id": node_id},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        readable = type_name not in MADE_BY_ANOTHER and (
            type_name in PUBLIC_NODES
            or any(alternative <= set(scopes) for alternative in reach[type_name])
        )
        found = response.json()["data"]["node"]
        assert (found is not None) == readable, (type_name, scopes, response.json())
