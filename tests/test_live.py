"""``detailOrderUpdated`` over a real WebSocket: graphql-transport-ws against uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from detalka.adapters.events import MemoryBus, OrderEvent, RedisBus
from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import Session, UsageRecord
from detalka.resolvers.access import token_hash
from detalka.settings import Settings
from detalka.web import graphql as graphql_view
from detalka.web.app import create_app
from tests.client import GraphQL, Socket, asgi_http, served, websocket
from tests.factories import NOW, PASSWORD, MovableClock, subscriber_with_history
from tests.ordering import order_input
from tests.polling import eventually

FOLLOW = """
subscription($id: ID) {
  detailOrderUpdated(id: $id) {
    id status progress deliveryStatus document { downloadUrl sizeBytes }
  }
}
"""
CREATE = """
mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) { order { id status } userErrors { code } }
}
"""


class Live(GraphQL):
    """The API on loopback (``address``) and in-process (``http``), signed in as the owner."""

    def __init__(
        self, address: str, http: httpx.AsyncClient, jobs: Jobs, settings: Settings
    ) -> None:
        super().__init__(http)
        self.address, self.jobs, self.settings = address, jobs, settings

    async def place(self, token: str | None = None, **given: Any) -> str:
        data = await self.data(CREATE, {"input": order_input(**given)}, token=token)
        order_id: str = data["detailOrderCreate"]["order"]["id"]
        return order_id


async def _many_rows(subscriber_id: int, count: int) -> None:
    # Enough rows for progress to be reported while rendering (every 1,000 rows).
    start = NOW.replace(month=10, day=1, hour=0) + timedelta(hours=1)
    await UsageRecord.bulk_create(
        [
            UsageRecord(
                subscriber_id=subscriber_id,
                occurred_at=start + timedelta(minutes=7 * i),
                kind="CALL",
                direction="OUT",
                counterparty="+79161234567",
                duration_s=60,
                description="Исходящий вызов",
                cost=Decimal("1.50"),
            )
            for i in range(count)
        ],
        batch_size=1000,
    )


@pytest.fixture(params=["memory", "redis", "rabbitmq"])
async def live(request: pytest.FixtureRequest, db: Settings, tmp_path: Path) -> AsyncIterator[Live]:
    """The API on loopback; the worker is started by each test when it wants rendering."""
    overrides: dict[str, object] = {
        "data_dir": tmp_path,
        "public_url": "http://detalka.test",
        "subscription_poll_seconds": 0.5,
    }
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        overrides.update(broker_url=url, events_url=url)
    elif request.param == "rabbitmq":  # the docker-compose layout: RabbitMQ and Redis events
        overrides.update(
            broker_url=request.getfixturevalue("amqp_url"),
            events_url=request.getfixturevalue("redis_url"),
        )
    settings = db.model_copy(update=overrides)
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
    subscriber = await subscriber_with_history()
    await _many_rows(subscriber.id, 4000)
    async with (
        served(app) as address,
        asgi_http(app, settings.public_url) as http,
    ):
        opened = Live(address, http, jobs, settings)
        opened.token = await opened.sign_in(subscriber.msisdn, PASSWORD)
        yield opened
    if isinstance(jobs.events, RedisBus):
        await jobs.events.close()
    jobs.broker.close()


def _error_codes(message: dict[str, Any]) -> list[str]:
    """The codes of an operation's errors: an ``error`` message, or a ``next`` with errors."""
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return [e["extensions"]["code"] for e in errors]


async def _updates(ws: Socket, op_id: str, until: set[str]) -> list[dict[str, Any]]:
    """The orders a subscription sends, up to one whose status is in ``until``."""
    seen: list[dict[str, Any]] = []
    while True:
        message = await ws.receive()
        assert message["type"] == "next" and message["id"] == op_id, message
        assert "errors" not in message["payload"], message
        order = message["payload"]["data"]["detailOrderUpdated"]
        seen.append(order)
        if order["status"] in until:
            return seen


async def test_a_client_sees_pending_rendering_ready_and_downloads(live: Live) -> None:
    # given an order placed while no worker runs yet, and a client following it
    order_id = await live.place(format="PDF")
    async with websocket(live.address) as ws:
        assert (await ws.init(live.token))["type"] == "connection_ack"
        await ws.subscribe("1", FOLLOW, {"id": order_id})
        first = await _updates(ws, "1", {"PENDING"})
        # when a worker renders it
        async with WorkerProcess(live.jobs.broker, shutdown_timeout_s=20):
            rest = await _updates(ws, "1", {"READY"})
        # then the client saw every stage, progress rising, and the stream completes
        assert (await ws.receive())["type"] == "complete"
    seen = first + rest
    statuses = [
        o["status"] for i, o in enumerate(seen) if i == 0 or seen[i - 1]["status"] != o["status"]
    ]
    assert statuses == ["PENDING", "RENDERING", "READY"], seen
    progress = [o["progress"] for o in seen if o["status"] == "RENDERING"]
    assert progress == sorted(progress)
    assert any(0 < p < 1 for p in progress), progress
    ready = seen[-1]
    assert ready["progress"] == 1.0
    download = await live.http.get(
        ready["document"]["downloadUrl"].replace(live.settings.public_url, "")
    )
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert len(download.content) == ready["document"]["sizeBytes"]


