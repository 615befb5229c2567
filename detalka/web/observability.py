"""What an operator sees of the API: a request id on every request (and in its logs and the
messages it sends), /metrics for Prometheus, the open WebSockets counted."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detalka.adapters import metrics
from detalka.adapters.logs import new_request_id, request_id
from detalka.resolvers.order_views import count_by_status

# A request id given by a proxy is kept when it is a plain token; anything else is replaced.
GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Sets the request id for everything a request or socket does; answers it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if GIVEN_ID.match(given) else new_request_id()
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class CountedSockets:
    """The GraphQL app as a WebSocket endpoint, counting the sockets open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics.OPEN_SOCKETS.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            metrics.OPEN_SOCKETS.dec()


def metrics_endpoint(
    queue_depths: Callable[[], Awaitable[dict[str, int]]],
) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``: orders by status and queue depth read now, then every metric."""

    async def endpoint(request: Request) -> Response:
        for status, count in (await count_by_status()).items():
            metrics.ORDERS.labels(status).set(count)
        try:
            depths = await queue_depths()
        except Exception:  # the broker is away: /readyz says so; the rest still scrapes
            depths = {}
        for queue, depth in depths.items():
            metrics.QUEUE_DEPTH.labels(queue).set(depth)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return endpoint
