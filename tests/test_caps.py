"""Per-subscriber caps: orders in the queue, open sockets, operations per socket; and the purge
of spent sign-in state (#11)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import dramatiq
import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from detalka.jobs import actors
from detalka.jobs.app import Jobs
from detalka.jobs.registry import QUEUES
from detalka.models import Captcha, PasswordChallenge, RateCounter, Session, SignInThrottle
from detalka.resolvers import rate_limits
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import served, websocket
from tests.factories import MovableClock
from tests.ordering import NOW, Ordering, open_ordering, order_input, subscriber_with_history

CREATE = """
mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) { orderId userErrors { field code message } }
}
"""
CANCEL = "mutation($id: ID!) { detailOrderCancel(input: {id: $id}) { userErrors { code } } }"
FOLLOW = "subscription { detailOrderUpdated { id status } }"


@pytest.fixture
async def no_worker(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    """The API with nobody consuming its render queue: orders stay PENDING."""
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async for opened in open_ordering(settings, subscriber, clock, jobs):
        yield opened
    jobs.broker.close()


async def test_the_eleventh_order_in_the_queue_is_refused_until_one_is_done(
    no_worker: Ordering,
) -> None:
    # given ten orders waiting for a worker
    placed = []
    for n in range(10):
        created = await no_worker.data(CREATE, {"input": order_input(idempotencyKey=f"k{n}")})
        assert created["detailOrderCreate"]["userErrors"] == []
        placed.append(created["detailOrderCreate"]["orderId"])
    # when an eleventh is placed, then it is refused, in Russian, with a code
    refused = (await no_worker.data(CREATE, {"input": order_input()}))["detailOrderCreate"]
    assert refused["orderId"] is None
    (error,) = refused["userErrors"]
    assert error["code"] == "TOO_MANY_ORDERS"
    assert "Готовится уже 10 заказов" in error["message"]
    # while repeating one already placed (its idempotency key) still answers with it
    again = await no_worker.data(CREATE, {"input": order_input(idempotencyKey="k3")})
    assert again["detailOrderCreate"]["orderId"] == placed[3]
    # and once one is canceled there is room again
    await no_worker.data(CANCEL, {"id": placed[0]})
    room = await no_worker.data(CREATE, {"input": order_input()})
    assert room["detailOrderCreate"]["userErrors"] == []


async def _token_socket_app(
    db: Settings, tmp_path: Path, stack: AsyncExitStack, **limits: int
) -> tuple[str, str]:
    settings = db.model_copy(update={"data_dir": tmp_path, **limits})
    app = create_app(settings, open_db=False, clock=MovableClock())
    subscriber = await subscriber_with_history()
    address = await stack.enter_async_context(served(app))
    http = await stack.enter_async_context(httpx.AsyncClient(base_url=f"http://{address}"))
    signed = await http.post(
        "/graphql",
        json={
            "query": "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }",
            "variables": {
                "i": {
                    "msisdn": subscriber.msisdn,
                    "password": "orders-password",
                    "regionCode": "MOW",
                }
            },
        },
    )
    return address, signed.json()["data"]["sessionCreate"]["token"]


async def test_a_subscriber_past_the_socket_cap_is_closed_with_4430(
    db: Settings, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        address, token = await _token_socket_app(db, tmp_path, stack, max_sockets_per_subscriber=2)
        first = await stack.enter_async_context(websocket(address))
        second = await stack.enter_async_context(websocket(address))
        for ws in (first, second):
            assert (await ws.init(token))["type"] == "connection_ack"
        # when a third opens, then it is closed with a code of its own
        async with websocket(address) as third:
            with pytest.raises(ConnectionClosed) as closed:
                await third.init(token)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4430
        # anonymous sockets are not the subscriber's
        async with websocket(address) as anonymous:
            assert (await anonymous.init())["type"] == "connection_ack"
        # and when one of the two closes, there is room again
        await first.ws.close()
        async with websocket(address) as fourth:
            deadline = 50
            while (message := await fourth.init(token))["type"] != "connection_ack":
                deadline -= 1  # pragma: no cover - the slot comes back as the socket ends
                assert deadline, message


async def test_operations_per_socket_follow_the_setting(db: Settings, tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        address, token = await _token_socket_app(
            db, tmp_path, stack, max_subscriptions_per_socket=2
        )
        ws = await stack.enter_async_context(websocket(address))
        await ws.init(token)
        for n in range(3):
            await ws.subscribe(str(n), FOLLOW)
        message = await ws.receive(timeout_s=5)
        assert message["id"] == "2" and message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_spent_sign_in_state_is_purged_and_live_state_kept(db: Settings) -> None:
    # given rows of every kind, some spent by now and some still in use
    now = NOW + timedelta(days=400)
    subscriber = await subscriber_with_history()
    marker = uuid.uuid4().hex[:8]
    old, fresh = now - timedelta(hours=2), now + timedelta(minutes=5)
    for expires in (old, fresh):
        await Captcha.create(
            id=uuid.uuid4(), answer_hash=marker, created_at=old, expires_at=expires
        )
        await Session.create(
            subscriber=subscriber, token_hash=uuid.uuid4().hex, created_at=old, expires_at=expires
        )
        await PasswordChallenge.create(
            msisdn=subscriber.msisdn, created_at=expires - timedelta(minutes=10), expires_at=expires
        )
        await RateCounter.create(key=f"{marker}:{expires}", hits=3, window_ends=expires)
    await Session.create(
        subscriber=subscriber,
        token_hash=uuid.uuid4().hex,
        created_at=old,
        expires_at=fresh,
        revoked_at=old,
    )
    locked_over = await SignInThrottle.create(msisdn=f"+7{marker}1", failures=5, locked_until=old)
    locked = await SignInThrottle.create(msisdn=f"+7{marker}2", failures=5, locked_until=fresh)
    counting = await SignInThrottle.create(msisdn=f"+7{marker}3", failures=2)
    # when the housekeeping purge runs
    purged = await rate_limits.purge_sign_in_state(now)
    # then what no rule reads any more is gone, and the rest stays
    assert all(count >= 1 for count in purged.values()), purged
    assert await Captcha.filter(answer_hash=marker).values_list("expires_at", flat=True) == [fresh]
    sessions = await Session.filter(subscriber_id=subscriber.id).values_list(
        "revoked_at", flat=True
    )
    assert sessions == [None]
    challenges = await PasswordChallenge.filter(msisdn=subscriber.msisdn).count()
    assert challenges == 1
    assert await RateCounter.filter(key__startswith=marker).count() == 1
    assert not await SignInThrottle.exists(id=locked_over.id)
    assert await SignInThrottle.exists(id=locked.id)
    assert await SignInThrottle.exists(id=counting.id)


async def test_the_purge_goes_to_the_housekeeping_queue_every_round(
    db: Settings, tmp_path: Path
) -> None:
    jobs = Jobs.for_settings(db.model_copy(update={"data_dir": tmp_path}))
    await jobs.housekeeping()
    queued = [dramatiq.Message.decode(m) for m in list(jobs.broker.queues["housekeeping"].queue)]
    assert "purge_sign_in_state" in {m.actor_name for m in queued}
    assert QUEUES[actors.purge_sign_in_state] == "housekeeping"
    jobs.broker.close()


async def test_orders_sent_all_at_once_cannot_pass_the_cap(no_worker: Ordering) -> None:
    results = await asyncio.gather(
        *(no_worker.data(CREATE, {"input": order_input()}) for _ in range(15))
    )
    codes = [[e["code"] for e in r["detailOrderCreate"]["userErrors"]] for r in results]
    assert codes.count([]) == 10
    assert codes.count(["TOO_MANY_ORDERS"]) == 5
