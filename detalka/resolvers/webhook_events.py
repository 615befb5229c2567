"""Order events for webhooks, written in the transaction that changed the order (the outbox).

Call :func:`record_order_event` inside that transaction, right after the conditional update
that made the change: the event and one delivery row per listening endpoint commit with it
or not at all. Sending happens after the commit (``webhook_sending``).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from typing import Any

from detalka.models import DetailOrder, WebhookDelivery, WebhookEndpoint, WebhookEvent
from detalka.models.enums import WebhookEventType


def order_global_id(order_id: int) -> str:
    """The order's ID as the GraphQL API gives it (relay's base64 of ``DetailOrder:<pk>``)."""
    return base64.b64encode(f"DetailOrder:{order_id}".encode()).decode()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _day(value: date) -> str:
    return value.isoformat()


def payload(order: DetailOrder, event_type: WebhookEventType, at: datetime) -> dict[str, Any]:
    """The body: the type, when, and the order's ids and state (no personal data)."""
    return {
        "type": str(event_type),
        "timestamp": _moment(at),
        "data": {
            "orderId": order_global_id(order.id),
            "status": str(order.status),
            "deliveryStatus": str(order.delivery_status),
            "format": str(order.format),
            "delivery": str(order.delivery),
            "period": {"from": _day(order.period_from), "to": _day(order.period_to)},
            "readyAt": _moment(order.ready_at),
            "expiresAt": _moment(order.expires_at),
            "failureReason": order.failure_reason,
            "deliveryError": order.delivery_error,
        },
    }


async def listening_endpoints(subscriber_id: int, event_type: WebhookEventType) -> list[int]:
    """Enabled endpoints of the subscriber that asked for this type, by a live credential."""
    endpoints = await WebhookEndpoint.filter(
        subscriber_id=subscriber_id, enabled=True
    ).select_related("api_token")
    return [
        e.id
        for e in endpoints
        if str(event_type) in e.event_types
        and (e.api_token is None or e.api_token.revoked_at is None)
    ]


async def record_order_event(
    order_id: int, event_type: WebhookEventType, at: datetime, *, subscriber_id: int | None = None
) -> int:
    """The event and its delivery rows, in the caller's transaction; how many rows.

    A caller that knows the order's subscriber passes it: the order is then read only when
    someone listens (most subscribers have no endpoint: one statement, not two)."""
    if subscriber_id is None:
        subscriber_id = (await DetailOrder.get(id=order_id)).subscriber_id
    endpoint_ids = await listening_endpoints(subscriber_id, event_type)
    if not endpoint_ids:
        return 0
    order = await DetailOrder.get(id=order_id)
    body = json.dumps(payload(order, event_type, at), ensure_ascii=False, separators=(",", ":"))
    event = await WebhookEvent.create(
        uid=uuid.uuid4().hex, type=str(event_type), order_id=order_id, payload=body, created_at=at
    )
    await WebhookDelivery.bulk_create(
        [
            WebhookDelivery(
                event_id=event.id, endpoint_id=endpoint_id, next_attempt_at=at, created_at=at
            )
            for endpoint_id in endpoint_ids
        ]
    )
    return len(endpoint_ids)
