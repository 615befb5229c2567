"""graphql-transport-ws as strawberry serves it, with a code on every error of an operation.

Errors of an operation (syntax, validation, a field, a bad ID) pass through the schema's
``CodedErrors`` like an HTTP answer's. Two things differ from strawberry's handler: the limit
of operations per connection, checked before the schema sees anything, answered an uncoded
"Subscription limit reached" (here TOO_MANY_SUBSCRIPTIONS); and a document that does not
parse closed the whole connection (4400), ending every other subscription on it with one
buggy operation (here an ``error`` message with GRAPHQL_PARSE_FAILED, like over HTTP).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLFormattedError, GraphQLSyntaxError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from detalka.errors import RequestErrorCode
from detalka.schema.context import Context
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
