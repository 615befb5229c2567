"""Who is calling: sessions and scoped API tokens, resolved from a bearer token or cookie."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q

from detalka.errors import ErrorCode, UserFacingError

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import ApiToken as ApiToken
from detalka.models import Session, Subscriber
from detalka.models.joined import live_session
from detalka.resolvers.sign_in import token_hash

API_TOKEN_PREFIX = "dtk_"
MAX_TOKENS = 20
# An event on the subscriber's channel with this order id means "a session or token of this
# subscriber ended": open sockets check their caller again at once (web/socket_watch.py).
CREDENTIALS_CHANGED = 0


class Scope(StrEnum):
    """What an API token may do; a session may do all of it."""

    ACCOUNT_READ = "account:read"
    USAGE_READ = "usage:read"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    WEBHOOKS_WRITE = "webhooks:write"


EVERY_SCOPE = frozenset(Scope)  # a session's


def parse_scopes(given: Iterable[str]) -> list[Scope]:
    """Scope names as a client sends them, each checked; an unknown one is INVALID_SCOPE."""
    try:
        return [Scope(name) for name in given]
    except ValueError:
        raise _invalid_scope() from None


def _invalid_scope() -> UserFacingError:
    return UserFacingError(
        ErrorCode.INVALID_SCOPE, f"Доступные права: {', '.join(Scope)}.", ("scopes",)
    )


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller. A session may do everything; an API token only its scopes."""

    subscriber_id: int
    scopes: frozenset[Scope]
    session_id: int | None = None
    api_token_id: int | None = None
    # When the session or token stops working by itself (a socket closes then).
    expires_at: datetime | None = None
    # The subscriber (home region and tariff too) as read with the session, in the same
    # statement: what an HTTP query's `viewer` shows. Not for a socket, which outlives it.
    subscriber: Subscriber | None = field(default=None, compare=False, repr=False)

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


LEGACY_TOKEN_TTL = timedelta(days=365)
LAST_USED_PRECISION = timedelta(minutes=1)  # an API token's lastUsedAt, see authenticate


def _live_token(now: datetime) -> Q:
    # A token made before tokens had an expiry (expires_at null) lives the longest a new one
    # may: LEGACY_TOKEN_TTL after it was made.
    return Q(revoked_at=None) & (
        Q(expires_at__gt=now) | Q(expires_at=None, created_at__gt=now - LEGACY_TOKEN_TTL)
    )


def token_expiry(row: ApiToken) -> datetime:
    return row.expires_at or row.created_at + LEGACY_TOKEN_TTL


async def authenticate(token: str, now: datetime) -> Viewer | None:
    hashed = token_hash(token)
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await ApiToken.get_or_none(_live_token(now), token_hash=hashed)
        if api_token is None:
            return None
        # Recorded to the minute: an aggregator's every request would otherwise be a write
        # (on SQLite, one that waits for the file's lock behind every other writer).
        last = api_token.last_used_at
        if last is None or now - last >= LAST_USED_PRECISION:
            await ApiToken.filter(id=api_token.id).update(last_used_at=now)
        # Stored scopes were checked when the token was made (create_api_token).
        scopes = frozenset(Scope(s) for s in api_token.scopes)
        return Viewer(
            api_token.subscriber_id,
            scopes,
            api_token_id=api_token.id,
            expires_at=token_expiry(api_token),
        )
    found = await live_session(hashed, now)
    if found is None:
        return None
    session, subscriber = found
    return Viewer(
        session.subscriber_id,
        EVERY_SCOPE,
        session_id=session.id,
        expires_at=session.expires_at,
        subscriber=subscriber,
    )


async def still_valid(viewer: Viewer, now: datetime) -> bool:
    """A long-lived connection asks again: was the session or token revoked, or expired?"""
    if viewer.api_token_id is not None:
        return await ApiToken.filter(_live_token(now), id=viewer.api_token_id).exists()
    return await Session.filter(id=viewer.session_id, revoked_at=None, expires_at__gt=now).exists()


def checked_ttl(days: int | None, default_days: int, max_days: int) -> timedelta:
    """How long a new token lives: ``days`` if given (1 to ``max_days``), else the default."""
    if days is None:
        return timedelta(days=default_days)
    if not 1 <= days <= max_days:
        raise UserFacingError(
            ErrorCode.INVALID_EXPIRY,
            f"Срок действия токена: от 1 до {max_days} дней.",
            ("expiresInDays",),
        )
    return timedelta(days=days)


async def create_api_token(
    subscriber_id: int, name: str, scopes: Collection[Scope], now: datetime, ttl: timedelta
) -> tuple[str, ApiToken]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UserFacingError(
            ErrorCode.INVALID_NAME, "Назовите токен: от 1 до 100 символов.", ("name",)
        )
    if not scopes:
        raise _invalid_scope()
    live = ApiToken.filter(_live_token(now), subscriber_id=subscriber_id)
    if await live.count() >= MAX_TOKENS:
        raise UserFacingError(
            ErrorCode.TOO_MANY_REQUESTS, f"Не больше {MAX_TOKENS} действующих токенов."
        )
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await ApiToken.create(
        subscriber_id=subscriber_id,
        name=name,
        token_hash=token_hash(token),
        prefix=token[:12],
        scopes=[str(s) for s in Scope if s in scopes],
        created_at=now,
        expires_at=now + ttl,
    )
    return token, row


async def revoke_api_token(subscriber_id: int, token_id: int, now: datetime) -> ApiToken:
    row = await ApiToken.get_or_none(id=token_id, subscriber_id=subscriber_id)
    if row is None:
        raise UserFacingError(ErrorCode.NOT_FOUND, "Токен не найден.", ("id",))
    await ApiToken.filter(id=row.id, revoked_at=None).update(revoked_at=now)
    await row.refresh_from_db()
    return row


async def api_tokens(subscriber_id: int) -> list[ApiToken]:
    """The subscriber's tokens, revoked ones included, newest first."""
    return await ApiToken.filter(subscriber_id=subscriber_id).order_by("-created_at", "-id")


async def api_tokens_by_ids(subscriber_id: int, ids: list[int]) -> list[ApiToken]:
    """Those of the tokens that are the subscriber's own."""
    return await ApiToken.filter(id__in=ids, subscriber_id=subscriber_id)
