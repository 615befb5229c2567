"""Who is calling: sessions and scoped API tokens, resolved from a bearer token or cookie."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from detalka.errors import ErrorCode, UserFacingError
from detalka.models import ApiToken, Session
from detalka.resolvers.sign_in import token_hash

SCOPES = ("account:read", "usage:read", "orders:read", "orders:write")
API_TOKEN_PREFIX = "dtk_"
MAX_TOKENS = 20


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller. A session may do everything; an API token only its scopes."""

    subscriber_id: int
    scopes: frozenset[str]
    session_id: int | None = None
    api_token_id: int | None = None

    def can(self, scope: str) -> bool:
        return scope in self.scopes


async def authenticate(token: str, now: datetime) -> Viewer | None:
    hashed = token_hash(token)
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await ApiToken.get_or_none(token_hash=hashed, revoked_at=None)
        if api_token is None:
            return None
        await ApiToken.filter(id=api_token.id).update(last_used_at=now)
        return Viewer(
            api_token.subscriber_id, frozenset(api_token.scopes), api_token_id=api_token.id
        )
    session = await Session.get_or_none(token_hash=hashed, revoked_at=None, expires_at__gt=now)
    if session is None:
        return None
    return Viewer(session.subscriber_id, frozenset(SCOPES), session_id=session.id)


async def still_valid(viewer: Viewer, now: datetime) -> bool:
    """A long-lived connection asks again: was the session or token revoked, or expired?"""
    if viewer.api_token_id is not None:
        return await ApiToken.filter(id=viewer.api_token_id, revoked_at=None).exists()
    return await Session.filter(id=viewer.session_id, revoked_at=None, expires_at__gt=now).exists()


async def create_api_token(
    subscriber_id: int, name: str, scopes: list[str], now: datetime
) -> tuple[str, ApiToken]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UserFacingError(
            ErrorCode.INVALID_NAME, "Назовите токен: от 1 до 100 символов.", ("name",)
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise UserFacingError(
            ErrorCode.INVALID_SCOPE,
            f"Доступные права: {', '.join(SCOPES)}.",
            ("scopes",),
        )
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
        scopes=[s for s in SCOPES if s in scopes],
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
