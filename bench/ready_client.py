"""The client of bench/ready.py: create an order over HTTP, wait for READY on the socket.

    .venv/bin/python -m bench.ready_client ADDRESS TOKEN REQUEST FLOW   (bench/ready.py runs it)

One client for every contender that has a server (Detalka and the stack's floor of
bench/ready_floor.py): a ``Flow`` says which mutation it POSTs, which subscription it keeps
open over graphql-transport-ws, and where the order is in their answers, so both are timed by
the same code. The clock runs in the client: from the POST to READY for that order.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx

One = Callable[[], Awaitable[tuple[float, list[str]]]]


@dataclass(frozen=True)
class Flow:
    """What a contender's client sends and where it reads the order from the answers.

    ``create`` is a mutation with an ``$input`` variable; ``created`` the path to the order
    (``{ id status }``) in its ``data``; ``user_errors``, if any, the path to a list that
    must be empty. ``follow`` is a subscription to every order, ``updated`` its field.
    """

    create: str
    created: tuple[str, ...]
    follow: str
    updated: str
    user_errors: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Flow:
        got = json.loads(text)
        return cls(
            create=got["create"],
            created=tuple(got["created"]),
            follow=got["follow"],
            updated=got["updated"],
            user_errors=tuple(got["user_errors"]),
        )


def _at(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        data = data[key]
    return data


class _Socket:
    """graphql-transport-ws: one subscription to every order (of the viewer, with a token)."""

    def __init__(self, ws: Any, flow: Flow) -> None:
        self.ws = ws
        self.flow = flow

    async def open(self, token: str) -> None:
        init = {"authorization": f"Bearer {token}"} if token else {}
        await self.ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(
            json.dumps({"id": "all", "type": "subscribe", "payload": {"query": self.flow.follow}})
        )

    async def until_ready(self, order_id: str) -> list[str]:
        """The statuses this order went through on the socket, up to READY."""
        seen: list[str] = []
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
            assert message["type"] == "next" and "errors" not in message["payload"], message
            order = message["payload"]["data"][self.flow.updated]
            if order["id"] != order_id:
                continue  # another contender's order the subscription's re-read came across
            if not seen or seen[-1] != order["status"]:
                seen.append(order["status"])
            if order["status"] in {"READY", "FAILED", "CANCELED"}:
                assert order["status"] == "READY", (order, seen)
                return seen


@asynccontextmanager
async def in_process(
    flow: Flow, address: str, token: str, request: dict[str, Any]
) -> AsyncIterator[One]:
    """The client in the server's process: its CPU competes with the server's for the GIL."""
    import websockets

    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", headers=headers) as http,
        websockets.connect(
            f"ws://{address}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as ws,
    ):
        follow = _Socket(ws, flow)
        await follow.open(token)

        async def one() -> tuple[float, list[str]]:
            started = time.perf_counter()
            response = await http.post(
                "/graphql", json={"query": flow.create, "variables": {"input": request}}
            )
            data = response.json()["data"]
            if flow.user_errors:
                assert not _at(data, flow.user_errors), data
            statuses = await follow.until_ready(_at(data, flow.created)["id"])
            return (time.perf_counter() - started) * 1000, statuses

        yield one


@asynccontextmanager
async def own_process(
    flow: Flow, address: str, token: str, request: dict[str, Any]
) -> AsyncIterator[One]:
    """The client in a process of its own, as a phone or a browser is: each round is asked
    for on its stdin and its time (taken there) read from its stdout."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.ready_client",
        address,
        token,
        json.dumps(request),
        flow.to_json(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    stdin, stdout = child.stdin, child.stdout
    try:
        assert json.loads(await asyncio.wait_for(stdout.readline(), 120)) == "ready"

        async def one() -> tuple[float, list[str]]:
            stdin.write(b"go\n")
            await stdin.drain()
            done = json.loads(await asyncio.wait_for(stdout.readline(), 60))
            return float(done["ms"]), list(done["statuses"])

        yield one
    finally:
        stdin.close()
        await asyncio.wait_for(child.wait(), 30)


async def _client(flow: Flow, address: str, token: str, request: dict[str, Any]) -> None:
    """The client's process: a round per line on stdin, its result a line on stdout."""
    loop = asyncio.get_running_loop()
    async with in_process(flow, address, token, request) as one:
        print(json.dumps("ready"), flush=True)
        while await loop.run_in_executor(None, sys.stdin.readline):
            ms, statuses = await one()
            print(json.dumps({"ms": ms, "statuses": statuses}), flush=True)


def main() -> None:
    address, token, request, flow = sys.argv[1:5]
    asyncio.run(_client(Flow.from_json(flow), address, token, json.loads(request)))


if __name__ == "__main__":
    main()
