"""Whom a render tells of its changes: ``wake`` (the followers alone) when a change wrote no
webhook delivery, ``notify`` (the followers, then the deliveries to send) when it did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from detalka.adapters.storage import FileStorage
from detalka.models import DetailOrder, WebhookEndpoint
from detalka.models.enums import WebhookEventType
from detalka.resolvers.rendering import render_order
from detalka.settings import Settings
from tests.factories import NOW, MovableClock, october_order, subscriber_with_history

TTL = timedelta(hours=72)


async def _told(order: DetailOrder, tmp_path: Path) -> list[tuple[str, str]]:
    """What the render told, in order: (who, the order's status then)."""
    told: list[tuple[str, str]] = []

    def hearing(who: str):  # type: ignore[no-untyped-def]
        async def heard(subscriber_id: int, order_id: int) -> None:
            assert (subscriber_id, order_id) == (order.subscriber_id, order.id)
            told.append((who, (await DetailOrder.get(id=order_id)).status))

        return heard

    made = await render_order(
        order.id,
        storage=FileStorage(tmp_path),
        clock=MovableClock(NOW),
        document_ttl=TTL,
        notify=hearing("notify"),
        wake=hearing("wake"),
    )
    assert made
    return told


async def test_a_ready_order_nobody_listens_for_wakes_its_followers_alone(
    db: Settings, tmp_path: Path
) -> None:
    # given a subscriber without webhook endpoints
    order = await october_order(await subscriber_with_history())
    # when its order is rendered
    told = await _told(order, tmp_path)
    # then the claim and READY wake the followers, and nothing looks for webhooks to send
    assert told == [("wake", "RENDERING"), ("wake", "READY")]


async def test_a_ready_order_an_endpoint_listens_for_notifies_to_send_its_webhook(
    db: Settings, tmp_path: Path
) -> None:
    # given a subscriber with an endpoint for READY (and an order of theirs)
    subscriber = await subscriber_with_history()
    await WebhookEndpoint.create(
        subscriber_id=subscriber.id,
        url="https://hooks.example.com/detalka",
        event_types=[str(WebhookEventType.DETAIL_ORDER_READY)],
        secret_salt="salt",
        created_at=NOW,
        updated_at=NOW,
    )
    order = await october_order(subscriber)
    # when it is rendered
    told = await _told(order, tmp_path)
    # then READY goes to notify, which sends the delivery that READY wrote
    assert told == [("wake", "RENDERING"), ("notify", "READY")]
