"""Find the caller of a request: a bearer token, or the session cookie under CSRF rules."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from detalka.resolvers.access import Viewer, authenticate
from detalka.schema.auth import SESSION_COOKIE
from detalka.schema.context import Services


async def viewer_for(connection: HTTPConnection, services: Services) -> Viewer | None:
    now = services.clock.now()
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return await authenticate(token.strip(), now)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie and connection.scope["type"] == "http" and _csrf_safe(connection, services):
        return await authenticate(cookie, now)
    # A cookie that breaks the CSRF rules is not honoured: the request runs anonymous.
    return None


def _csrf_safe(connection: HTTPConnection, services: Services) -> bool:
    # A browser sends cookies with cross-site form posts; it never sends a cross-origin JSON
    # POST without CORS consent. So: POST, JSON, and an Origin we know.
    method = connection.scope.get("method", "GET")
    content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    origin = (connection.headers.get("origin") or "").rstrip("/")
    return (
        method == "POST"
        and content_type == "application/json"
        and origin in allowed_origins(services)
    )


def allowed_origins(services: Services) -> set[str]:
    settings = services.settings
    public = urlsplit(settings.public_url)
    return {
        f"{public.scheme}://{public.netloc}",
        *(o.rstrip("/") for o in settings.allowed_origins),
    }
