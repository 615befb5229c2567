"""Webhooks end to end: the API registers an endpoint, the worker sends signed webhooks to a
real receiver on loopback, retries come on the schedule of an injected clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from tortoise.transactions import in_transaction

from detalka.adapters.webhook_http import WebhookPoster
from detalka.jobs import actors
from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import WebhookDelivery, WebhookEndpoint
from detalka.models.enums import WebhookEventType
from detalka.resolvers.webhook_events import record_order_event
from detalka.resolvers.webhook_sending import (
    MAX_ATTEMPTS,
    SCHEDULE,
    Outcome,
    WebhookSetup,
    due_deliveries,
    send_delivery,
)
from detalka.settings import Settings
from tests.factories import MovableClock
from tests.mail import free_port
from tests.ordering import NOW, Ordering, open_ordering, pk_of, subscriber_with_history
from tests.webhook_receiver import Received, webhook_receiver

CREATE_ENDPOINT = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    secret endpoint { id url eventTypes enabled } userErrors { field code message }
  }
}
"""
ENDPOINTS = """
query {
  webhookEndpoints(first: 10) {
    edges { node {
      id url enabled disabledReason
      recentDeliveries { id webhookId eventType status attempts lastStatusCode }
    } }
  }
}
"""
UPDATE_ENDPOINT = """
mutation($input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(input: $input) { endpoint { enabled } userErrors { code message } }
}
"""
RETRY = """
mutation($id: ID!) {
  webhookDeliveryRetry(input: {id: $id}) { delivery { status attempts } userErrors { code } }
}
"""
TOKEN = """
mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { token } }
"""
READY_ONLY = ["DETAIL_ORDER_READY"]


@asynccontextmanager
async def webhooking(settings: Settings, clock: MovableClock) -> AsyncIterator[Ordering]:
    """The API and a real worker, both on ``clock``."""
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async for opened in open_ordering(settings, subscriber, clock, jobs):
            yield opened
    jobs.broker.close()


async def register(ordering: Ordering, url: str, types: list[str] = READY_ONLY) -> Any:
    data = await ordering.data(CREATE_ENDPOINT, {"input": {"url": url, "eventTypes": types}})
    created = data["webhookEndpointCreate"]
    assert created["userErrors"] == [], created
    return created


async def settle(ordering: Ordering) -> None:
    """Wait until every render, webhook and housekeeping message so far has run."""
    for queue in ("render", "housekeeping", "mail"):
        await asyncio.to_thread(ordering.jobs.broker.join, queue)


async def scheduler_round(ordering: Ordering) -> None:
    ordering.jobs.reap.send()
    await settle(ordering)


async def ready_order(ordering: Ordering) -> str:
    created = await ordering.create()
    await ordering.wait_for(created["order"]["id"], "READY")
    await settle(ordering)
    return str(created["order"]["id"])


async def api_token(ordering: Ordering, scopes: list[str]) -> str:
    data = await ordering.data(TOKEN, {"input": {"name": "Агрегатор", "scopes": scopes}})
    return str(data["apiTokenCreate"]["token"])


def stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def signed_by(secret: str, request: Received) -> bool:
    moment = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(request.headers["webhook-id"], moment, request.body.decode())
    return expected in request.headers["webhook-signature"].split(" ")


async def test_a_ready_order_sends_one_signed_webhook_that_the_standard_library_verifies(
    db: Settings, tmp_path: Path
) -> None:
    # given an endpoint registered for READY, on a clock at the real time (verify checks it)
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(datetime.now(UTC))
    with webhook_receiver() as receiver:
        async with webhooking(settings, clock) as ordering:
            created = await register(ordering, receiver.url)
            # when an order becomes READY
            order_id = await ready_order(ordering)
            (request,) = await receiver.wait_for(1)
            # then the webhook verifies with the spec's own library and carries the order
            body = Webhook(created["secret"]).verify(request.body, request.headers)
            assert body["type"] == "detail_order.ready"
            assert body["data"]["orderId"] == order_id
            assert body["data"]["status"] == "READY"
            assert body["data"]["period"] == {"from": "2026-10-01", "to": "2026-10-31"}
            assert request.headers["webhook-id"].startswith("msg_")
            assert request.path == "/hooks/detalka"
            # and the same message sent again (a redelivery, the round) reaches nobody
            delivery = await WebhookDelivery.get(endpoint_id=pk_of(created["endpoint"]["id"]))
            ordering.jobs.webhook.send(delivery.id)
            await scheduler_round(ordering)
            assert len(receiver.received) == 1
            # and the list shows it delivered, under the same webhook-id
            listed = await ordering.data(ENDPOINTS)
            (edge,) = listed["webhookEndpoints"]["edges"]
            (shown,) = edge["node"]["recentDeliveries"]
            assert shown["webhookId"] == request.headers["webhook-id"]
            assert shown["status"] == "SUCCEEDED" and shown["lastStatusCode"] == 200


