"""#11: every input an outsider sends is a coded client error, never a 500: bodies that are
not JSON, IDs that name nothing a database can hold, strings no driver takes, and requests
that run out of time. Each refusal is one INFO log line, not a traceback."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from detalka.resolvers import catalog
from detalka.settings import Settings
from tests.browser_api import GRAPHQL_RESPONSE, Api, serving
from tests.client import websocket
from tests.test_browser_socket import init, receive, send, socket

NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
CANCEL = """mutation($id: ID!) {
  detailOrderCancel(input: {id: $id}) { order { id } userErrors { code } }
}"""
STORES = "query($code: String!) { stores(regionCode: $code) { name } }"
JSON_HEADERS = {"content-type": "application/json"}


def gid(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
async def api(db: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(db, tmp_path_factory.mktemp("input-boundary")) as served:
        yield served


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ regions { code } }", "x": "\xff\xfe"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
        b'{"query": "{ regions { code } }", "variables": {"n": ' + b"9" * 5000 + b"}}",
        b'"{ regions { code } }"',  # JSON, but not an object
        b"[1, 2]",
        b"{",
        b'{"query": "{ regions { code } }", "operationName": 5}',
    ],
    ids=["utf8", "deep", "digits", "string", "list", "broken", "operation-name"],
)
async def test_a_body_that_is_not_a_graphql_request_is_a_coded_400(api: Api, body: bytes) -> None:
    response = await api.http.post("/graphql", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400, response.text
    assert codes(response) == ["BAD_REQUEST"]
    assert "data" not in response.json()


async def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    limit = api.settings.max_body_bytes
    declared = await api.http.post(
        "/graphql", content=b"{" + b" " * limit + b"}", headers=JSON_HEADERS
    )
    assert declared.status_code == 413
    assert codes(declared) == ["REQUEST_TOO_LARGE"]

    # without Content-Length (chunked), refused once the bytes pass the limit
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(limit // 2**16 + 2):
            yield b" " * 2**16

    chunked = await api.http.post("/graphql", content=chunks(), headers=JSON_HEADERS)
    assert chunked.status_code == 413
    assert codes(chunked) == ["REQUEST_TOO_LARGE"]


@pytest.mark.parametrize(
    "given",
    [
        "not-an-id",
        gid("Nope:1"),  # no such type
        gid("Money:1"),  # a type, not a Node
        gid("Store:abc"),
        gid("Store:2147483648"),  # 2^31: "value out of int32 range" on PostgreSQL
        gid("Store:" + "9" * 30),  # "Python int too large to convert to SQLite INTEGER"
        gid("Store:0"),
        gid("Store:-1"),
    ],
)
async def test_a_malformed_id_is_bad_id_in_node_nodes_and_mutations(api: Api, given: str) -> None:
    _, token = await api.new_session()
    node = await api.post(NODE, {"id": given}, token=token)
    assert codes(node) == ["BAD_ID"]
    assert given not in node.text  # never echoed
    nodes = await api.post(NODES, {"ids": [given]}, token=token)
    assert codes(nodes) == ["BAD_ID"]
    cancel = await api.post(CANCEL, {"id": given}, token=token)
    assert codes(cancel) == ["BAD_ID"]


async def test_an_id_of_another_type_is_bad_id_in_a_mutation(api: Api) -> None:
    _, token = await api.new_session()
    response = await api.post(CANCEL, {"id": gid("Store:1")}, token=token)
    assert codes(response) == ["BAD_ID"]
    assert response.json()["data"] == {"detailOrderCancel": None}


@pytest.mark.parametrize(
    ("variables", "query"),
    [
        ({"code": "ABCDEFGHI"}, STORES),  # Region.code is VARCHAR(8)
        ({"code": "MO\u0000W"}, STORES),  # PostgreSQL text holds no NUL
        ({"code": "x" * 1001}, STORES),
        ({"id": "\ud800"}, NODE),  # a lone surrogate: not UTF-8
        ({}, 'query { stores(regionCode: "MO\\u0000W") { name } }'),
    ],
    ids=["long-code", "nul", "long", "surrogate", "literal-nul"],
)
async def test_a_string_no_driver_takes_is_bad_user_input(
    api: Api, variables: dict[str, Any], query: str
) -> None:
    # ASCII JSON: a lone surrogate travels as the escape "\ud800", as a client would send it
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = await api.http.post("/graphql", content=body, headers=JSON_HEADERS)
    assert codes(response) == ["BAD_USER_INPUT"], response.text
    assert response.status_code == 200


@pytest.fixture
async def impatient(
    db: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    """The API with a 0.2 s time limit, whose `regions` takes 30 s."""

    async def slow() -> list[Any]:
        await asyncio.sleep(30)
        return []

    monkeypatch.setattr(catalog, "regions", slow)
    async with serving(db.model_copy(update={"request_timeout_seconds": 0.2}), tmp_path) as api:
        yield api


async def test_a_request_out_of_time_answers_timeout(impatient: Api) -> None:
    response = await impatient.post("{ regions { code } }")
    assert codes(response) == ["TIMEOUT"]
    response = await impatient.post("{ regions { code } }", headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 504


async def test_a_refused_request_is_one_info_line_without_traceback_or_input(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    _, token = await api.new_session()
    given = gid("Store:99999999999")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await api.post(NODE, {"id": given}, token=token)
        await api.http.post("/graphql", content=b"{", headers=JSON_HEADERS)
    refusals = [r for r in caplog.records if r.name.startswith("detalka.")]
    assert [(r.levelno, getattr(r, "code", None)) for r in refusals] == [
        (logging.INFO, "BAD_ID"),
        (logging.INFO, "BAD_REQUEST"),
    ]
    assert all(r.exc_info is None for r in refusals)
    assert given not in caplog.text


async def test_a_bug_is_logged_once_with_its_traceback(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> list[Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog, "regions", broken)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = await api.post("{ regions { code } }")
    assert codes(response) == ["INTERNAL_SERVER_ERROR"]
    bugs = [r for r in caplog.records if r.name.startswith("detalka.")]
    assert [(r.levelno, getattr(r, "code", None)) for r in bugs] == [
        (logging.ERROR, "INTERNAL_SERVER_ERROR")
    ]
    assert bugs[0].exc_info is not None


async def test_a_websocket_message_over_the_limit_closes_the_socket_1009(api: Api) -> None:
    _, token = await api.new_session()
    async with socket(api.address) as ws:
        assert (await init(ws, token))["type"] == "connection_ack"
        query = "{ regions { code } }" + " " * api.settings.max_body_bytes
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": query}})
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


@pytest.mark.parametrize(
    "message",
    [
        {"id": "1", "type": "subscribe", "payload": "{ regions { code } }"},
        {"id": "1", "type": "subscribe", "payload": {"query": 5}},
        {"id": 1, "type": "subscribe", "payload": {"query": "{ regions { code } }"}},
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": "{ regions { code } }", "variables": "x"},
        },
        [1, 2],
    ],
    ids=["payload-string", "query-number", "id-number", "variables-string", "list"],
)
async def test_a_malformed_socket_message_closes_it_4400_instead_of_crashing(
    api: Api, message: Any
) -> None:
    _, token = await api.new_session()
    async with socket(api.address) as ws:
        assert (await init(ws, token))["type"] == "connection_ack"
        await send(ws, message)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_a_query_over_the_socket_out_of_time_answers_timeout_and_the_socket_lives_on(
    impatient: Api,
) -> None:
    _, token = await impatient.new_session()
    async with websocket(impatient.address) as socket:
        assert (await socket.init(token))["type"] == "connection_ack"
        # a subscription waits for events past the limit
        await socket.subscribe("live", "subscription { detailOrderUpdated { id } }")
        # while a query sent on the same socket is cut at the limit, with a code
        await socket.subscribe("slow", "{ regions { code } }")
        answer = await socket.receive(timeout_s=10)
        assert answer["id"] == "slow" and answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == "TIMEOUT"
        await asyncio.sleep(0.5)
        # and the socket serves the next operation
        await socket.subscribe("next", "query Name { __typename }")
        answer = await socket.receive(timeout_s=10)
        assert answer == {"id": "next", "type": "next", "payload": answer["payload"]}
        assert answer["payload"]["data"] == {"__typename": "Query"}
