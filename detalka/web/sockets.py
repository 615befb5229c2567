"""graphql-transport-ws as strawberry serves it, with a code on the one error it makes itself.

Errors of an operation (validation, a field, a bad ID) pass through the schema's
``CodedErrors`` like an HTTP answer's. The limit of operations per connection is checked
before the schema sees anything, by strawberry's handler, which sent an uncoded "Subscription
limit reached"; here it is TOO_MANY_SUBSCRIPTIONS.
"""

from __future__ import annotations

from graphql import GraphQLFormattedError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)

from detalka.errors import RequestErrorCode
from detalka.schema.context import Context


class TransportWsHandler(BaseGraphQLTransportWSHandler[Context, None]):
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
