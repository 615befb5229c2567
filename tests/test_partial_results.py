"""Partial results (#12): a field that fails on its own (a bad cursor or page size, a scope the
token lacks, a refused mutation) is null with an error naming its path, and the rest of the
answer stays; ``nodes(ids:)`` reads several objects at once, at most 100."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from detalka.settings import Settings
from tests.browser_api import Api, serving

TOKEN_CREATE = """
mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { token } }
"""


@pytest.fixture(scope="module")
async def api(db: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(db, tmp_path_factory.mktemp("partial")) as served:
        yield served


def last_week(api: Api) -> dict[str, str]:
    today = api.clock.now().astimezone(ZoneInfo("Europe/Moscow")).date()
    return {"from": str(today - timedelta(days=7)), "to": str(today - timedelta(days=1))}


def errors_by_path(body: dict[str, Any]) -> dict[tuple[str, ...], str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}


async def api_token(api: Api, session: str, *scopes: str) -> str:
    variables = {"input": {"name": "Дашборд", "scopes": list(scopes)}}
    body = (await api.post(TOKEN_CREATE, variables, token=session)).json()
    return str(body["data"]["apiTokenCreate"]["token"])


async def test_a_bad_cursor_and_a_bad_page_size_leave_the_rest_of_viewer(api: Api) -> None:
    # given a signed-in subscriber's dashboard query with a stale cursor and a page too big
    subscriber, session = await api.new_session()
    query = """
    query($p: PeriodInput!) {
      viewer {
        msisdn
        homeRegion { code }
        usage(period: $p, after: "not-a-cursor") { edges { cursor } }
        payments(period: $p, first: 101) { edges { cursor } }
        detailOrders(first: 5) { edges { cursor } pageInfo { hasNextPage } }
      }
    }
    """
    # when it is asked
    body = (await api.post(query, {"p": last_week(api)}, token=session)).json()
    # then what could be read is there, and each failure is null where it happened
    viewer = body["data"]["viewer"]
    assert viewer["msisdn"] == subscriber.msisdn
    assert viewer["homeRegion"] == {"code": "MOW"}
    assert viewer["detailOrders"]["pageInfo"] == {"hasNextPage": False}
    assert viewer["usage"] is None and viewer["payments"] is None
    assert errors_by_path(body) == {
        ("viewer", "usage"): "BAD_CURSOR",
        ("viewer", "payments"): "BAD_PAGE_SIZE",
    }


async def test_a_token_without_a_scope_keeps_what_it_may_read(api: Api) -> None:
    # given an API token that may read usage but not the account
    _, session = await api.new_session()
    token = await api_token(api, session, "usage:read")
    query = """
    query($p: PeriodInput!) {
      viewer { msisdn tariff { name } usage(period: $p) { edges { cursor } } }
    }
    """
    body = (await api.post(query, {"p": last_week(api)}, token=token)).json()
    # then the usage is there and the account fields are null, FORBIDDEN each
    assert body["data"]["viewer"]["usage"] == {"edges": []}
    assert body["data"]["viewer"]["msisdn"] is None
    assert errors_by_path(body) == {
        ("viewer", "msisdn"): "FORBIDDEN",
        ("viewer", "tariff"): "FORBIDDEN",
    }


async def test_a_refused_mutation_does_not_hide_the_one_that_ran(api: Api) -> None:
    # given a token that may place and read orders but not manage the session (the preview
    # needs orders:read: writing alone reads nothing back, #11)
    _, session = await api.new_session()
    token = await api_token(api, session, "orders:write", "orders:read")
    document = """
    mutation($input: DetailOrderInput!) {
      detailOrderPreview(input: $input) { preview { format } userErrors { code } }
      sessionDelete { ended }
    }
    """
    order = {"period": last_week(api), "format": "CSV", "delivery": "ARCHIVE"}
    body = (await api.post(document, {"input": order}, token=token)).json()
    assert body["data"]["detailOrderPreview"]["preview"] == {"format": "CSV"}
    assert body["data"]["sessionDelete"] is None
    assert errors_by_path(body) == {("sessionDelete",): "FORBIDDEN"}


async def test_nodes_reads_several_ids_in_order_with_null_for_what_is_not_there(
    api: Api,
) -> None:
    _, session = await api.new_session()
    regions = (await api.post("{ regions { id code } }")).json()["data"]["regions"]
    viewer = (await api.post("{ viewer { id } }", token=session)).json()["data"]["viewer"]
    unknown = base64.b64encode(b"DetailOrder:987654321").decode()
    ids = [viewer["id"], unknown, regions[0]["id"]]
    query = """
    query($ids: [ID!]!) {
      nodes(ids: $ids) { id __typename ... on Region { code } }
    }
    """
    body = (await api.post(query, {"ids": ids}, token=session)).json()
    assert "errors" not in body
    assert body["data"]["nodes"] == [
        {"id": viewer["id"], "__typename": "Subscriber"},
        None,
        {"id": regions[0]["id"], "__typename": "Region", "code": regions[0]["code"]},
    ]


async def test_nodes_takes_at_most_a_hundred_ids(api: Api) -> None:
    region = (await api.post("{ regions { id } }")).json()["data"]["regions"][0]["id"]
    query = "query($ids: [ID!]!) { regions { code } nodes(ids: $ids) { id } }"
    body = (await api.post(query, {"ids": [region] * 101})).json()
    assert body["data"]["nodes"] is None and body["data"]["regions"]
    assert errors_by_path(body) == {("nodes",): "BAD_USER_INPUT"}
    hundred = (await api.post(query, {"ids": [region] * 100})).json()
    assert len(hundred["data"]["nodes"]) == 100
