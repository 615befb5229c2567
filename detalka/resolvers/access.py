"""Who is calling: sessions and scoped API tokens, resolved from a bearer token or cookie."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from detalka.errors import ErrorCode, UserFacingError

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import ApiToken as ApiToken
from detalka.models import Session
from detalka.resolvers.sign_in import token_hash

API_TOKEN_PREFIX = "dtk_"
MAX_TOKENS = 20


class Scope(StrEnum):
    """What an API token may do; a session may do all of it."""

    ACCOUNT_READ = "account:read"
    USAGE_READ = "usage:read"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    WEBHOOKS_WRITE = "webhooks:write"


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

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


async def authenticate(token: str, now: datetime) -> Viewer | None:
    hashed = token_hash(token)
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await ApiToken.get_or_none(token_hash=hashed, revoked_at=None)
        if api_token is None:
            return None
        await ApiToken.filter(id=api_token.id).update(last_used_at=now)
        # Stored scopes were checked when the token was made (create_api_token).
        scopes = frozenset(Scope(s) for s in api_token.scopes)
        return Viewer(api_token.subscriber_id, scopes, api_token_id=api_token.id)
    session = await Session.get_or_none(token_hash=hashed, revoked_at=None, expires_at__gt=now)
    if session is None:
        return None
    return Viewer(session.subscriber_id, frozenset(Scope), session_id=session.id)


async def still_valid(viewer: Viewer, now: datetime) -> bool:
    """A long-lived connection asks again: was the session or token revoked, or expired?"""
    if viewer.api_token_id is not None:
        return await ApiToken.filter(id=viewer.api_token_id, revoked_at=None).exists()
    return await Session.filter(id=viewer.session_id, revoked_at=None, expires_at__gt=now).exists()


async def create_api_token(
    subscriber_id: int, name: str, scopes: Collection[Scope], now: datetime
) -> tuple[str, ApiToken]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UserFacingError(
            ErrorCode.INVALID_NAME, "Назовите токен: от 1 до 100 символов.", ("name",)
        )
    if not scopes:
        raise _invalid_scope()
    if await ApiToken.filter(subscriber_id=subscriber_id, revoked_at=None).count() >= MAX_TOKENS:
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
