"""Render one order: claim it, stream the report to a temporary file, move it into place.

Failures of the infrastructure (a dropped database connection, a broker or store away) are
raised for Dramatiq to retry, with the order given back; only the data's failures make an
order FAILED (``detalka.adapters.transient``). Every write takes its time when it happens.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from detalka.adapters import metrics
from detalka.adapters.storage import Storage
from detalka.adapters.transient import is_transient
from detalka.clock import Clock
from detalka.models import DetailOrder, Document
from detalka.models.enums import (
    DeliveryMethod,
    DeliveryStatus,
    DetailOrderStatus,
    WebhookEventType,
)
from detalka.reports.build import build_report
from detalka.reports.formats import renderer_for
from detalka.reports.report import Progress, Renderer, Report
from detalka.reports.writing import PROGRESS_EVERY
from detalka.resolvers import render_lease
from detalka.resolvers.orders import Notify
from detalka.resolvers.render_lease import LEASE, Claim, LeaseLost
from detalka.resolvers.webhook_events import record_order_event

log = logging.getLogger(__name__)
FILE_TITLE = "Детализация"
GIVEN_UP = "Не удалось подготовить детализацию. Закажите её ещё раз."
# Sends the delivery message of an order that became READY (after the commit).
Deliver = Callable[[int], Awaitable[None]]
# A PENDING order whose message was never sent (the broker was away at the commit) is
# re-sent after this; one whose message was sent, after REQUEUE_AFTER (a broker that lost
# its queue). A message merely slow behind a backlog gets a harmless duplicate: the claim
# makes the second one a no-op.
UNSENT_GRACE = timedelta(seconds=10)
REQUEUE_AFTER = timedelta(seconds=30)


async def _nothing(*_: int) -> None:
    return None


async def render_order(
    order_id: int,
    *,
    storage: Storage,
    clock: Clock,
    document_ttl: timedelta,
    lease: timedelta = LEASE,
    notify: Notify = _nothing,
    deliver: Deliver = _nothing,
    wake: Notify | None = None,
) -> bool:
    """Idempotent: does nothing unless it claims the order. True when it made a document.

    ``notify`` hears of every committed change (claimed, progress, READY, FAILED);
    ``wake``, when given, hears of those that wrote no webhook delivery instead (claimed,
    progress, and READY when no endpoint of the subscriber listens for it: then there is
    nothing for ``notify`` to send). ``deliver`` is called once the order is READY with an
    EMAIL delivery pending.
    Raises LeaseHeld (another worker renders it) and infrastructure errors: retry the message.
    """
    claim = await render_lease.claim(order_id, clock, lease)
    if claim is None:
        return False
    order = claim.order
    wake = wake or notify
    try:
        async with render_lease.heartbeat(claim, clock, lease) as beating:
            await wake(order.subscriber_id, order_id)
            if claim.token > render_lease.MAX_ATTEMPTS:
                await _fail(
                    claim, clock, "Не удалось подготовить детализацию. Закажите её ещё раз."
                )
                await notify(order.subscriber_id, order_id)
                return False
            progress = _progress(claim, beating, clock, wake)
            webhooks = await _render_claimed(
                claim, storage=storage, clock=clock, document_ttl=document_ttl, progress=progress
            )
    except LeaseLost:
        log.warning("order %s: the claim was lost (canceled or taken over)", order_id)
        return False
    except Exception as exc:
        if is_transient(exc):
            log.warning("order %s: infrastructure failure, retrying: %r", order_id, exc)
            await render_lease.release(claim, clock)
            raise
        log.exception("rendering order %s failed", order_id)
        reason = f"Не удалось подготовить детализацию ({type(exc).__name__}). Закажите её ещё раз."
        await _fail(claim, clock, reason)
        await notify(order.subscriber_id, order_id)
        return False
    await (notify if webhooks else wake)(order.subscriber_id, order_id)
    if order.delivery == DeliveryMethod.EMAIL:
        await deliver(order_id)
    return True


async def _fail(claim: Claim, clock: Clock, reason: str) -> None:
    async with in_transaction():  # the webhook's outbox row commits with FAILED
        now = clock.now()
        failed = await DetailOrder.filter(claim.mine()).update(
            status=DetailOrderStatus.FAILED, failure_reason=reason, updated_at=now
        )
        if failed:
            await record_order_event(
                claim.order.id,
                WebhookEventType.DETAIL_ORDER_FAILED,
                now,
                subscriber_id=claim.order.subscriber_id,
            )


async def _render_claimed(
    claim: Claim,
    *,
    storage: Storage,
    clock: Clock,
    document_ttl: timedelta,
    progress: Callable[[int], Progress],
) -> int:
    """The document made and the order READY; the webhook deliveries that wrote."""
    order = claim.order
    started = time.monotonic()
    report = await build_report(order, clock.now())
    renderer = renderer_for(order.format)
    key = f"{order.subscriber_id}/{order.id}-{secrets.token_hex(8)}.{renderer.extension}"
    temporary = storage.temporary(key)
    kept = False  # the document row committed: the file is the order's
    try:
        with temporary.open("wb") as out:
            rows = await renderer.render(report, out, progress(report.estimated_rows))
        size, digest = await asyncio.to_thread(_measure, temporary)
        await storage.save(temporary, key)
        webhooks = await _mark_ready(
            claim, report, renderer, Written(rows, size, digest, key), clock, document_ttl
        )
        kept = True
        elapsed = time.monotonic() - started
        metrics.RENDER_SECONDS.labels(str(order.format)).observe(elapsed)
        metrics.RENDER_ROWS_PER_SECOND.labels(str(order.format)).observe(rows / max(elapsed, 1e-6))
    finally:
        # Whatever happened, no temporary file stays; a file of an order that did not
        # become READY goes too (asked of the database unless the commit was seen to pass).
        temporary.unlink(missing_ok=True)
        if not kept and not await _kept(order.id, key):
            await _forget(storage, key)
    return webhooks


@dataclass(frozen=True)
class Written:
    """A rendered file as stored: its rows, size, sha256 and storage key."""

    rows: int
    size: int
    digest: str
    key: str


async def _mark_ready(
    claim: Claim,
    report: Report,
    renderer: Renderer,
    written: Written,
    clock: Clock,
    document_ttl: timedelta,
) -> int:
    """READY, the document row and the webhook outbox rows in one transaction; the claim
    must still be this worker's (LeaseLost otherwise). How many outbox rows it wrote."""
    order = claim.order
    async with in_transaction():
        now = clock.now()  # READY, the document and its expiry: the moment it is done
        ready = await DetailOrder.filter(claim.mine()).update(
            status=DetailOrderStatus.READY,
            progress=1.0,
            row_count=written.rows,
            ready_at=now,
            expires_at=now + document_ttl,
            updated_at=now,
            **_delivery_after_ready(order),
        )
        if not ready:
            raise LeaseLost
        await Document.create(
            order_id=order.id,
            file_name=file_name(report.header.msisdn, order, renderer.extension),
            format=order.format,
            content_type=renderer.content_type,
            size_bytes=written.size,
            sha256=written.digest,
            storage_key=written.key,
            download_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + document_ttl,
        )
        return await record_order_event(
            order.id,
            WebhookEventType.DETAIL_ORDER_READY,
            now,
            subscriber_id=order.subscriber_id,
        )


