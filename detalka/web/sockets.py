"""graphql-transport-ws as strawberry serves it, with a code on every error of an operation.

Errors of an operation (syntax, validation, a field, a bad ID) pass through the schema's
``CodedErrors`` like an HTTP answer's. Two things differ from strawberry's handler: the limit
of operations per connection, checked before the schema sees anything, answered an uncoded
"Subscription limit reached" (here TOO_MANY_SUBSCRIPTIONS); and a document that does not
parse closed the whole connection (4400), ending every other subscription on it with one
buggy operation (here an ``error`` message with GRAPHQL_PARSE_FAILED, like over HTTP).
A query or mutation sent over the socket has the same time limit as over HTTP (an ``error``
message with TIMEOUT); a subscription waits for events as long as the socket lives.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError, GraphQLFormattedError, GraphQLSyntaxError, OperationType, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from detalka.errors import RequestErrorCode
from detalka.schema.context import Context
from detalka.schema.limits import LIMITS
from detalka.web.socket_watch import CLOSE_TOO_MANY_SOCKETS, TooManySockets


class TransportWsHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        # A `subscribe` whose payload is not an object, or whose id, query, variables or
        # operationName has the wrong type, crashed the connection (a traceback, no close
        # code); the protocol's answer to an invalid message is a 4400 close.
        if message.get("type") == "subscribe" and not _well_formed(message):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManySockets:
            limit = self.context.services.settings.max_sockets_per_subscriber
            await self.websocket.close(
                code=CLOSE_TOO_MANY_SOCKETS, reason=f"Не больше {limit} соединений на абонента."
            )

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and limit is not None
            and len(self.operations) >= limit
        ):
            error: GraphQLFormattedError = {
                "message": f"Не больше {limit} подписок на одном соединении.",
                "extensions": {"code": RequestErrorCode.TOO_MANY_SUBSCRIPTIONS.value},
            }
            refusal: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error]}
            await self.send_message(refusal)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        if _is_subscription(operation.query, operation.operation_name):
            await super().run_operation(operation)
            return
        try:
            async with asyncio.timeout(self.context.services.settings.request_timeout_seconds):
                await super().run_operation(operation)
        except TimeoutError:
            error: GraphQLFormattedError = {
                "message": "Запрос не уложился в отведённое время. Повторите позже или "
                "уменьшите период.",
                "extensions": {"code": RequestErrorCode.TIMEOUT.value},
            }
            refusal: ErrorMessage = {"id": operation.id, "type": "error", "payload": [error]}
            await operation.send_operation_message(refusal)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        if isinstance(error, GraphQLSyntaxError):
            return None  # an error message for this operation, not a closed connection
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)


_OPTIONAL_OBJECTS = ("variables", "extensions")


def _well_formed(message: Any) -> bool:
    payload = message.get("payload")
    if not isinstance(message.get("id"), str) or not isinstance(payload, dict):
        return False
    if not isinstance(payload.get("query"), str):
        return False
    if not isinstance(payload.get("operationName"), str | None):
        return False
    return all(isinstance(payload.get(key), dict | None) for key in _OPTIONAL_OBJECTS)


def _is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the operation chosen from ``query`` is a subscription. A document that does not
    parse (within the tokens the schema's guard allows) is not: the schema answers it."""
    if len(query) > LIMITS.document_chars:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=LIMITS.tokens)
    except GraphQLError:
        return False
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if getattr(definition, "operation", None) is not None and (
            operation_name is None or (name is not None and name.value == operation_name)
        ):
            return bool(definition.operation == OperationType.SUBSCRIPTION)  # type: ignore[attr-defined]
    return False
