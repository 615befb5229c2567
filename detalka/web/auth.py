"""Who is calling: the one place that reads a bearer token (an ``Authorization`` header or the
``connection_init`` payload of a WebSocket) or the session cookie, and resolves the caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from detalka.resolvers.access import Viewer, authenticate
from detalka.schema.context import Services
from detalka.settings import Settings

SESSION_COOKIE = "detalka_session"


class BadCredentials(Exception):
    """Credentials were given and do not check out: not ``Bearer <token>``, or no such token."""


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value; None for anything else."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller_of_request(connection: HTTPConnection, services: Services) -> Viewer | None:
    """The caller of an HTTP request or a WebSocket handshake, None when anonymous."""
    now = services.clock.now()
    token = bearer_token(connection.headers.get("authorization", ""))
    if token is not None:
        return await authenticate(token, now)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie and connection.scope["type"] == "http" and _csrf_safe(connection, services):
        return await authenticate(cookie, now)
    # A cookie that breaks the CSRF rules is not honoured: the request runs anonymous.
    return None


async def caller_of_connection_init(params: Mapping[str, Any], services: Services) -> Viewer | None:
    """The caller a WebSocket names in ``connection_init``: ``{"authorization": "Bearer …"}``.

    None when it names nobody; :class:`BadCredentials` when the value does not check out.
    """
    given = params.get("authorization") or params.get("Authorization")
    if given is None:
        return None
    token = bearer_token(str(given))
    viewer = await authenticate(token, services.clock.now()) if token is not None else None
    if viewer is None:
        raise BadCredentials
    return viewer


def set_session_cookie(response: Response, settings: Settings, token: str, max_age: int) -> None:
    """The session cookie ``caller_of_request`` reads back; ("", 0) clears it."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )


def _csrf_safe(connection: HTTPConnection, services: Services) -> bool:
    # A browser sends cookies with cross-site form posts; it never sends a cross-origin JSON
    # POST without CORS consent. So: POST, JSON, and an Origin we know.
    method = connection.scope.get("method", "GET")
    content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    origin = (connection.headers.get("origin") or "").rstrip("/")
    return (
        method == "POST"
        and content_type == "application/json"
        and origin in allowed_origins(services.settings)
    )


def allowed_origins(settings: Settings) -> set[str]:
    public = urlsplit(settings.public_url)
    return {
        f"{public.scheme}://{public.netloc}",
        *(o.rstrip("/") for o in settings.allowed_origins),
    }