async def _forget(storage: Storage, key: str) -> None:
    try:
        await storage.remove(key)
    except Exception:  # the store is away: an orphan object costs less than a lost one
        log.warning("could not delete %s", key)


async def _kept(order_id: int, key: str) -> bool:
    try:
        return await Document.filter(order_id=order_id, storage_key=key).exists()
    except Exception:  # the database is away: keep the file, an orphan costs less than a loss
        return True


def _progress(
    claim: Claim, beating: render_lease.Heartbeat, clock: Clock, notify: Notify
) -> Callable[[int], Progress]:
    """Records the share of rows written; LeaseLost when the claim is gone meanwhile."""
    order = claim.order

    def for_rows(estimated_rows: int) -> Progress:
        async def progress(rows: int) -> None:
            beating.check()
            if rows < PROGRESS_EVERY:
                # A report this small is done in a fraction of a second: its only report
                # (0.99, just before READY) cost a write, an event and each follower's
                # re-read, and showed nothing. READY's write is fenced by the claim too.
                return
            share = min(rows / estimated_rows, 0.99)
            still = await DetailOrder.filter(claim.mine()).update(
                progress=share, updated_at=clock.now()
            )
            if not still:
                raise LeaseLost
            await notify(order.subscriber_id, order.id)

        return progress

    return for_rows


def _delivery_after_ready(order: DetailOrder) -> dict[str, DeliveryStatus]:
    if order.delivery == DeliveryMethod.PAPER:
        return {"delivery_status": DeliveryStatus.AT_STORE}
    return {}


def _measure(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as written:
        while chunk := written.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def file_name(msisdn: str, order: DetailOrder, extension: str) -> str:
    return (
        f"{FILE_TITLE} {msisdn} {order.period_from:%d.%m.%Y}–{order.period_to:%d.%m.%Y}.{extension}"
    )


async def purge_expired_documents(
    storage: Storage, now: datetime, notify: Notify = _nothing
) -> int:
    """Delete files past their 72 hours; their orders read EXPIRED. Returns files purged."""
    purged = 0
    expired = await Document.filter(expires_at__lte=now, deleted_at=None).select_related("order")
    for document in expired:
        await storage.remove(document.storage_key)
        async with in_transaction():
            taken = await Document.filter(id=document.id, deleted_at=None).update(deleted_at=now)
            if taken:
                expired_now = await DetailOrder.filter(
                    id=document.order_id, status=DetailOrderStatus.READY
                ).update(status=DetailOrderStatus.EXPIRED, updated_at=now)
                if expired_now:
                    await record_order_event(
                        document.order_id, WebhookEventType.DETAIL_ORDER_EXPIRED, now
                    )
                purged += 1
        if taken:
            await notify(document.order.subscriber_id, document.order_id)
    return purged


async def orders_to_resend(now: datetime, lease: timedelta = LEASE) -> list[int]:
    """PENDING orders whose message was lost, and RENDERING ones of a dead worker."""
    stuck = await DetailOrder.filter(
        Q(status=DetailOrderStatus.PENDING, enqueued_at=None, created_at__lt=now - UNSENT_GRACE)
        | Q(status=DetailOrderStatus.PENDING, enqueued_at__lt=now - REQUEUE_AFTER)
        | Q(status=DetailOrderStatus.RENDERING, updated_at__lt=now - lease)
    ).values_list("id", flat=True)
    return [int(str(i)) for i in stuck]


async def mark_resent(order_ids: list[int], now: datetime) -> None:
    """The reaper sent these again: the next round waits REQUEUE_AFTER before another."""
    await DetailOrder.filter(id__in=order_ids, status=DetailOrderStatus.PENDING).update(
        enqueued_at=now
    )
