"""Email delivery of a READY order: send once, retry temporary failures, record the outcome.

The ``EmailDelivery`` row is the truth about one email. ``sent_at`` makes a repeated run a
no-op; a claim (``claimed_until``) keeps two workers from sending at the same time. What is
left is the window between the SMTP server accepting the message and ``sent_at`` being
written: a worker killed exactly there sends it again on the retry (at-least-once), with the
same Message-ID, so a mail client shows one message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from detalka.adapters import metrics
from detalka.adapters.mailer import (
    ATTACHMENT_LIMIT,
    Mailer,
    PermanentMailError,
    TemporaryMailError,
    report_email,
)
from detalka.adapters.storage import Storage
from detalka.clock import Clock
from detalka.models import DetailOrder, Document, EmailDelivery
from detalka.models.enums import (
    DeliveryMethod,
    DeliveryStatus,
    DetailOrderStatus,
    WebhookEventType,
)
from detalka.resolvers.orders import Notify
from detalka.resolvers.webhook_events import record_order_event

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 40  # 15 s, 30 s, then 20-40 s apart (jobs/registry.py): about 20-25 minutes
CLAIM = timedelta(minutes=10)


class RetryLater(Exception):
    """A temporary failure: raised so that the broker retries the message with backoff."""


class Outcome(StrEnum):
    SENT = "SENT"  # sent now
    ALREADY_SENT = "ALREADY_SENT"  # sent before: nothing done
    FAILED = "FAILED"  # given up, recorded on the order
    NOT_DUE = "NOT_DUE"  # not an EMAIL order, not READY yet, or delivery already settled
    BUSY = "BUSY"  # another worker holds the claim


@dataclass(frozen=True)
class MailSetup:
    mailer: Mailer
    storage: Storage
    sender: str
    public_url: str


async def deliver_order(order_id: int, setup: MailSetup, clock: Clock, notify: Notify) -> Outcome:
    now = clock.now()
    order = await DetailOrder.get_or_none(id=order_id).select_related("subscriber")
    if order is None or order.delivery != DeliveryMethod.EMAIL:
        return Outcome.NOT_DUE
    if order.delivery_status != DeliveryStatus.PENDING:
        return Outcome.NOT_DUE
    if order.status in {DetailOrderStatus.PENDING, DetailOrderStatus.RENDERING}:
        return Outcome.NOT_DUE  # the render sends this message again when it is READY
    document = await Document.get_or_none(order_id=order_id, deleted_at=None)
    if order.status != DetailOrderStatus.READY or document is None:
        reason = "Детализация не была подготовлена, письмо не отправлено."
        await _settle(order, DeliveryStatus.FAILED, reason, now, notify)
        return Outcome.FAILED
    assert order.email is not None
    delivery, _ = await EmailDelivery.get_or_create(
        order_id=order_id,
        recipient=order.email,
        defaults={"message_id": f"detail-order-{order_id}.{document.sha256[:16]}"},
    )
    if delivery.sent_at is not None:
        await _settle(order, DeliveryStatus.SENT, None, now, notify)
        return Outcome.ALREADY_SENT
    claimed = await EmailDelivery.filter(
        Q(id=delivery.id, sent_at=None) & (Q(claimed_until=None) | Q(claimed_until__lt=now))
    ).update(claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    if not claimed:
        return Outcome.BUSY
    return await _send(order, document, delivery, setup, clock, notify)


async def _send(
    order: DetailOrder,
    document: Document,
    delivery: EmailDelivery,
    setup: MailSetup,
    clock: Clock,
    notify: Notify,
) -> Outcome:
    """Send the claimed email once; record SENT, or FAILED, or raise RetryLater."""
    assert order.email is not None
    order_id, now = order.id, clock.now()
    attempts = delivery.attempts + 1
    message = report_email(
        sender=setup.sender,
        recipient=order.email,
        msisdn=order.subscriber.msisdn,
        period=f"{order.period_from:%d.%m.%Y}–{order.period_to:%d.%m.%Y}",
        attachment=await _attachment(setup.storage, document),
        file_name=document.file_name,
        content_type=document.content_type,
        download_url=f"{setup.public_url.rstrip('/')}/files/{document.download_token}",
        message_key=delivery.message_id,
    )
    try:
        await setup.mailer.send(message)
    except PermanentMailError as exc:
        metrics.DELIVERY_FAILURES.labels("permanent").inc()
        await _release(delivery.id, str(exc))
        reason = f"Почтовый сервер не принял письмо для {order.email}. Проверьте адрес."
        await _settle(order, DeliveryStatus.FAILED, reason, now, notify)
        return Outcome.FAILED
    except (TemporaryMailError, OSError) as exc:
        metrics.DELIVERY_FAILURES.labels("temporary").inc()
        await _release(delivery.id, str(exc))
        if attempts >= MAX_ATTEMPTS:
            metrics.DELIVERY_FAILURES.labels("given_up").inc()
            reason = "Не удалось отправить письмо: почтовый сервер недоступен. Файл ждёт в архиве."
            await _settle(order, DeliveryStatus.FAILED, reason, now, notify)
            return Outcome.FAILED
        log.warning("email of order %s: attempt %d failed, retrying: %s", order_id, attempts, exc)
        raise RetryLater(str(exc)) from exc
    now = clock.now()  # when the server took it, not when the claim was made
    await EmailDelivery.filter(id=delivery.id).update(
        sent_at=now, claimed_until=None, last_error=None
    )
    await _settle(order, DeliveryStatus.SENT, None, now, notify)
    return Outcome.SENT


async def _attachment(storage: Storage, document: Document) -> bytes | None:
    """The file to attach, or None past the attachment limit (the email gives a link)."""
    if document.size_bytes > ATTACHMENT_LIMIT:
        return None
    return await storage.read(document.storage_key)


async def _release(delivery_id: int, error: str) -> None:
    await EmailDelivery.filter(id=delivery_id).update(claimed_until=None, last_error=error[:500])


async def _settle(
    order: DetailOrder, status: DeliveryStatus, reason: str | None, now: datetime, notify: Notify
) -> None:
    async with in_transaction():  # the webhook's outbox row commits with the status
        changed = await DetailOrder.filter(
            id=order.id, delivery_status=DeliveryStatus.PENDING
        ).update(delivery_status=status, delivery_error=reason, updated_at=now)
        if changed:
            await record_order_event(order.id, _EVENTS[status], now)
    if changed:
        await notify(order.subscriber_id, order.id)


# A READY email order with no attempt yet this long after READY lost its message (a broker
# that restarted empty); one whose attempts have begun is left to the retries' backoff
# for RETRYING_GRACE, so the reaper does not add attempts to a delivery being retried.
UNTRIED_GRACE = timedelta(seconds=30)
RETRYING_GRACE = timedelta(hours=1)


_EVENTS = {
    DeliveryStatus.SENT: WebhookEventType.DELIVERY_SENT,
    DeliveryStatus.FAILED: WebhookEventType.DELIVERY_FAILED,
}


async def deliveries_to_resend(now: datetime) -> list[int]:
    """READY email orders still PENDING: never tried soon after READY, or long after."""
    stuck = await DetailOrder.filter(
        status=DetailOrderStatus.READY,
        delivery=DeliveryMethod.EMAIL,
        delivery_status=DeliveryStatus.PENDING,
        ready_at__lt=now - UNTRIED_GRACE,
    ).values_list("id", flat=True)
    ids = [int(str(i)) for i in stuck]
    tried = await EmailDelivery.filter(order_id__in=ids, attempts__gt=0).values_list(
        "order_id", flat=True
    )
    started = {int(str(i)) for i in tried}
    long_ago = await DetailOrder.filter(
        id__in=list(started), ready_at__lt=now - RETRYING_GRACE
    ).values_list("id", flat=True)
    return sorted(set(ids) - started | {int(str(i)) for i in long_ago})
