"""The WebSocket as a browser meets it (#12): the same allowed origins as CORS, a bad token
closed with 4403, and a code on every error of an operation, which ends that operation only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from detalka.errors import RequestErrorCode
from detalka.settings import Settings
from tests.browser_api import Api, production, serving

VITE = "http://localhost:5173"
FOLLOW = "subscription($id: ID) { detailOrderUpdated(id: $id) { id status } }"


@pytest.fixture(scope="module")
async def api(db: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(db, tmp_path_factory.mktemp("browser-socket")) as served:
        yield served


@asynccontextmanager
async def socket(
    address: str, origin: str | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        additional_headers=headers,
    ) as ws:
        yield ws


async def send(ws: Any, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


async def init(ws: Any, token: str = "") -> dict[str, Any]:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await send(ws, {"type": "connection_init", "payload": payload})
    return await receive(ws)


async def refused_status(address: str, origin: str) -> int | None:
    try:
        async with socket(address, origin) as ws:
            await init(ws)
    except InvalidStatus as refused:
        return int(refused.response.status_code)
    return None


async def test_an_allowed_origin_opens_the_socket_and_another_gets_403(api: Api) -> None:
    async with socket(api.address, VITE) as ws:
        assert (await init(ws))["type"] == "connection_ack"
    async with socket(api.address, api.base) as ws:  # the server's own page
        assert (await init(ws))["type"] == "connection_ack"
    assert await refused_status(api.address, "https://evil.example") == 403


async def test_production_opens_the_socket_to_listed_origins_only(
    db: Settings, tmp_path: Path
) -> None:
    listed = production(db, allowed_origins=["https://lk.example.ru"])
    async with serving(listed, tmp_path) as prod:
        async with socket(prod.address, "https://lk.example.ru") as ws:
            assert (await init(ws))["type"] == "connection_ack"
        assert await refused_status(prod.address, VITE) == 403


async def test_a_bad_token_closes_the_socket_with_4403(api: Api) -> None:
    for token, headers in [("not-a-token", None), ("", {"Authorization": "Bearer nope"})]:
        async with socket(api.address, VITE, headers) as ws:
            await send(
                ws,
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {token}"} if token else {},
                },
            )
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("subscription { detailOrderUpdated { id ", {}, "GRAPHQL_PARSE_FAILED"),
        ("subscription { detailOrderUpdatd { id } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        (FOLLOW, {"id": {"an": "object"}}, "GRAPHQL_VALIDATION_FAILED"),
        (FOLLOW, {"id": "not-an-id"}, "BAD_ID"),
        (FOLLOW, {"id": "RGV0YWlsT3JkZXI6OTk5OTk5OTk5"}, "NOT_FOUND"),
    ],
)
async def test_every_error_of_an_operation_on_the_socket_has_a_code(
    api: Api, query: str, variables: dict[str, Any], code: str | None
) -> None:
    _, token = await api.new_session()
    async with socket(api.address, VITE) as ws:
        assert (await init(ws, token))["type"] == "connection_ack"
        await send(
            ws,
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}},
        )
        message = await receive(ws)
        # and the connection stays open for the operations that are right
        await send(ws, {"type": "ping"})
        after = [await receive(ws)]
        if after[0]["type"] == "complete":  # a `next` with errors is followed by `complete`
            after.append(await receive(ws))
        assert after[-1]["type"] == "pong"
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    codes = [e["extensions"]["code"] for e in errors]
    assert codes and set(codes) <= {c.value for c in RequestErrorCode}
    if code is not None:
        assert codes == [code]
