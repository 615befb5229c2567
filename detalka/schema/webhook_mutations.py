"""The webhook mutations: an API token with `webhooks:write`, or a session, may run them."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from detalka.resolvers import webhook_endpoints as endpoints
from detalka.resolvers.access import Scope
from detalka.schema.context import Info
from detalka.schema.ids import pk_of
from detalka.schema.mutations import mutation
from detalka.schema.permissions import needs
from detalka.schema.webhooks import (
    WebhookDelivery,
    WebhookDeliveryRetryInput,
    WebhookDeliveryRetryPayload,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointCreatePayload,
    WebhookEndpointDeleteInput,
    WebhookEndpointDeletePayload,
    WebhookEndpointPayload,
    WebhookEndpointUpdateInput,
    endpoint_id,
    viewer_of,
)


@strawberry.type
class WebhooksMutation:
    @mutation(
        description="Register a webhook endpoint; its signing secret is shown this once.",
        extensions=needs(Scope.WEBHOOKS_WRITE),
    )
    async def webhook_endpoint_create(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointCreateInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> WebhookEndpointCreatePayload | None:
        settings = info.context.settings
        secret, row = await endpoints.create_endpoint(
            viewer_of(info),
            input.url,
            list(input.event_types),
            secret_key=settings.secret_key.get_secret_value(),
            production=settings.is_production,
            now=info.context.services.clock.now(),
        )
        return WebhookEndpointCreatePayload(
            secret=secret, endpoint=WebhookEndpoint.from_row(row, [])
        )

    @mutation(
        description="Change an endpoint's URL or events, or disable or enable it.",
        extensions=needs(Scope.WEBHOOKS_WRITE),
    )
    async def webhook_endpoint_update(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> WebhookEndpointPayload | None:
        row = await endpoints.update_endpoint(
            viewer_of(info),
            endpoint_id(input.id),
            url=input.url,
            event_types=None if input.event_types is None else list(input.event_types),
            enabled=input.enabled,
            production=info.context.settings.is_production,
            now=info.context.services.clock.now(),
        )
        (endpoint,) = await WebhookEndpoint.with_deliveries([row])
        return WebhookEndpointPayload(endpoint=endpoint)

    @mutation(
        description="Delete an endpoint; nothing more is sent to it.",
        extensions=needs(Scope.WEBHOOKS_WRITE),
    )
    async def webhook_endpoint_delete(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointDeleteInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> WebhookEndpointDeletePayload | None:
        deleted = await endpoints.delete_endpoint(viewer_of(info), endpoint_id(input.id))
        return WebhookEndpointDeletePayload(
            deleted_id=relay.GlobalID("WebhookEndpoint", str(deleted))
        )

    @mutation(
        description="Send a failed delivery again, with a fresh schedule (within 30 s).",
        extensions=needs(Scope.WEBHOOKS_WRITE),
    )
    async def webhook_delivery_retry(
        self,
        info: Info,
        input: Annotated[
            WebhookDeliveryRetryInput, strawberry.argument(description="The delivery.")
        ],
    ) -> WebhookDeliveryRetryPayload | None:
        delivery_id = pk_of(input.id, "WebhookDelivery")
        row = await endpoints.retry_delivery(
            viewer_of(info), delivery_id, info.context.services.clock.now()
        )
        return WebhookDeliveryRetryPayload(delivery=WebhookDelivery.from_row(row))
