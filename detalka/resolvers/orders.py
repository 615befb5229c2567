"""Detail orders: review, place (idempotently), cancel; the message goes after the commit."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from detalka.adapters import metrics
from detalka.errors import ErrorCode, Rejected, UserFacingError
from detalka.models import DetailOrder, IdempotencyKey, Store, Subscriber
from detalka.models.enums import (
    DeliveryMethod,
    DeliveryStatus,
    DetailOrderStatus,
    ReportFormat,
    ReportSection,
)
from detalka.models.queries import _db, _param, _sql
from detalka.periods import Period, checked_period
from detalka.reports.build import estimate_rows

log = logging.getLogger(__name__)
IDEMPOTENCY_TTL = timedelta(hours=24)
# A pragmatic address check: one @, a dot in the domain, no spaces; the mail server decides.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
Enqueue = Callable[[int], Awaitable[None]]
# Told after each committed change of an order: (subscriber_id, order_id).
Notify = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class OrderRequest:
    """What the subscriber asked for, as given."""

    period_from: date
    period_to: date
    format: ReportFormat
    delivery: DeliveryMethod
    sections: list[ReportSection] | None
    email: str | None
    store_id: int | None
    idempotency_key: str | None
    # May the report go to an address other than the one on file? Only for a caller who
    # may read the account (a session, a token with account:read).
    any_email: bool = False


@dataclass(frozen=True)
class NormalizedOrder:
    """The order as it will be placed: defaults filled in, every rule checked."""

    period: Period
    format: ReportFormat
    delivery: DeliveryMethod
    sections: list[ReportSection]
    email: str | None
    store: Store | None

    def fingerprint(self) -> str:
        data = {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "format": str(self.format),
            "delivery": str(self.delivery),
            "sections": [str(s) for s in self.sections],
            "email": self.email,
            "store": self.store.id if self.store else None,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


async def normalize(
    request: OrderRequest, subscriber: Subscriber, now: datetime, horizon_years: int
) -> NormalizedOrder:
    """Every problem with the request, as user errors with their own codes."""
    errors: list[UserFacingError] = []
    zone = ZoneInfo(subscriber.home_region.time_zone)
    period: Period | None = None
    try:
        period = checked_period(
            request.period_from, request.period_to, zone, now, horizon_years, "period"
        )
    except UserFacingError as error:
        errors.append(error)
    sections = checked_sections(request.sections, errors)
    email = _email(request, subscriber, errors)
    store = await _store(request, subscriber, errors)
    if errors:
        raise Rejected(errors)
    assert period is not None
    # Paper is printed at the store: it is always a print-ready PDF.
    fmt = ReportFormat.PDF if request.delivery == DeliveryMethod.PAPER else request.format
    return NormalizedOrder(period, fmt, request.delivery, sections, email, store)


async def preview(
    request: OrderRequest, subscriber: Subscriber, now: datetime, horizon_years: int
) -> tuple[NormalizedOrder, int]:
    """The order as it would be placed and about how many rows its report would have."""
    order = await normalize(request, subscriber, now, horizon_years)
    return order, await estimate_rows(subscriber.id, order.period, order.sections)


def checked_sections(
    chosen: list[ReportSection] | None, errors: list[UserFacingError]
) -> list[ReportSection]:
    if chosen is None:
        return list(ReportSection)
    if not chosen:
        errors.append(
            UserFacingError(ErrorCode.NO_SECTIONS, "Выберите хотя бы один раздел.", ("sections",))
        )
    # In the order of the report, each once.
    return [s for s in ReportSection if s in chosen]


def _email(
    request: OrderRequest, subscriber: Subscriber, errors: list[UserFacingError]
) -> str | None:
    if request.delivery != DeliveryMethod.EMAIL:
        return None
    email = checked_email(request.email, subscriber.email, errors)
    return checked_recipient(email, subscriber.email, request.any_email, errors)


def checked_recipient(
    email: str | None, on_file: str | None, any_email: bool, errors: list[UserFacingError]
) -> str | None:
    """The address, unless it is not the one on file and the caller may not choose another."""
    if email is None or any_email or email.lower() == (on_file or "").strip().lower():
        return email
    errors.append(
        UserFacingError(
            ErrorCode.EMAIL_NOT_ALLOWED,
            "Этот токен может отправить отчёт только на адрес, указанный в профиле.",
            ("email",),
        )
    )
    return None


def checked_email(
    given: str | None, on_file: str | None, errors: list[UserFacingError]
) -> str | None:
    """The address given, else the one on file; a problem is added to ``errors``."""
    email = (given or on_file or "").strip()
    if not email:
        errors.append(
            UserFacingError(
                ErrorCode.EMAIL_REQUIRED, "Укажите адрес электронной почты.", ("email",)
            )
        )
        return None
    if not EMAIL.match(email) or len(email) > 254:
        errors.append(
            UserFacingError(ErrorCode.EMAIL_INVALID, "Адрес почты указан неверно.", ("email",))
        )
        return None
    return email


async def _store(
    request: OrderRequest, subscriber: Subscriber, errors: list[UserFacingError]
) -> Store | None:
    if request.delivery != DeliveryMethod.PAPER:
        return None
    if request.store_id is None:
        errors.append(
            UserFacingError(ErrorCode.STORE_REQUIRED, "Выберите салон для получения.", ("storeId",))
        )
        return None
    store = await Store.get_or_none(id=request.store_id).select_related("region")
    if store is None:
        errors.append(UserFacingError(ErrorCode.STORE_NOT_FOUND, "Салон не найден.", ("storeId",)))
        return None
    if store.region_id != subscriber.home_region_id:
        errors.append(
            UserFacingError(
                ErrorCode.STORE_OUTSIDE_HOME_REGION,
                "Бумажную детализацию выдают только в салонах домашнего региона "
                f"«{subscriber.home_region.name}».",
                ("storeId",),
            )
        )
        return None
    return store


async def place_order(
    request: OrderRequest,
    subscriber: Subscriber,
    now: datetime,
    horizon_years: int,
    enqueue: Enqueue,
    max_queued: int | None = None,
) -> tuple[DetailOrder, bool]:
    """Save the order, then send its message; the same idempotency key gives the same order.
    Returns the order and whether this call placed it (False: the key's earlier order).

    With ``max_queued``, a subscriber with that many orders PENDING or RENDERING gets
    TOO_MANY_ORDERS: one subscriber cannot fill the render queue for everyone else.
    """
    order = await normalize(request, subscriber, now, horizon_years)
    key = _checked_key(request.idempotency_key)
    fingerprint = order.fingerprint()
    if key is not None:
        existing = await _existing(subscriber.id, key, fingerprint, now)
        if existing is not None:
            return existing, False
    try:
        async with in_transaction() as db:
            row = await _insert(db, order, subscriber, now, max_queued)
            if key is not None:
                await IdempotencyKey.create(
                    using_db=db,
                    subscriber_id=subscriber.id,
                    key=key,
                    request_hash=fingerprint,
                    order=row,
                    created_at=now,
                )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its order.
        assert key is not None
        existing = await _existing(subscriber.id, key, fingerprint, now)
        if existing is None:
            raise
        return existing, False
    await dispatch(row, enqueue, now)
    return row, True


async def _insert(
    db: BaseDBAsyncClient,
    order: NormalizedOrder,
    subscriber: Subscriber,
    now: datetime,
    max_queued: int | None,
) -> DetailOrder:
    """The order's row, in the caller's transaction, once the queue has room for it."""
    if max_queued is not None:
        await _check_queue(db, subscriber.id, max_queued)
    return await DetailOrder.create(
        using_db=db,
        subscriber_id=subscriber.id,
        created_at=now,
        updated_at=now,
        enqueued_at=now,  # see dispatch
        region_id=subscriber.home_region_id,
        period_from=order.period.first,
        period_to=order.period.last,
        format=order.format,
        delivery=order.delivery,
        sections=[str(s) for s in order.sections],
        email=order.email,
        store=order.store,
        delivery_status=DeliveryStatus.NONE
        if order.delivery == DeliveryMethod.ARCHIVE
        else DeliveryStatus.PENDING,
    )


def _checked_key(key: str | None) -> str | None:
    if key is not None and not 1 <= len(key) <= 100:
        raise Rejected(
            [
                UserFacingError(
                    ErrorCode.IDEMPOTENCY_KEY_INVALID,
                    "Ключ идемпотентности: от 1 до 100 символов.",
                    ("idempotencyKey",),
                )
            ]
        )
    return key


async def _check_queue(db: BaseDBAsyncClient, subscriber_id: int, max_queued: int) -> None:
    # A write first (it changes nothing): the subscriber's row lock on PostgreSQL, the write
    # lock on SQLite. Concurrent placements of one subscriber queue up here, so sending many
    # at once cannot pass the count; and SQLite never has to upgrade a read lock, which
    # fails at once ("database is locked") instead of waiting. Fixed texts: tortoise would
    # build both statements anew on every order.
    await db.execute_query(
        _sql(db, "UPDATE subscriber SET msisdn = msisdn WHERE id = ?"), [subscriber_id]
    )
    _, rows = await db.execute_query(_sql(db, _QUEUED), [subscriber_id])
    queued = int(rows[0][0])
    if queued >= max_queued:
        raise Rejected(
            [
                UserFacingError(
                    ErrorCode.TOO_MANY_ORDERS,
                    f"Готовится уже {queued} заказов, это предел. Дождитесь готовности "
                    "или отмените ненужный заказ.",
                )
            ]
        )


_QUEUED = (  # the statuses an order waits or renders in (DetailOrderStatus)
    "SELECT COUNT(*) FROM detail_order WHERE subscriber_id = ?"
    " AND status IN ('PENDING', 'RENDERING')"
)


async def dispatch(order: DetailOrder, enqueue: Enqueue, now: datetime) -> None:
    """Send the render message (after the commit). A failed send is left to the reaper.

    An order placed through the API has its ``enqueued_at`` written with the insert: a write
    after the send would race the worker's claim of the order for the database (on SQLite
    the loser sleeps in the busy handler, 1 ms at the least). Its send failing, it is put
    back to NULL, for the reaper to re-send it after UNSENT_GRACE; a process that dies
    between the commit and the send leaves it set, and the reaper re-sends after
    REQUEUE_AFTER instead. Other orders (a schedule's) get it written after the send.
    """
    recorded = order.enqueued_at is not None
    try:
        await enqueue(order.id)
    except Exception:  # the broker is down: the order stays PENDING, the reaper resends it
        log.warning("order %s: the broker is away; the reaper re-sends it", order.id)
        metrics.ENQUEUE_FAILURES.labels("render_detail_order").inc()
        if recorded:
            await _set_enqueued_at(order, None)
        return
    if not recorded:
        await _set_enqueued_at(order, now)


async def _set_enqueued_at(order: DetailOrder, moment: datetime | None) -> None:
    db = _db()
    value = None if moment is None else _param(db, moment)
    await db.execute_query(
        _sql(db, "UPDATE detail_order SET enqueued_at = ? WHERE id = ?"), [value, order.id]
    )
    order.enqueued_at = moment


async def _existing(
    subscriber_id: int, key: str, fingerprint: str, now: datetime
) -> DetailOrder | None:
    await IdempotencyKey.filter(
        subscriber_id=subscriber_id, key=key, created_at__lt=now - IDEMPOTENCY_TTL
    ).delete()
    found = await IdempotencyKey.get_or_none(subscriber_id=subscriber_id, key=key)
    if found is None:
        return None
    if found.request_hash != fingerprint:
        raise Rejected(
            [
                UserFacingError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "Этот ключ идемпотентности уже использован для другого заказа.",
                    ("idempotencyKey",),
                )
            ]
        )
    return await DetailOrder.get(id=found.order_id)


async def cancel_order(subscriber_id: int, order_id: int, now: datetime) -> DetailOrder:
    canceled = await DetailOrder.filter(
        id=order_id,
        subscriber_id=subscriber_id,
        status__in=[DetailOrderStatus.PENDING, DetailOrderStatus.RENDERING],
    ).update(status=DetailOrderStatus.CANCELED, updated_at=now)
    order = await DetailOrder.get_or_none(id=order_id, subscriber_id=subscriber_id)
    if order is None:
        raise Rejected([UserFacingError(ErrorCode.NOT_FOUND, "Заказ не найден.", ("id",))])
    if not canceled:
        raise Rejected(
            [
                UserFacingError(
                    ErrorCode.NOTHING_TO_CANCEL,
                    "Отменить можно только заказ, который ещё готовится.",
                    ("id",),
                )
            ]
        )
    return order
