"""The GraphQL endpoint: strawberry's ASGI view with Detalka's context and encoding."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from detalka.adapters import metrics
from detalka.schema import build_schema
from detalka.schema.context import Context, Services
from detalka.web.auth import (
    BadCredentials,
    caller_of_connection_init,
    caller_of_request,
    set_session_cookie,
)
from detalka.web.cabinet import offline_ide_html

MAX_SUBSCRIPTIONS = 5  # operations in flight per WebSocket connection
INIT_TIMEOUT = timedelta(seconds=10)


OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")
MAX_OPERATION_LABELS = 200
_operation_labels: set[str] = set()


def operation_label(request_data: Any) -> str:
    """The operation's name as a metrics label: a plain name, one of at most 200."""
    name = getattr(request_data, "operation_name", None) or "anonymous"
    if not OPERATION_NAME.match(name):
        return "other"
    if name not in _operation_labels and len(_operation_labels) >= MAX_OPERATION_LABELS:
        return "other"
    _operation_labels.add(name)
    return name


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            build_schema(production=settings.is_production),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
            # The legacy graphql-ws protocol had an auth bypass: graphql-transport-ws only.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        )
        self.services = services

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        context = Context(
            request=request,
            response=response,
            services=self.services,
            viewer=await caller_of_request(request, self.services),
        )
        if isinstance(response, Response):
            context.set_session_cookie = partial(
                set_session_cookie, response, self.services.settings
            )
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        # strawberry's page loads React and GraphiQL from a CDN: offline, "Loading..." forever.
        return HTMLResponse(offline_ide_html(self.graphql_ide_html))

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # A browser cannot set headers on a WebSocket: the token comes in connection_init,
        # {"authorization": "Bearer <token>"}. A token that does not check out closes the
        # connection (4403); no token leaves the connection anonymous.
        acknowledged: UnsetType = UNSET
        try:
            viewer = await caller_of_connection_init(context.connection_params or {}, self.services)
        except BadCredentials:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        if viewer is not None:
            context.viewer = viewer
        return acknowledged

    async def process_result(
        self, request: Request, result: StrawberryExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        errors: list[dict[str, Any]] = response.get("errors") or []  # type: ignore[assignment]
        for error in errors:
            # Every top-level error carries a code: a request the schema refuses (no path),
            # or a failure while resolving a field that raised no code of its own (a bug).
            extensions = error.setdefault("extensions", {})
            extensions.setdefault(
                "code",
                "INTERNAL_SERVER_ERROR" if error.get("path") else "GRAPHQL_VALIDATION_FAILED",
            )
        return response

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        # Counted by operation name and outcome, timed; a name outside the bounded set of
        # known ones is "other", so clients cannot grow the metrics without limit.
        name = operation_label(request_data)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
            outcome = "error" if getattr(result, "errors", None) else "ok"
            return result
        finally:
            metrics.REQUESTS.labels(name, outcome).inc()
            metrics.REQUEST_SECONDS.labels(name).observe(time.perf_counter() - started)

    def encode_json(self, data: object) -> str:
        # Keep Cyrillic as UTF-8: \uXXXX escapes make Russian bodies ~40% larger.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> Any:
        return json.loads(data)
