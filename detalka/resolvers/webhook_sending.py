"""Sending webhook deliveries: one claimed attempt at a time, retried on a fixed schedule.

A delivery row is PENDING until an attempt gets a 2xx (SUCCEEDED) or the schedule runs out
or the answer is final (FAILED). ``next_attempt_at`` is the truth about when the next attempt
is due; a message (after the commit, or from the scheduler's round) only asks "is it due?".
A claim (``claimed_until``) keeps two workers from sending one delivery at once, and
SUCCEEDED is never sent again. What remains is the receiver taking it and the worker dying
before writing SUCCEEDED: at-least-once, with the same ``webhook-id`` for the receiver to
dedupe (docs/aggregators.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from detalka.adapters import metrics
from detalka.adapters.webhook_http import Answer, WebhookPoster
from detalka.clock import Clock
from detalka.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from detalka.models.enums import WebhookDeliveryStatus
from detalka.resolvers.webhook_signing import signed_headers, signing_secret

log = logging.getLogger(__name__)

# The wait after each failed attempt: ten attempts over 2 days 20 hours 42.5 minutes. A
# retry leaves at the first scheduler round after its time (rounds are 30 s apart).
SCHEDULE = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
# An endpoint whose failures in a row reach this when a delivery gives up (no success
# since that delivery's first attempt, about three days) is disabled.
DISABLE_STREAK = MAX_ATTEMPTS
# Longer than an attempt can take (10 s): a worker killed mid-attempt frees it after this.
CLAIM = timedelta(seconds=60)
# A message sent for a due delivery that has not run this long after was lost: sent again.
REQUEUE_AFTER = timedelta(seconds=60)
ROUND_LIMIT = 500
DISABLED_REASON = (
    "Адрес отключён: вебхуки не доходили до него около трёх суток подряд. "
    "Исправьте приёмник и включите адрес снова."
)


class Outcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"
    NOT_DUE = "NOT_DUE"  # unknown, settled, not yet due or claimed by another worker


@dataclass(frozen=True)
class WebhookSetup:
    """What sending needs: the key secrets derive from and the HTTP poster."""

    secret_key: str
    poster: WebhookPoster = field(default_factory=WebhookPoster)


def retryable(answer: Answer) -> bool:
    """Timeouts, connection errors, 5xx, 408 and 429 are worth another try; a refused
    target, a redirect or another 4xx will answer the same."""
    if answer.refused:
        return False
    if answer.status is None:
        return True
    return answer.status >= 500 or answer.status in {408, 429}


async def send_delivery(delivery_id: int, setup: WebhookSetup, clock: Clock) -> Outcome:
    """One attempt if the delivery is due and this worker claims it."""
    now = clock.now()
    delivery = await WebhookDelivery.get_or_none(id=delivery_id).select_related(
        "event", "endpoint__api_token"
    )
    if delivery is None or delivery.status != WebhookDeliveryStatus.PENDING:
        return Outcome.NOT_DUE
    if delivery.next_attempt_at > now:
        return Outcome.NOT_DUE
    endpoint = delivery.endpoint
    if not endpoint.enabled or (endpoint.api_token and endpoint.api_token.revoked_at):
        why = "endpoint disabled" if not endpoint.enabled else "its API token was revoked"
        await _settle(delivery.id, WebhookDeliveryStatus.FAILED, now, error=why)
        return Outcome.FAILED
    claimed = await WebhookDelivery.filter(
        Q(id=delivery.id, status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
        & (Q(claimed_until=None) | Q(claimed_until__lt=now))
    ).update(claimed_until=now + CLAIM, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return Outcome.NOT_DUE
    answer = await _attempt(delivery.event, endpoint, setup, now)
    return await _record(delivery, delivery.attempts + 1, answer, now, clock)


async def _attempt(
    event: WebhookEvent, endpoint: WebhookEndpoint, setup: WebhookSetup, now: datetime
) -> Answer:
    secret = signing_secret(setup.secret_key, endpoint.secret_salt)
    headers = signed_headers(secret, f"msg_{event.uid}", now, event.payload)
    return await setup.poster.post(endpoint.url, event.payload.encode(), headers)


async def _record(
    delivery: WebhookDelivery, attempt: int, answer: Answer, started: datetime, clock: Clock
) -> Outcome:
    code = answer.status
    if code is not None and 200 <= code < 300:
        await _settle(delivery.id, WebhookDeliveryStatus.SUCCEEDED, clock.now(), code=code)
        await WebhookEndpoint.filter(id=delivery.endpoint_id).update(failure_streak=0)
        metrics.WEBHOOK_ATTEMPTS.labels("succeeded").inc()
        return Outcome.SUCCEEDED
    error = answer.error or f"HTTP {code}"
    log.warning("webhook delivery %s, attempt %d: %s", delivery.id, attempt, error)
    async with in_transaction():
        await WebhookEndpoint.filter(id=delivery.endpoint_id).update(
            failure_streak=F("failure_streak") + 1
        )
        if retryable(answer) and attempt < MAX_ATTEMPTS:
            # From the attempt's start, so the schedule does not drift by response times.
            await WebhookDelivery.filter(id=delivery.id).update(
                next_attempt_at=started + SCHEDULE[attempt - 1],
                claimed_until=None,
                last_status_code=code,
                last_error=error[:500],
            )
            metrics.WEBHOOK_ATTEMPTS.labels("retrying").inc()
            return Outcome.RETRYING
        await _settle(delivery.id, WebhookDeliveryStatus.FAILED, clock.now(), code, error)
        await _maybe_disable(delivery.endpoint_id, clock.now())
    metrics.WEBHOOK_ATTEMPTS.labels("failed").inc()
    return Outcome.FAILED


async def _settle(
    delivery_id: int,
    status: WebhookDeliveryStatus,
    now: datetime,
    code: int | None = None,
    error: str | None = None,
) -> None:
    await WebhookDelivery.filter(id=delivery_id).update(
        status=status,
        claimed_until=None,
        last_status_code=code,
        last_error=None if error is None else error[:500],
        delivered_at=now if status == WebhookDeliveryStatus.SUCCEEDED else None,
    )


async def _maybe_disable(endpoint_id: int, now: datetime) -> None:
    disabled = await WebhookEndpoint.filter(
        id=endpoint_id, enabled=True, failure_streak__gte=DISABLE_STREAK
    ).update(
        enabled=False,
        disabled_at=now,
        disabled_reason=DISABLED_REASON,
        updated_at=now,
    )
    if disabled:
        metrics.WEBHOOK_ATTEMPTS.labels("endpoint_disabled").inc()
        log.warning("webhook endpoint %s disabled after a streak of failures", endpoint_id)


async def unsent_for_order(order_id: int, now: datetime) -> list[int]:
    """Deliveries of the order's events that no message was sent for yet (after a commit);
    marked as sent, so the caller must send them (the round catches a lost one)."""
    ids = await WebhookDelivery.filter(
        event__order_id=order_id, status=WebhookDeliveryStatus.PENDING, enqueued_at=None
    ).values_list("id", flat=True)
    found = [int(str(i)) for i in ids]
    if found:
        await WebhookDelivery.filter(id__in=found, enqueued_at=None).update(enqueued_at=now)
    return found


async def due_deliveries(now: datetime) -> list[int]:
    """The scheduler's round: PENDING deliveries whose attempt is due and no message was
    sent for it yet, or was sent over REQUEUE_AFTER ago (lost); marked as sent now."""
    rows = (
        await WebhookDelivery.filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(ROUND_LIMIT)
        .values("id", "next_attempt_at", "enqueued_at")
    )
    due = [
        int(row["id"])
        for row in rows
        if row["enqueued_at"] is None
        or row["enqueued_at"] < row["next_attempt_at"]
        or row["enqueued_at"] <= now - REQUEUE_AFTER
    ]
    if due:
        await WebhookDelivery.filter(id__in=due).update(enqueued_at=now)
    return due
