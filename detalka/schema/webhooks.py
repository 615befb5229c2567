"""Webhooks over GraphQL: endpoints with their recent deliveries, their mutations, a retry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar, Self

import strawberry
from strawberry import relay

from detalka.models.enums import WebhookDeliveryStatus as WebhookDeliveryStatusEnum
from detalka.models.enums import WebhookEventType as WebhookEventTypeEnum
from detalka.resolvers import webhook_endpoints as endpoints
from detalka.resolvers.access import Scope, Viewer
from detalka.schema.connections import Connection, ConnectionTexts, keyset_connection
from detalka.schema.context import Info
from detalka.schema.enums import described_enum
from detalka.schema.errors import UserError
from detalka.schema.ids import pk_of
from detalka.schema.nodes import own_nodes
from detalka.schema.permissions import needs

if TYPE_CHECKING:
    from detalka.resolvers.webhook_endpoints import WebhookDelivery as DeliveryRow
    from detalka.resolvers.webhook_endpoints import WebhookEndpoint as EndpointRow

WebhookEventType = described_enum(
    WebhookEventTypeEnum,
    "What an endpoint hears of; the payload's `type` is the value in lower case with a dot.",
    {
        WebhookEventTypeEnum.DETAIL_ORDER_READY: "`detail_order.ready`: the file is ready.",
        WebhookEventTypeEnum.DETAIL_ORDER_FAILED: "`detail_order.failed`: it could not be made.",
        WebhookEventTypeEnum.DETAIL_ORDER_EXPIRED: "`detail_order.expired`: the file was "
        "deleted after its 72 hours.",
        WebhookEventTypeEnum.DELIVERY_SENT: "`delivery.sent`: the email left with the file.",
        WebhookEventTypeEnum.DELIVERY_FAILED: "`delivery.failed`: the email could not be sent.",
    },
)
WebhookDeliveryStatus = described_enum(
    WebhookDeliveryStatusEnum,
    "Where one webhook to one endpoint is.",
    {
        WebhookDeliveryStatusEnum.PENDING: "Not taken yet: sent now or retried later.",
        WebhookDeliveryStatusEnum.SUCCEEDED: "The receiver answered 2xx; never sent again.",
        WebhookDeliveryStatusEnum.FAILED: "Given up: the schedule ran out or the answer was final.",
    },
)


@strawberry.type(description="One event sent (or being sent) to one endpoint.")
class WebhookDelivery:
    id: relay.GlobalID = strawberry.field(description="Its ID, for `webhookDeliveryRetry`.")
    webhook_id: str = strawberry.field(description="The `webhook-id` header: one per event.")
    event_type: WebhookEventType = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    status: WebhookDeliveryStatus = strawberry.field(description="Where it is.")  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once settled."
    )
    last_status_code: int | None = strawberry.field(description="The last answer's HTTP status.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    delivered_at: datetime | None = strawberry.field(description="When the receiver took it.")
    created_at: datetime = strawberry.field(description="When the event happened.")

    @classmethod
    def from_row(cls, row: DeliveryRow) -> Self:
        pending = row.status == WebhookDeliveryStatusEnum.PENDING
        return cls(
            id=relay.GlobalID("WebhookDelivery", str(row.id)),
            webhook_id=f"msg_{row.event.uid}",
            event_type=WebhookEventTypeEnum(row.event.type),
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if pending else None,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )


@strawberry.type(description="A URL that receives signed webhooks about the subscriber's orders.")
class WebhookEndpoint(relay.Node):
    connection_texts: ClassVar[ConnectionTexts] = ConnectionTexts(
        "A page of webhook endpoints, newest first.", "An endpoint and its cursor.", "The endpoint."
    )
    pk: relay.NodeID[int]
    url: str = strawberry.field(description="Where webhooks are POSTed.")
    event_types: list[WebhookEventType] = strawberry.field(description="What it hears of.")  # type: ignore[valid-type]
    enabled: bool = strawberry.field(description="False: nothing is sent to it.")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(description="Why, in Russian.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    recent_deliveries: list[WebhookDelivery] = strawberry.field(
        description="Its last 10 deliveries, newest first."
    )

    @classmethod
    def from_row(cls, row: EndpointRow, deliveries: list[DeliveryRow]) -> Self:
        return cls(
            pk=row.id,
            url=row.url,
            event_types=[WebhookEventTypeEnum(t) for t in row.event_types],
            enabled=row.enabled,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
            recent_deliveries=[WebhookDelivery.from_row(d) for d in deliveries],
        )

    @classmethod
    async def with_deliveries(cls, rows: list[EndpointRow]) -> list[Self]:
        recent = await endpoints.recent_deliveries([row.id for row in rows])
        return [cls.from_row(row, recent[row.id]) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        async def load(_: int, ids: list[int]) -> list[Self]:
            return await cls.with_deliveries(await endpoints.endpoints_by_ids(viewer_of(info), ids))

        return await own_nodes(info, node_ids, Scope.WEBHOOKS_WRITE, load, lambda n: n)


def viewer_of(info: Info) -> Viewer:
    viewer = info.context.viewer
    assert viewer is not None, "a permission has checked it"
    return viewer


def endpoint_id(given: relay.GlobalID) -> int:
    return pk_of(given, "WebhookEndpoint")


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(
        description="http(s) URL, up to 1000 characters; https in production."
    )
    event_types: list[WebhookEventType] = strawberry.field(description="At least one.")  # type: ignore[valid-type]


@strawberry.input(description="Changes to an endpoint; an absent field stays as it is.")
class WebhookEndpointUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint's ID.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    event_types: list[WebhookEventType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A new list, at least one."
    )
    enabled: bool | None = strawberry.field(
        default=None, description="Disable, or enable again (its failure streak starts over)."
    )


@strawberry.input(description="Which endpoint to delete.")
class WebhookEndpointDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint's ID.")


@strawberry.input(description="Which delivery to send again.")
class WebhookDeliveryRetryInput:
    id: relay.GlobalID = strawberry.field(description="The delivery's ID.")


@strawberry.type(description="The new endpoint and its signing secret, shown this once.")
class WebhookEndpointCreatePayload:
    secret: str | None = strawberry.field(
        default=None, description="`whsec_…`: verifies `webhook-signature`. Store it now."
    )
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="Its record.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type(description="The endpoint as saved (or why not).")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="Its record.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type(description="The endpoint was deleted (or why not).")
class WebhookEndpointDeletePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The deleted endpoint's ID."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type(description="The delivery is due again (or why not).")
class WebhookDeliveryRetryPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="Its record.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The webhook endpoints the caller sees (a token: those it registered), "
        "newest first.",
        extensions=needs(Scope.WEBHOOKS_WRITE),
    )
    async def webhook_endpoints(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, up to 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
    ) -> Connection[WebhookEndpoint] | None:
        viewer = viewer_of(info)

        async def fetch(cursor: tuple[datetime, int] | None, limit: int) -> list[WebhookEndpoint]:
            rows = await endpoints.endpoints_page(viewer, cursor, limit)
            return await WebhookEndpoint.with_deliveries(rows)

        return await keyset_connection(
            first, after, fetch, key=lambda e: (e.created_at, e.pk), node=lambda e: e
        )
