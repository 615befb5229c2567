"""The live stream after trouble: a re-read timer that a stream of other orders' events
cannot starve, and a reconnecting client's replay of what changed while it was away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from detalka.adapters.events import OrderEvent
from detalka.jobs.app import Jobs
from detalka.models import DetailOrder
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import served, websocket
from tests.factories import NOW, MovableClock, subscriber_with_history
from tests.ordering import Ordering, open_ordering, pk_of

FOLLOW = """
subscription($id: ID, $since: DateTime) {
  detailOrderUpdated(id: $id, since: $since) { id status updatedAt }
}
"""


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[tuple[Ordering, str]]:
    """The API served on loopback, in-process events, re-reads every half second; no
    worker consumes (orders stay PENDING until the test moves them)."""

    settings = db.model_copy(update={"data_dir": tmp_path, "subscription_poll_seconds": 0.5})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async for opened in open_ordering(settings, subscriber, clock, jobs):
        app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
        async with served(app) as address:
            yield opened, address
    jobs.broker.close()


async def test_a_stream_of_other_orders_events_does_not_starve_the_re_read(
    ordering: tuple[Ordering, str],
) -> None:
    opened, address = ordering
    # given a followed order and another one whose progress events come every 0.1 s
    followed = (await opened.create())["order"]["id"]
    other = (await opened.create())["order"]["id"]
    await DetailOrder.filter(id__in=[pk_of(followed), pk_of(other)]).update(status="RENDERING")

    async def chatter() -> None:
        while True:
            await opened.jobs.events.publish(OrderEvent(opened.subscriber.id, pk_of(other)))
            await asyncio.sleep(0.1)

    async with websocket(address) as ws:
        await ws.init(opened.token)
        await ws.subscribe("1", FOLLOW, {"id": followed})
        assert (await ws.receive())["payload"]["data"]["detailOrderUpdated"]["status"] == (
            "RENDERING"
        )
        noise = asyncio.create_task(chatter())
        try:
            # when the followed order changes and its own event is lost
            await DetailOrder.filter(id=pk_of(followed)).update(
                status="CANCELED", updated_at=NOW + timedelta(seconds=1)
            )
            # then the timer's re-read finds it all the same, within a few polls
            message = await ws.receive(timeout_s=5)
        finally:
            noise.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await noise
    assert message["payload"]["data"]["detailOrderUpdated"]["status"] == "CANCELED"


async def test_a_reconnecting_client_gets_what_ended_while_it_was_away(
    ordering: tuple[Ordering, str],
) -> None:
    opened, address = ordering
    # given a client that saw an order RENDERING at some moment, then lost its socket
    order_id = (await opened.create())["order"]["id"]
    seen_at = NOW + timedelta(seconds=5)
    await DetailOrder.filter(id=pk_of(order_id)).update(status="RENDERING", updated_at=seen_at)
    # when the order ends (READY, archive) while the client is away, event and all lost
    await DetailOrder.filter(id=pk_of(order_id)).update(
        status="READY", progress=1.0, updated_at=seen_at + timedelta(seconds=1)
    )
    # then the all-orders stream, resumed from what it saw last, replays the ended order
    async with websocket(address) as ws:
        await ws.init(opened.token)
        await ws.subscribe("all", FOLLOW, {"since": seen_at.isoformat()})
        replayed = (await ws.receive(timeout_s=5))["payload"]["data"]["detailOrderUpdated"]
    assert (replayed["id"], replayed["status"]) == (order_id, "READY")
    # (without `since`, an ended order is not part of the stream's first answer)
    async with websocket(address) as ws:
        await ws.init(opened.token)
        await ws.subscribe("all", FOLLOW, {})
        with pytest.raises(TimeoutError):
            await ws.receive(timeout_s=1)
