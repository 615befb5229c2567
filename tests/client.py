"""The one GraphQL client of the tests, as a front-end calls the API: over HTTP (the ASGI app
in-process, or uvicorn on loopback) and over a WebSocket (graphql-transport-ws).

``GraphQL.post``/``get`` give the raw response; ``body`` the JSON of a 200 answer; ``data`` the
``data`` of an answer without top-level errors (anything else fails the test).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from detalka.settings import Settings
from detalka.web.app import create_app
from tests.polling import eventually

SIGN_IN = "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }"


@dataclass
class GraphQL:
    """A GraphQL caller on ``http``; ``token`` is the default bearer ("" sends none)."""

    http: httpx.AsyncClient
    token: str = ""

    async def post(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"variables": variables or {}}
        if query is not None:  # a persisted query's hash alone
            body["query"] = query
        if extensions is not None:
            body["extensions"] = extensions
        if operation_name is not None:
            body["operationName"] = operation_name
        return await self.http.post("/graphql", json=body, headers=self._headers(token, headers))

    async def get(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        params: dict[str, str] = {}
        if query is not None:
            params["query"] = query
        if variables:
            params["variables"] = json.dumps(variables)
        if extensions is not None:
            params["extensions"] = json.dumps(extensions)
        return await self.http.get("/graphql", params=params, headers=self._headers(token, headers))

    async def body(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        """The JSON answer of a POST, which must be HTTP 200 (errors, if any, included)."""
        response = await self.post(query, variables, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        """The ``data`` of a successful answer; fails the test on any top-level error."""
        body = await self.body(query, variables, token=token)
        assert "errors" not in body, body
        return body["data"]

    async def sign_in(self, msisdn: str, password: str, region: str = "MOW") -> str:
        """A session token for these credentials (the call itself sends no bearer)."""
        variables = {"i": {"msisdn": msisdn, "password": password, "regionCode": region}}
        token: str = (await self.data(SIGN_IN, variables, token=""))["sessionCreate"]["token"]
        return token

    def _headers(self, token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return headers | (extra or {})


def asgi_http(app: Starlette, base_url: str = "http://detalka.test") -> httpx.AsyncClient:
    """An HTTP client that calls ``app`` in-process (no socket)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def api_client(settings: Settings) -> httpx.AsyncClient:
    """An HTTP client for the app, on a database the test already holds open."""
    return asgi_http(create_app(settings, open_db=False))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> bool:
    """Whether the server that ``process`` runs answers ``/readyz`` (a probe for
    ``eventually_sync``); a process that exited fails the test with its log."""
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@asynccontextmanager
async def served(app: Starlette, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on ``port`` or a free one; yields ``host:port``."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(
            lambda: server.started, timeout_s=10, interval_s=0.01, explain="server did not start"
        )
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


class Socket:
    """A graphql-transport-ws client: the protocol the API speaks, nothing else."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout_s: float = 30) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout_s))
        return message

    async def init(self, token: str | None = None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )


@asynccontextmanager
async def websocket(address: str) -> AsyncIterator[Socket]:
    import websockets

    url = f"ws://{address}/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        yield Socket(ws)