async def test_a_receiver_failing_three_times_gets_the_webhook_on_the_schedule_with_one_id(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    with webhook_receiver(answers=[500, 500, 500]) as receiver:
        async with webhooking(settings, clock) as ordering:
            created = await register(ordering, receiver.url)
            # given the first attempt answered 500, at READY
            await ready_order(ordering)
            await receiver.wait_for(1)
            expected = [NOW]
            # when the clock reaches each retry, a second early and then on time
            for wait in SCHEDULE[:3]:
                clock.advance(seconds=wait.total_seconds() - 1)
                await scheduler_round(ordering)
                assert len(receiver.received) == len(expected), "sent before its time"
                clock.advance(seconds=1)
                await scheduler_round(ordering)
                expected.append(clock.now())
                assert len(receiver.received) == len(expected), "not sent on time"
            # then it came four times, on the schedule, as one message signed each time
            got = receiver.received
            assert [r.headers["webhook-timestamp"] for r in got] == [stamp(t) for t in expected]
            assert len({r.headers["webhook-id"] for r in got}) == 1
            assert len({r.body for r in got}) == 1
            assert all(signed_by(created["secret"], r) for r in got)
            # and once taken, it is never sent again
            clock.advance(days=4)
            await scheduler_round(ordering)
            assert len(receiver.received) == 4
            delivery = await WebhookDelivery.get(endpoint_id=pk_of(created["endpoint"]["id"]))
            assert delivery.status == "SUCCEEDED" and delivery.attempts == 4


async def test_a_dead_receiver_disables_the_endpoint_after_the_streak_and_a_retry_revives_it(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    async with webhooking(settings, clock) as ordering:
        # given an API token (a session would expire over these days) with an endpoint
        # whose receiver is gone (nothing listens on the port)
        ordering.token = await api_token(
            ordering, ["webhooks:write", "orders:read", "orders:write"]
        )
        created = await register(ordering, f"http://127.0.0.1:{free_port()}/gone")
        endpoint_id = pk_of(created["endpoint"]["id"])
        await ready_order(ordering)
        # when every attempt of the schedule fails
        for wait in SCHEDULE:
            clock.advance(seconds=wait.total_seconds())
            await scheduler_round(ordering)
        # then the delivery gave up after its attempts and the endpoint is disabled
        delivery = await WebhookDelivery.get(endpoint_id=endpoint_id)
        assert delivery.status == "FAILED" and delivery.attempts == MAX_ATTEMPTS
        listed = (await ordering.data(ENDPOINTS))["webhookEndpoints"]["edges"][0]["node"]
        assert listed["enabled"] is False
        assert "не доходили" in listed["disabledReason"]
        # and a new READY order writes no delivery for it
        await ready_order(ordering)
        assert await WebhookDelivery.filter(endpoint_id=endpoint_id).count() == 1
        # when retried while disabled, it is refused; enabled at a live URL, it goes
        retry = {"id": listed["recentDeliveries"][0]["id"]}
        refused = (await ordering.data(RETRY, retry))["webhookDeliveryRetry"]
        assert refused["userErrors"] == [{"code": "WEBHOOK_ENDPOINT_DISABLED"}]
        with webhook_receiver() as receiver:
            change = {"id": created["endpoint"]["id"], "enabled": True, "url": receiver.url}
            await ordering.data(UPDATE_ENDPOINT, {"input": change})
            retried = (await ordering.data(RETRY, retry))["webhookDeliveryRetry"]
            assert retried["delivery"] == {"status": "PENDING", "attempts": 0}
            await scheduler_round(ordering)
            (request,) = await receiver.wait_for(1)
            assert signed_by(created["secret"], request)
        assert (await WebhookEndpoint.get(id=endpoint_id)).failure_streak == 0
        again = (await ordering.data(RETRY, retry))["webhookDeliveryRetry"]
        assert again["userErrors"] == [{"code": "WEBHOOK_ALREADY_DELIVERED"}]


async def test_each_event_type_reaches_only_the_endpoints_that_asked_for_it(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    with webhook_receiver() as everything, webhook_receiver() as expired_only:
        async with webhooking(settings, clock) as ordering:
            all_types = [
                "DETAIL_ORDER_READY",
                "DETAIL_ORDER_FAILED",
                "DETAIL_ORDER_EXPIRED",
                "DELIVERY_SENT",
                "DELIVERY_FAILED",
            ]
            await register(ordering, everything.url, all_types)
            await register(ordering, expired_only.url, ["DETAIL_ORDER_EXPIRED"])
            # given an email order (no SMTP: the outbox folder takes it) that is READY
            created = await ordering.create(delivery="EMAIL", email="anna@example.com")
            await ordering.wait_for(created["order"]["id"], "READY")
            await settle(ordering)
            # when its file expires and the purge runs
            clock.advance(hours=73)
            ordering.jobs.actor(actors.purge_expired_documents).send()
            await settle(ordering)
            # then the first heard READY, SENT and EXPIRED in order; the second only EXPIRED
            kinds = [_type(r) for r in await everything.wait_for(3)]
            assert kinds == ["detail_order.ready", "delivery.sent", "detail_order.expired"]
            assert [_type(r) for r in await expired_only.wait_for(1)] == ["detail_order.expired"]


def _type(request: Received) -> str:
    return str(json.loads(request.body)["type"])


def test_the_schedule_spans_about_three_days() -> None:
    total = sum(SCHEDULE, timedelta())
    assert timedelta(days=2, hours=12) <= total <= timedelta(days=3, hours=12)
    assert list(SCHEDULE) == sorted(SCHEDULE)  # backing off, never closer together


async def test_two_workers_at_once_send_a_webhook_once(db: Settings, tmp_path: Path) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    with webhook_receiver() as receiver:
        async with webhooking(settings, clock) as ordering:
            # given a READY order and, registered after it, an endpoint with an event to send
            order_id = pk_of(await ready_order(ordering))
            created = await register(ordering, receiver.url)
            async with in_transaction():
                ready = WebhookEventType.DETAIL_ORDER_READY
                assert await record_order_event(order_id, ready, clock.now()) == 1
            delivery = await WebhookDelivery.get(endpoint_id=pk_of(created["endpoint"]["id"]))
            # when two workers take its message at the same moment, the receiver being slow
            receiver.delay_s = 0.5
            setup = WebhookSetup(settings.secret_key.get_secret_value(), WebhookPoster(True))
            outcomes = await asyncio.gather(
                send_delivery(delivery.id, setup, clock), send_delivery(delivery.id, setup, clock)
            )
            # then one sent it and the other did nothing
            assert sorted(outcomes) == sorted([Outcome.SUCCEEDED, Outcome.NOT_DUE])
            assert len(receiver.received) == 1


async def test_a_revoked_token_s_endpoints_hear_nothing_more(db: Settings, tmp_path: Path) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    with webhook_receiver() as receiver:
        async with webhooking(settings, clock) as ordering:
            # given an aggregator's token that registered an endpoint
            session = ordering.token
            created = await ordering.data(
                TOKEN, {"input": {"name": "Агрегатор", "scopes": ["webhooks:write"]}}
            )
            ordering.token = created["apiTokenCreate"]["token"]
            await register(ordering, receiver.url)
            # when the subscriber revokes the token and an order becomes READY
            ordering.token = session
            revoke = (
                "mutation($id: ID!) { apiTokenRevoke(input: {id: $id}) { userErrors { code } } }"
            )
            tokens = await ordering.data("query { viewer { apiTokens { id } } }")
            (token,) = tokens["viewer"]["apiTokens"]
            await ordering.data(revoke, {"id": token["id"]})
            await ready_order(ordering)
            # then no webhook was written or sent for it
            assert not await WebhookDelivery.filter(endpoint__subscriber_id=ordering.subscriber.id)
            assert receiver.received == []


async def test_a_webhook_whose_message_was_lost_is_sent_again_by_the_round(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    with webhook_receiver() as receiver:
        async with webhooking(settings, clock) as ordering:
            # given an event committed while the broker was away: no message was sent
            order_id = pk_of(await ready_order(ordering))
            await register(ordering, receiver.url)
            async with in_transaction():
                ready = WebhookEventType.DETAIL_ORDER_READY
                await record_order_event(order_id, ready, clock.now())
            (delivery,) = await WebhookDelivery.filter(event__order_id=order_id)
            # when the round runs, it sends it; a message in flight is not sent again
            # (other tests share the database: look for this delivery only)
            assert delivery.id in await due_deliveries(clock.now())
            assert delivery.id not in await due_deliveries(clock.now() + timedelta(seconds=30))
            # and when that message is lost too, the round a minute later sends it again
            assert delivery.id in await due_deliveries(clock.now() + timedelta(seconds=61))
            # and what the round sends arrives once
            clock.advance(seconds=61)
            await WebhookDelivery.filter(id=delivery.id).update(enqueued_at=None)
            await scheduler_round(ordering)
            await receiver.wait_for(1)
            await scheduler_round(ordering)
            assert len(receiver.received) == 1
