"""Render one order: claim it, stream the report to a temporary file, move it into place."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from detalka.adapters.storage import FileStorage
from detalka.models import DetailOrder, Document
from detalka.models.enums import DeliveryMethod, DeliveryStatus, DetailOrderStatus
from detalka.reports.build import build_report
from detalka.reports.formats import renderer_for
from detalka.reports.report import Progress
from detalka.resolvers.orders import Notify

log = logging.getLogger(__name__)
# A RENDERING order untouched this long belongs to a dead worker and may be taken over.
LEASE = timedelta(minutes=15)
FILE_TITLE = "Детализация"
# Sends the delivery message of an order that became READY (after the commit).
Deliver = Callable[[int], Awaitable[None]]


async def _nothing(*_: int) -> None:
    return None


class Canceled(Exception):
    """The order left RENDERING (canceled) while it was being rendered."""


async def render_order(
    order_id: int,
    *,
    storage: FileStorage,
    now: datetime,
    document_ttl: timedelta,
    notify: Notify = _nothing,
    deliver: Deliver = _nothing,
) -> bool:
    """Idempotent: does nothing unless it claims the order. True when it made a document.

    ``notify`` hears of every committed change (claimed, progress, READY, FAILED);
    ``deliver`` is called once the order is READY with an EMAIL delivery pending.
    """
    claimed = await DetailOrder.filter(
        Q(id=order_id)
        & (
            Q(status=DetailOrderStatus.PENDING)
            | Q(status=DetailOrderStatus.RENDERING, updated_at__lt=now - LEASE)
        )
    ).update(
        status=DetailOrderStatus.RENDERING, progress=0.0, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return False
    order = await DetailOrder.get(id=order_id)
    await notify(order.subscriber_id, order_id)
    try:
        made = await _render_claimed(
            order, storage=storage, now=now, document_ttl=document_ttl, notify=notify
        )
    except Exception as exc:
        log.exception("rendering order %s failed", order_id)
        await DetailOrder.filter(id=order_id, status=DetailOrderStatus.RENDERING).update(
            status=DetailOrderStatus.FAILED,
            failure_reason=f"Не удалось подготовить детализацию ({type(exc).__name__}). "
            "Закажите её ещё раз.",
            updated_at=now,
        )
        await notify(order.subscriber_id, order_id)
        return False
    await notify(order.subscriber_id, order_id)
    if made and order.delivery == DeliveryMethod.EMAIL:
        await deliver(order_id)
    return made


async def _render_claimed(
    order: DetailOrder,
    *,
    storage: FileStorage,
    now: datetime,
    document_ttl: timedelta,
    notify: Notify,
) -> bool:
    order_id = order.id
    report = await build_report(order, now)
    renderer = renderer_for(order.format)
    key = f"{order.subscriber_id}/{order.id}-{secrets.token_hex(8)}.{renderer.extension}"
    temporary = storage.temporary(key)
    try:
        with temporary.open("wb") as out:
            progress = _progress(order, report.estimated_rows, now, notify)
            rows = await renderer.render(report, out, progress)
        size, digest = _measure(temporary)
        storage.commit(temporary, key)
        async with in_transaction():
            ready = await DetailOrder.filter(
                id=order_id, status=DetailOrderStatus.RENDERING
            ).update(
                status=DetailOrderStatus.READY,
                progress=1.0,
                row_count=rows,
                ready_at=now,
                expires_at=now + document_ttl,
                updated_at=now,
                **_delivery_after_ready(order),
            )
            if not ready:
                raise Canceled
            await Document.create(
                order_id=order_id,
                file_name=file_name(report.header.msisdn, order, renderer.extension),
                format=order.format,
                content_type=renderer.content_type,
                size_bytes=size,
                sha256=digest,
                storage_key=key,
                download_token=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + document_ttl,
            )
    except Canceled:
        return False
    finally:
        # Whatever happened, no temporary file stays; a file of an order that did not
        # become READY goes too.
        temporary.unlink(missing_ok=True)
        if not await Document.filter(order_id=order_id, storage_key=key).exists():
            storage.delete(key)
    return True


def _progress(order: DetailOrder, estimated_rows: int, now: datetime, notify: Notify) -> Progress:
    """Records the share of rows written; Canceled when the order left RENDERING meanwhile."""

    async def progress(rows: int) -> None:
        share = min(rows / estimated_rows, 0.99)
        still = await DetailOrder.filter(id=order.id, status=DetailOrderStatus.RENDERING).update(
            progress=share, updated_at=now
        )
        if not still:
            raise Canceled
        await notify(order.subscriber_id, order.id)

    return progress


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
    storage: FileStorage, now: datetime, notify: Notify = _nothing
) -> int:
    """Delete files past their 72 hours; their orders read EXPIRED. Returns files purged."""
    purged = 0
    expired = await Document.filter(expires_at__lte=now, deleted_at=None).select_related("order")
    for document in expired:
        storage.delete(document.storage_key)
        async with in_transaction():
            taken = await Document.filter(id=document.id, deleted_at=None).update(deleted_at=now)
            if taken:
                await DetailOrder.filter(
                    id=document.order_id, status=DetailOrderStatus.READY
                ).update(status=DetailOrderStatus.EXPIRED, updated_at=now)
                purged += 1
        if taken:
            await notify(document.order.subscriber_id, document.order_id)
    return purged


async def orders_to_resend(now: datetime, grace: timedelta = timedelta(minutes=2)) -> list[int]:
    """PENDING orders whose message was lost, and RENDERING ones of a dead worker."""
    stuck = await DetailOrder.filter(
        Q(status=DetailOrderStatus.PENDING, enqueued_at=None, created_at__lt=now - grace)
        | Q(status=DetailOrderStatus.PENDING, enqueued_at__lt=now - LEASE)
        | Q(status=DetailOrderStatus.RENDERING, updated_at__lt=now - LEASE)
    ).values_list("id", flat=True)
    return [int(str(i)) for i in stuck]
