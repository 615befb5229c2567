"""Reference data over GraphQL: regions, stores, node(id), health probes, encoding."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from detalka.models import Region, Store
from detalka.settings import Settings
from tests.client import GraphQL, api_client

REGIONS = "{ regions { id code name timeZone } }"
STORES = """
query Stores($code: String!) {
  stores(regionCode: $code) { id name address region { code timeZone } }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Store { name region { code } }
    ... on Region { code timeZone }
  }
}
"""


@pytest.fixture
async def client(db: Settings) -> AsyncIterator[GraphQL]:
    async with api_client(db) as http:
        yield GraphQL(http)


@pytest.fixture
async def far_east(db: Settings) -> AsyncIterator[Region]:
    region = await Region.create(code="TPRI", name="Приморский край", time_zone="Asia/Vladivostok")
    await Store.create(region=region, name="Салон «Светланская»", address="ул. Светланская, 29")
    await Store.create(region=region, name="Салон «Алеутская»", address="ул. Алеутская, 11")
    yield region
    await Store.filter(region=region).delete()
    await region.delete()


async def test_regions_answer_with_their_time_zones(client: GraphQL, far_east: Region) -> None:
    data = await client.data(REGIONS)
    by_code = {r["code"]: r for r in data["regions"]}
    assert by_code["TPRI"]["timeZone"] == "Asia/Vladivostok"
    assert by_code["TPRI"]["name"] == "Приморский край"


async def test_stores_of_a_region_come_by_name_whatever_the_code_case(
    client: GraphQL, far_east: Region
) -> None:
    data = await client.data(STORES, {"code": "tpri"})
    assert [s["name"] for s in data["stores"]] == ["Салон «Алеутская»", "Салон «Светланская»"]
    assert {s["region"]["timeZone"] for s in data["stores"]} == {"Asia/Vladivostok"}


async def test_stores_of_an_unknown_region_are_an_empty_list(client: GraphQL) -> None:
    data = await client.data(STORES, {"code": "NOWHERE"})
    assert data["stores"] == []


async def test_node_finds_a_store_and_a_region_by_their_global_ids(
    client: GraphQL, far_east: Region
) -> None:
    # given the global IDs the API hands out
    stores = (await client.data(STORES, {"code": "TPRI"}))["stores"]
    store_id = stores[0]["id"]
    region_id = base64.b64encode(f"Region:{far_east.id}".encode()).decode()
    # when / then
    store = (await client.data(NODE, {"id": store_id}))["node"]
    assert store == {
        "__typename": "Store",
        "id": store_id,
        "name": stores[0]["name"],
        "region": {"code": "TPRI"},
    }
    region = (await client.data(NODE, {"id": region_id}))["node"]
    assert region["code"] == "TPRI"


async def test_node_of_a_subscriber_is_hidden_from_an_anonymous_caller(
    client: GraphQL,
) -> None:
    subscriber_id = base64.b64encode(b"Subscriber:1").decode()
    data = await client.data(NODE, {"id": subscriber_id})
    assert data["node"] is None


async def test_viewer_is_null_for_an_anonymous_caller(client: GraphQL) -> None:
    assert (await client.data("{ viewer { msisdn } }")) == {"viewer": None}


async def test_cyrillic_travels_as_utf8_not_escapes(client: GraphQL, far_east: Region) -> None:
    response = await client.post(REGIONS)
    assert "Приморский край".encode() in response.content
    assert b"\\u041f" not in response.content


async def test_health_and_readiness_answer(client: GraphQL) -> None:
    assert (await client.http.get("/healthz")).json() == {"status": "ok"}
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_a_malformed_query_is_a_top_level_error_not_a_crash(client: GraphQL) -> None:
    response = await client.post("{ regions { nonsense } }")
    assert response.status_code == 200
    assert "Cannot query field 'nonsense'" in response.json()["errors"][0]["message"]


async def test_several_operations_without_an_operation_name_are_refused(client: GraphQL) -> None:
    # GraphQL's GetOperation(): the server may not pick one (strawberry ran the first).
    document = "query A { regions { code } } query B { __typename }"
    body = (await client.post(document)).json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "operation name" in body["errors"][0]["message"]
    chosen = (await client.post(document, operation_name="B")).json()
    assert chosen["data"] == {"__typename": "Query"}
