"""Reads of a subscriber's orders and personal archive, as the API and live updates show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# The rows these use cases return, re-exported: the schema names them from here.
from tortoise.functions import Count

from detalka.models import DetailOrder as DetailOrder
from detalka.models import Document as Document
from detalka.models.enums import DeliveryStatus, DetailOrderStatus
from detalka.models.joined import orders_page

# Orders that may still change on their own (rendering, delivery); the rest have ended.
IN_MOTION = [DetailOrderStatus.PENDING, DetailOrderStatus.RENDERING, DetailOrderStatus.READY]
ENDED = {DetailOrderStatus.FAILED, DetailOrderStatus.CANCELED, DetailOrderStatus.EXPIRED}


def has_ended(status: DetailOrderStatus, delivery: DeliveryStatus) -> bool:
    """Nothing more will happen to it until it expires: delivered, failed or canceled."""
    return status in ENDED or (
        status == DetailOrderStatus.READY and delivery != DeliveryStatus.PENDING
    )


@dataclass(frozen=True)
class OrderView:
    """An order with its region's zone and its document while it is kept."""

    row: DetailOrder
    zone: ZoneInfo
    document: Document | None


async def orders(
    subscriber_id: int,
    *,
    ids: list[int] | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[OrderView]:
    """The subscriber's orders, newest first, in one statement whatever their number.

    ``before`` is the (created_at, id) of the last order of the page before.
    """
    rows = await orders_page(subscriber_id, ids=ids, before=before, limit=limit)
    return [OrderView(r, ZoneInfo(r.region.time_zone), _live(d)) for r, d in rows]


def _live(document: Document | None) -> Document | None:
    return document if document is not None and document.deleted_at is None else None


async def order_ids_in_motion(subscriber_id: int) -> list[int]:
    rows = await DetailOrder.filter(subscriber_id=subscriber_id, status__in=IN_MOTION).values_list(
        "id", flat=True
    )
    return [int(str(i)) for i in rows]


async def order_ids_changed_since(subscriber_id: int, since: datetime) -> list[int]:
    """Orders that changed after ``since``, ended ones included, in the order they changed
    (a stream that resumes replays what it missed while away)."""
    rows = (
        await DetailOrder.filter(subscriber_id=subscriber_id, updated_at__gt=since)
        .order_by("updated_at", "id")
        .limit(100)
        .values_list("id", flat=True)
    )
    return [int(str(i)) for i in rows]


async def count_by_status() -> dict[str, int]:
    """Every order status with how many orders stand in it (metrics)."""
    counts = {str(status): 0 for status in DetailOrderStatus}
    rows = await DetailOrder.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    for status, n in rows:
        counts[str(status)] = int(str(n))
    return counts


async def newest_order_id(subscriber_id: int) -> int:
    """The highest order id the subscriber has, 0 without orders."""
    ids = await DetailOrder.filter(subscriber_id=subscriber_id).values_list("id", flat=True)
    return max((int(str(i)) for i in ids), default=0)


async def order_ids_after(subscriber_id: int, newest: int) -> set[int]:
    """Orders placed since the one with id ``newest``."""
    rows = await DetailOrder.filter(subscriber_id=subscriber_id, id__gt=newest)
    return {o.id for o in rows}


async def documents(subscriber_id: int, now: datetime) -> list[Document]:
    """The personal archive: ready documents until they expire, newest first."""
    return await Document.filter(
        order__subscriber_id=subscriber_id, deleted_at=None, expires_at__gt=now
    ).order_by("-created_at", "-id")


async def documents_by_ids(subscriber_id: int, ids: list[int]) -> list[Document]:
    """Those of the documents that are the subscriber's own and not yet deleted."""
    return await Document.filter(id__in=ids, order__subscriber_id=subscriber_id, deleted_at=None)


async def document_by_download_token(token: str) -> Document | None:
    """The document a download link names, deleted or expired ones included (they answer 410)."""
    return await Document.get_or_none(download_token=token)
