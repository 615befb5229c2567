"""Which browser pages may use the API: one list for CORS, the WebSocket and the cookie.

A page on the server's own origin always may (a same-origin request, or one with no
``Origin`` at all, which no browser sends cross-site). Any other origin must be listed in
``DETALKA_ALLOWED_ORIGINS``; unset, development lists the usual local dev servers (Vite,
its preview, Create React App, webpack) and production lists none. The same set drives
Starlette's CORS middleware (credentials only for a listed origin, preflight cached), the
WebSocket handshake (strawberry's origin check, 403 otherwise) and the CSRF rule of the
session cookie (web/auth.py), so the three never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Send
from strawberry.http.websocket_origin import is_same_origin, normalize_origin

from detalka.settings import Settings

DEV_HOSTS = ("localhost", "127.0.0.1")
DEV_PORTS = (3000, 4173, 5173, 8080)  # CRA/Next, Vite preview, Vite, webpack/Vue CLI
# Chrome caps a preflight's cache at 2 hours, Firefox at 24: 10 minutes is long enough to
# spare a round trip on every request and short enough for a changed list to take effect.
PREFLIGHT_MAX_AGE_S = 600
# Request headers a page may send besides the safelisted ones (Accept, Content-Type...):
# the bearer token and what Apollo Client's links add.
ALLOWED_HEADERS = (
    "Authorization",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)


def browser_origins(settings: Settings) -> frozenset[str]:
    """The server's own origin and the listed ones, normalised as browsers send them."""
    listed = settings.allowed_origins
    if listed is None:
        dev = [f"http://{host}:{port}" for host in DEV_HOSTS for port in DEV_PORTS]
        listed = [] if settings.is_production else dev
    normalised = (normalize_origin(o) for o in (settings.public_url, *listed))
    return frozenset(o for o in normalised if o is not None)


def origin_allowed(headers: Mapping[str, str], allowed: frozenset[str]) -> bool:
    """No ``Origin`` (not a browser), the server's own, or a listed one."""
    origin = headers.get("origin")
    if origin is None or is_same_origin(origin, headers.get("host")):
        return True
    return normalize_origin(origin) in allowed


class BrowserCors(CORSMiddleware):
    """Starlette's CORS, saying nothing at all to an origin that is not listed.

    Starlette adds ``Access-Control-Allow-Credentials`` to every response that has an
    ``Origin``; a browser ignores it without ``Access-Control-Allow-Origin``, but an origin
    we do not know should not be told anything about credentials.
    """

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if message["type"] != "http.response.start" or origin is None:
            await super().send(message, send, request_headers)
            return
        if self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return
        headers = MutableHeaders(scope=message)
        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 200:
            for name in [n for n in response.headers if n.startswith("access-control-")]:
                del response.headers[name]
        return response


def cors_middleware(settings: Settings) -> Middleware:
    return Middleware(
        BrowserCors,
        allow_origins=sorted(browser_origins(settings)),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        allow_credentials=True,
        max_age=PREFLIGHT_MAX_AGE_S,
    )