async def test_subscribing_after_ready_gives_ready_at_once(live: Live) -> None:
    order_id = await live.place(format="CSV")

    async def ready() -> bool:
        data = await live.data(
            "query($id: ID!) { node(id: $id) { ... on DetailOrder { status } } }",
            {"id": order_id},
        )
        return bool(data["node"]["status"] == "READY")

    async with WorkerProcess(live.jobs.broker, shutdown_timeout_s=20):
        await eventually(ready, timeout_s=30, explain="the order is not ready")
    async with websocket(live.address) as ws:
        await ws.init(live.token)
        await ws.subscribe("after", FOLLOW, {"id": order_id})
        message = await ws.receive(timeout_s=5)
        assert message["payload"]["data"]["detailOrderUpdated"]["status"] == "READY"
        assert message["payload"]["data"]["detailOrderUpdated"]["document"]["downloadUrl"]
        assert (await ws.receive(timeout_s=5))["type"] == "complete"


async def test_a_foreign_order_gives_nothing_but_an_error(live: Live) -> None:
    # given an order of another subscriber
    stranger = await subscriber_with_history()
    foreign = await live.place(token=await live.sign_in(stranger.msisdn, PASSWORD))
    async with websocket(live.address) as ws:
        await ws.init(live.token)
        await ws.subscribe("spy", FOLLOW, {"id": foreign})
        message = await ws.receive(timeout_s=5)
        # then: an error, no data about the order, and the operation ends
        assert message["id"] == "spy"
        assert _error_codes(message) == ["NOT_FOUND"]
        assert not (message["payload"].get("data") if message["type"] == "next" else None)
        if message["type"] == "next":
            assert (await ws.receive(timeout_s=5))["type"] == "complete"


async def test_without_id_every_order_of_the_viewer_is_followed(live: Live) -> None:
    async with websocket(live.address) as ws:
        await ws.init(live.token)
        await ws.subscribe("all", FOLLOW, {})
        # when two orders are placed after subscribing
        first = await live.place(format="CSV")
        second = await live.place(format="HTML")
        async with WorkerProcess(live.jobs.broker, shutdown_timeout_s=20):
            ready: set[str] = set()
            while ready != {first, second}:
                message = await ws.receive()
                order = message["payload"]["data"]["detailOrderUpdated"]
                assert order["id"] in {first, second}
                if order["status"] == "READY":
                    ready.add(order["id"])


async def test_the_token_comes_in_connection_init(live: Live) -> None:
    # a wrong token closes the connection; no token leaves it anonymous and refused
    async with websocket(live.address) as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
        with pytest.raises(Exception) as closed:
            await ws.receive(timeout_s=5)
        assert closed.value.rcvd.code == 4403  # type: ignore[attr-defined]
    async with websocket(live.address) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("anon", FOLLOW, {})
        message = await ws.receive(timeout_s=5)
        assert _error_codes(message) == ["UNAUTHENTICATED"]


async def test_a_revoked_session_ends_the_subscription(live: Live) -> None:
    async with websocket(live.address) as ws:
        await ws.init(live.token)
        await ws.subscribe("all", FOLLOW, {})
        # when the session is revoked (signed out elsewhere); the poll notices it
        await Session.filter(token_hash=token_hash(live.token)).update(revoked_at=NOW)
        message = await ws.receive(timeout_s=10)
        assert _error_codes(message) == ["UNAUTHENTICATED"]


async def test_at_most_five_operations_per_connection(live: Live) -> None:
    async with websocket(live.address) as ws:
        await ws.init(live.token)
        for n in range(6):
            await ws.subscribe(str(n), FOLLOW, {})
        message = await ws.receive(timeout_s=5)
        assert message["id"] == "5" and message["type"] == "error"
        assert _error_codes(message) == ["TOO_MANY_SUBSCRIPTIONS"]


async def test_a_connection_without_init_is_closed(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert graphql_view.INIT_TIMEOUT == timedelta(seconds=10)
    monkeypatch.setattr(graphql_view, "INIT_TIMEOUT", timedelta(milliseconds=300))
    app = create_app(live.settings, open_db=False, jobs=live.jobs)
    async with served(app) as address, websocket(address) as ws:
        with pytest.raises(Exception) as closed:
            await ws.receive(timeout_s=5)
        assert closed.value.rcvd.code == 4408  # type: ignore[attr-defined]


async def test_the_memory_bus_crosses_threads_and_keeps_subscribers_apart() -> None:
    bus = MemoryBus()
    async with bus.listen(1) as mine, bus.listen(2) as theirs:
        # published from another thread, as the embedded worker's loop does
        await asyncio.to_thread(bus.fanout.dispatch, OrderEvent(1, 42))
        assert await mine.next(2) == OrderEvent(1, 42)
        assert await theirs.next(0.1) is None
    assert len(bus.fanout) == 0


async def test_the_redis_bus_carries_events_between_processes(redis_url: str) -> None:
    listening, publishing = RedisBus(redis_url), RedisBus(redis_url)
    try:
        async with listening.listen(7) as listener:
            await publishing.publish(OrderEvent(7, 99))
            await publishing.publish(OrderEvent(8, 100))
            assert await listener.next(5) == OrderEvent(7, 99)
            assert await listener.next(0.3) is None
    finally:
        await listening.close()
        await publishing.close()
