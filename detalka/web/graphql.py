"""The GraphQL endpoint: strawberry's ASGI view with Detalka's context and encoding.

What HTTP says about an answer (media type, status, ``data`` on request errors) is
web/over_http.py; persisted queries web/persisted.py; ``Cache-Control`` web/caching.py;
who may call from a browser web/origins.py. This class wires them into strawberry's view.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import timedelta
from functools import partial
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from detalka.adapters import metrics
from detalka.adapters.query_store import QueryStore, query_store
from detalka.errors import RequestErrorCode
from detalka.schema import build_schema
from detalka.schema.context import Context, Services
from detalka.web import limits, persisted, socket_watch
from detalka.web.auth import (
    BadCredentials,
    StaleCookie,
    caller_of_connection_init,
    caller_of_request,
    set_session_cookie,
)
from detalka.web.cabinet import offline_ide_html
from detalka.web.caching import cache_headers
from detalka.web.client_address import client_address, trusted_networks
from detalka.web.origins import browser_origins
from detalka.web.over_http import Exchange, Refused, negotiate, shape
from detalka.web.sockets import TransportWsHandler

INIT_TIMEOUT = timedelta(seconds=10)
# Queries over GET (cacheable), mutations over POST only; subscriptions over the WebSocket.
OPERATIONS = {"GET": {OperationType.QUERY}, "POST": {OperationType.QUERY, OperationType.MUTATION}}


OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")
MAX_OPERATION_LABELS = 200
_operation_labels: set[str] = set()


def operation_label(request_data: Any) -> str:
    """The operation's name as a metrics label: a plain name, one of at most 200."""
    name = getattr(request_data, "operation_name", None) or "anonymous"
    if not isinstance(name, str) or not OPERATION_NAME.match(name):
        return "other"
    if name not in _operation_labels and len(_operation_labels) >= MAX_OPERATION_LABELS:
        return "other"
    _operation_labels.add(name)
    return name


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWsHandler

    def __init__(self, services: Services, store: QueryStore | None = None) -> None:
        settings = services.settings
        super().__init__(
            build_schema(production=settings.is_production),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            # The legacy graphql-ws protocol had an auth bypass: graphql-transport-ws only.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_TIMEOUT,
            max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
            # The same origins as CORS: others get 403 at the handshake.
            allowed_origins=sorted(browser_origins(settings)),
        )
        self.services = services
        self.sockets = socket_watch.SocketCount()
        self.trusted_proxies = trusted_networks(settings.trusted_proxies)
        self.store = store or query_store(settings.cache_url, settings.persisted_queries_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.services.settings.max_body_bytes
        if scope["type"] == "websocket":
            try:
                await super().__call__(scope, limits.bounded_messages(receive, send, limit), send)
            finally:
                await socket_watch.stop(scope, self.sockets)
            return
        if scope["type"] != "http":
            await super().__call__(scope, limits.bounded_messages(receive, send, limit), send)
            return
        request = Request(scope, limits.bounded_body(receive, limit))
        media_type = negotiate(request.headers.get("accept"))
        exchange = Exchange(media_type or "application/json", acceptable=media_type is not None)
        exchange.method = request.method
        request.state.graphql = exchange
        try:
            limits.check_declared(
                request.headers.get("content-length"), scope["query_string"], limit
            )
            response = await self.run(request)
        except Refused as refused:
            response = exchange.refusal(refused, self.encode_json)
        except HTTPException as error:  # strawberry's own refusals: not GraphQL over HTTP
            response = exchange.refusal(_bad_request(error), self.encode_json)
        if not isinstance(response, HTMLResponse):  # GraphiQL's page is not an answer
            self._finish(response, exchange)
        await response(scope, receive, send)

    def _finish(self, response: Response, exchange: Exchange) -> None:
        response.status_code = exchange.status
        response.headers["content-type"] = f"{exchange.media_type}; charset=utf-8"
        response.headers.update(exchange.headers)
        if exchange.stale_cookie and "set-cookie" not in response.headers:
            # Unless sessionCreate just set a fresh one, forget the session that is over.
            set_session_cookie(response, self.services.settings, "", 0)
        cache_headers(exchange, response)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        context = Context(
            request=request,
            response=response,
            services=self.services,
            client_address=client_address(request, self.trusted_proxies),
        )
        try:
            context.viewer = await caller_of_request(request, self.services)
        except BadCredentials:
            if isinstance(request, WebSocket):
                context.bad_credentials = True  # on_ws_connect closes with 4403
            else:
                raise _unauthenticated() from None
        except StaleCookie:
            request.state.graphql.stale_cookie = True  # the cookie is read over HTTP only
        if isinstance(request, Request):
            anonymous = context.viewer is None and "authorization" not in request.headers
            request.state.graphql.anonymous = anonymous
            context.subscriber_row = context.viewer.subscriber if context.viewer else None
        if isinstance(response, Response):
            context.set_session_cookie = partial(
                set_session_cookie, response, self.services.settings
            )
        return context

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A persisted query over GET has no `query` either: it is an operation, not a page.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # strawberry's page loads React and GraphiQL from a CDN: offline, "Loading..." forever.
        return HTMLResponse(offline_ide_html(self.graphql_ide_html))

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> StrawberryExecutionResult:
        exchange: Exchange = request.state.graphql
        if not exchange.acceptable:
            raise Refused(
                RequestErrorCode.BAD_REQUEST,
                "Accept must allow application/graphql-response+json or application/json.",
                status=406,
            )
        query, to_persist = await persisted.resolve(
            self.store, request_data.query, request_data.extensions
        )
        if not isinstance(request_data.operation_name, str | None):
            raise Refused(RequestErrorCode.BAD_REQUEST, "operationName must be a string or null.")
        exchange.query, exchange.operation_name = query, request_data.operation_name or None
        if to_persist is not None:
            exchange.to_persist = (to_persist, query)
        try:
            async with asyncio.timeout(self.services.settings.request_timeout_seconds):
                return await self.schema.execute(
                    query,
                    root_value=root_value,
                    variable_values=request_data.variables,
                    context_value=context,
                    operation_name=exchange.operation_name,
                    allowed_operation_types=OPERATIONS[request_adapter.method],
                    operation_extensions=request_data.extensions,
                )
        except TimeoutError:
            raise Refused(
                RequestErrorCode.TIMEOUT,
                "Запрос не уложился в отведённое время. Повторите позже или уменьшите период.",
            ) from None
        except InvalidOperationTypeError as error:
            raise _not_supported(error.operation_type, request_adapter.method) from None
        except CannotGetOperationTypeError as error:
            # GetOperation() failed: a request error like validation (200 under JSON).
            raise Refused(
                RequestErrorCode.GRAPHQL_VALIDATION_FAILED, error.as_http_error_reason()
            ) from None

    async def process_result(
        self, request: Request, result: StrawberryExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        exchange: Exchange = request.state.graphql
        shape(response, list(result.errors or ()), exchange)  # type: ignore[arg-type]
        if exchange.to_persist is not None and "data" in response:
            await self.store.put(*exchange.to_persist)  # the document parsed and validated
        return response

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # A browser cannot set headers on a WebSocket: the token comes in connection_init,
        # {"authorization": "Bearer <token>"}. A token that does not check out closes the
        # connection (4403); no token leaves the connection anonymous.
        acknowledged: UnsetType = UNSET
        if context.bad_credentials:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        try:
            viewer = await caller_of_connection_init(context.connection_params or {}, self.services)
        except BadCredentials:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        if viewer is not None:
            context.viewer = viewer
        if context.viewer is not None and isinstance(context.request, WebSocket):
            # Counted per subscriber (TooManySockets closes it 4430), and closed 4403 within a
            # second of its token's revocation or its session's end.
            socket_watch.start(context.request, context.viewer, self.services, self.sockets)
        return acknowledged

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
        # Bad UTF-8, a 5,000-digit number (ValueError) and 100k-deep nesting (RecursionError)
        # were 500s: strawberry catches only JSONDecodeError, which turns them into its 400
        # over HTTP and a 4400 close over the WebSocket. A body, a socket message and GET's
        # `variables`/`extensions` are all JSON objects; anything else crashed on `.get`.
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):
            raise json.JSONDecodeError("not valid JSON", "", 0) from None
        if not isinstance(decoded, dict):
            raise json.JSONDecodeError("not a JSON object", "", 0)
        return decoded


def _bad_request(error: HTTPException) -> Refused:
    return Refused(RequestErrorCode.BAD_REQUEST, error.reason, status=error.status_code)


def _unauthenticated() -> Refused:
    return Refused(
        RequestErrorCode.UNAUTHENTICATED,
        "Токен недействителен или срок сеанса истёк. Войдите снова.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _not_supported(operation: OperationType, method: str) -> Refused:
    if operation == OperationType.SUBSCRIPTION:
        return Refused(
            RequestErrorCode.OPERATION_NOT_SUPPORTED,
            "Подписки работают только через WebSocket (graphql-transport-ws) на /graphql.",
        )
    # GraphQL over HTTP: a mutation over GET is 405, whatever the media type.
    return Refused(
        RequestErrorCode.OPERATION_NOT_SUPPORTED,
        f"Изменения отправляются методом POST, не {method}.",
        status=405,
        headers={"Allow": "POST"},
    )
