"""Who is calling: the one place that reads a bearer token (an ``Authorization`` header or the
``connection_init`` payload of a WebSocket) or the session cookie, and resolves the caller.

A credential that was given and does not check out is never an anonymous run: a bad,
expired or revoked bearer token is :class:`BadCredentials` (UNAUTHENTICATED over HTTP,
close 4403 over a WebSocket). The cookie is the exception: a browser sends it by itself, so
a stale one must not stand between the subscriber and a fresh ``sessionCreate``; it is
:class:`StaleCookie`, and the request runs anonymous while the answer clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from detalka.resolvers.access import Viewer, authenticate
from detalka.schema.context import Services
from detalka.settings import Settings
from detalka.web.origins import browser_origins, origin_allowed

SESSION_COOKIE = "detalka_session"


class BadCredentials(Exception):
    """Credentials were given and do not check out: not ``Bearer <token>``, or no such token
    (unknown, expired or revoked)."""


class StaleCookie(Exception):
    """The session cookie names a session that is over; the caller is anonymous."""


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value; None for anything else."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller_of_request(connection: HTTPConnection, services: Services) -> Viewer | None:
    """The caller of an HTTP request or a WebSocket handshake, None when anonymous.

    :class:`BadCredentials` for an ``Authorization`` header that does not check out,
    :class:`StaleCookie` for an honoured cookie whose session is over.
    """
    now = services.clock.now()
    authorization = connection.headers.get("authorization")
    if authorization is not None:
        token = bearer_token(authorization)
        viewer = await authenticate(token, now) if token is not None else None
        if viewer is None:
            raise BadCredentials
        return viewer
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie and connection.scope["type"] == "http" and _csrf_safe(connection, services):
        viewer = await authenticate(cookie, now)
        if viewer is None:
            raise StaleCookie
        return viewer
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
    # POST without CORS consent. So: POST, JSON, and an origin CORS would let in (the same
    # list as CORS and the WebSocket: web/origins.py). GET never reads the cookie.
    method = connection.scope.get("method", "GET")
    content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    return (
        method == "POST"
        and content_type == "application/json"
        and origin_allowed(connection.headers, browser_origins(services.settings))
    )
