"""Webhook endpoints: register, change, delete, list with recent deliveries, retry one.

A token sees and manages only the endpoints it registered (one aggregator never sees
another's); a session sees all of the subscriber's. The signing secret is returned once, by
:func:`create_endpoint`, and is never readable again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet

from detalka.errors import ErrorCode, UserFacingError
from detalka.models import WebhookDelivery as WebhookDelivery
from detalka.models import WebhookEndpoint as WebhookEndpoint
from detalka.models.enums import WebhookDeliveryStatus, WebhookEventType
from detalka.resolvers.access import Viewer
from detalka.resolvers.webhook_signing import new_salt, signing_secret

MAX_ENDPOINTS = 10
MAX_URL_LENGTH = 1000
RECENT_DELIVERIES = 10
_BAD_URL = "Укажите полный адрес вида https://example.ru/webhooks (не длиннее 1000 символов)."


def _bad_url(message: str = _BAD_URL) -> UserFacingError:
    return UserFacingError(ErrorCode.INVALID_URL, message, ("url",))


def checked_url(text: str, production: bool) -> str:
    """An absolute http(s) URL without credentials; in production https to a public host."""
    url = text.strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() or not c.isprintable() for c in url):
        raise _bad_url()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise _bad_url() from None
    if parts.scheme not in {"http", "https"}:
        raise _bad_url("Адрес должен начинаться с http:// или https://.")
    if "@" in parts.netloc:
        raise _bad_url("Адрес не может содержать имя пользователя или пароль.")
    if not parts.hostname or parts.fragment:
        raise _bad_url()
    if production:
        if parts.scheme != "https":
            raise _bad_url("Нужен адрес https://: вебхуки несут данные заказов.")
        if _internal_host(parts.hostname):
            raise _bad_url("Адрес во внутренней сети недоступен для вебхуков.")
    return url


def _internal_host(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: checked again when it is resolved, at every attempt
    return not ip.is_global


def checked_event_types(given: Sequence[WebhookEventType]) -> list[str]:
    if not given:
        raise UserFacingError(
            ErrorCode.NO_EVENT_TYPES, "Выберите хотя бы одно событие.", ("eventTypes",)
        )
    return [str(t) for t in WebhookEventType if t in given]


def _visible(viewer: Viewer) -> QuerySet[WebhookEndpoint]:
    endpoints = WebhookEndpoint.filter(subscriber_id=viewer.subscriber_id)
    if viewer.api_token_id is not None:
        endpoints = endpoints.filter(api_token_id=viewer.api_token_id)
    return endpoints


async def _own(viewer: Viewer, endpoint_id: int) -> WebhookEndpoint:
    row = await _visible(viewer).get_or_none(id=endpoint_id)
    if row is None:
        raise UserFacingError(ErrorCode.NOT_FOUND, "Адрес для вебхуков не найден.", ("id",))
    return row


async def create_endpoint(
    viewer: Viewer,
    url: str,
    event_types: Sequence[WebhookEventType],
    *,
    secret_key: str,
    production: bool,
    now: datetime,
) -> tuple[str, WebhookEndpoint]:
    """The new endpoint and its signing secret (the only time it is given out)."""
    url = checked_url(url, production)
    types = checked_event_types(event_types)
    if await WebhookEndpoint.filter(subscriber_id=viewer.subscriber_id).count() >= MAX_ENDPOINTS:
        raise UserFacingError(
            ErrorCode.TOO_MANY_REQUESTS, f"Не больше {MAX_ENDPOINTS} адресов для вебхуков."
        )
    salt = new_salt()
    row = await WebhookEndpoint.create(
        subscriber_id=viewer.subscriber_id,
        api_token_id=viewer.api_token_id,
        url=url,
        event_types=types,
        secret_salt=salt,
        created_at=now,
        updated_at=now,
    )
    return signing_secret(secret_key, salt), row


async def update_endpoint(
    viewer: Viewer,
    endpoint_id: int,
    *,
    url: str | None,
    event_types: Sequence[WebhookEventType] | None,
    enabled: bool | None,
    production: bool,
    now: datetime,
) -> WebhookEndpoint:
    """Changes what is given; enabling a disabled endpoint clears its streak."""
    row = await _own(viewer, endpoint_id)
    if url is not None:
        row.url = checked_url(url, production)
    if event_types is not None:
        row.event_types = checked_event_types(event_types)
    if enabled is not None and enabled != row.enabled:
        row.enabled = enabled
        row.disabled_at = None if enabled else now
        row.disabled_reason = None if enabled else "Отключён владельцем."
        row.failure_streak = 0
    row.updated_at = now
    await row.save()
    return row


async def delete_endpoint(viewer: Viewer, endpoint_id: int) -> int:
    """Deletes it with its deliveries; nothing more is sent to it."""
    row = await _own(viewer, endpoint_id)
    await row.delete()
    return endpoint_id


async def endpoints_page(
    viewer: Viewer, cursor: tuple[datetime, int] | None, limit: int
) -> list[WebhookEndpoint]:
    """The endpoints the viewer sees, newest first, after the (created_at, id) cursor."""
    rows = _visible(viewer).order_by("-created_at", "-id")
    if cursor is not None:
        moment, row_id = cursor
        rows = rows.filter(created_at__lte=moment).exclude(created_at=moment, id__gte=row_id)
    return await rows.limit(limit)


async def endpoints_by_ids(viewer: Viewer, ids: list[int]) -> list[WebhookEndpoint]:
    return await _visible(viewer).filter(id__in=ids)


async def recent_deliveries(endpoint_ids: Sequence[int]) -> dict[int, list[WebhookDelivery]]:
    """The last deliveries of each endpoint (at most MAX_ENDPOINTS reads, one each)."""
    found: dict[int, list[WebhookDelivery]] = {}
    for endpoint_id in endpoint_ids:
        found[endpoint_id] = (
            await WebhookDelivery.filter(endpoint_id=endpoint_id)
            .order_by("-id")
            .limit(RECENT_DELIVERIES)
            .select_related("event")
        )
    return found


async def retry_delivery(viewer: Viewer, delivery_id: int, now: datetime) -> WebhookDelivery:
    """A FAILED (or still retrying) delivery becomes due now, with a fresh schedule; the
    scheduler's next round sends it (within 30 s)."""
    row = await WebhookDelivery.get_or_none(id=delivery_id).select_related("endpoint", "event")
    if row is None or not await _visible(viewer).filter(id=row.endpoint_id).exists():
        raise UserFacingError(ErrorCode.NOT_FOUND, "Доставка не найдена.", ("id",))
    if row.status == WebhookDeliveryStatus.SUCCEEDED:
        raise UserFacingError(
            ErrorCode.WEBHOOK_ALREADY_DELIVERED, "Этот вебхук уже доставлен.", ("id",)
        )
    if not row.endpoint.enabled:
        raise UserFacingError(
            ErrorCode.WEBHOOK_ENDPOINT_DISABLED, "Сначала включите адрес для вебхуков.", ("id",)
        )
    await WebhookDelivery.filter(id=row.id, status__not=WebhookDeliveryStatus.SUCCEEDED).update(
        status=WebhookDeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        enqueued_at=None,
        claimed_until=None,
    )
    await row.refresh_from_db()
    return row
