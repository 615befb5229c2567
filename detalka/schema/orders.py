"""Detail orders and documents over GraphQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar, Self
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from detalka.adapters.events import publish_quietly
from detalka.models.enums import DeliveryMethod as DeliveryMethodEnum
from detalka.models.enums import DeliveryStatus as DeliveryStatusEnum
from detalka.models.enums import DetailOrderStatus as DetailOrderStatusEnum
from detalka.models.enums import ReportFormat as ReportFormatEnum
from detalka.models.enums import ReportSection as ReportSectionEnum
from detalka.periods import Period as PeriodValue
from detalka.resolvers import order_views, orders
from detalka.resolvers.access import Scope
from detalka.schema.catalog import Store
from detalka.schema.connections import ConnectionTexts
from detalka.schema.context import Info, viewer_subscriber
from detalka.schema.enums import described_enum
from detalka.schema.errors import UserError
from detalka.schema.ids import node_pks, pk_of
from detalka.schema.mutations import mutation
from detalka.schema.nodes import own_nodes
from detalka.schema.overview import Period, PeriodInput
from detalka.schema.permissions import needs

if TYPE_CHECKING:
    from detalka.resolvers.order_views import Document as DocumentRow

DetailOrderStatus = described_enum(
    DetailOrderStatusEnum,
    "PENDING -> RENDERING -> READY -> EXPIRED, or FAILED, or CANCELED.",
    {
        DetailOrderStatusEnum.PENDING: "Accepted, waiting for a worker.",
        DetailOrderStatusEnum.RENDERING: "Being made; `progress` grows from 0 to 1.",
        DetailOrderStatusEnum.READY: "The document is made and kept for 72 hours.",
        DetailOrderStatusEnum.EXPIRED: "The document was kept its 72 hours and deleted.",
        DetailOrderStatusEnum.FAILED: "Could not be made; `failureReason` says why.",
        DetailOrderStatusEnum.CANCELED: "Canceled by the subscriber before it was ready.",
    },
)
DeliveryStatus = described_enum(
    DeliveryStatusEnum,
    "Where delivery stands.",
    {
        DeliveryStatusEnum.NONE: "Nothing to deliver: ARCHIVE delivery.",
        DeliveryStatusEnum.PENDING: "Waiting for the document, or being sent.",
        DeliveryStatusEnum.SENT: "The email was accepted by the mail server.",
        DeliveryStatusEnum.FAILED: "The email could not be sent; the file stays in the archive.",
        DeliveryStatusEnum.AT_STORE: "The paper copy waits at the chosen store.",
    },
)
DeliveryMethod = described_enum(
    DeliveryMethodEnum,
    "ARCHIVE (personal archive), EMAIL, or PAPER at a store.",
    {
        DeliveryMethodEnum.ARCHIVE: "The personal archive: download it for 72 hours.",
        DeliveryMethodEnum.EMAIL: "By email: attached up to 10 MB, otherwise a link.",
        DeliveryMethodEnum.PAPER: "A printed copy at a store in the home region.",
    },
)
ReportFormat = described_enum(
    ReportFormatEnum,
    "HTML page, PDF document, XLSX spreadsheet, CSV for machines.",
    {
        ReportFormatEnum.HTML: "A web page to read in a browser.",
        ReportFormatEnum.PDF: "A PDF document to print or keep.",
        ReportFormatEnum.XLSX: "An Excel spreadsheet, a sheet per section.",
        ReportFormatEnum.CSV: "Comma-separated values for programs (UTF-8 with a BOM).",
    },
)
ReportSection = described_enum(
    ReportSectionEnum,
    "A part of the report.",
    {
        ReportSectionEnum.SUMMARY: "Totals by category for the period.",
        ReportSectionEnum.BALANCES: "Opening and closing main balance, payments and charges.",
        ReportSectionEnum.PACKAGES: "The tariff's packages and what was used of them.",
        ReportSectionEnum.PROMISED_PAYMENTS: "Promised payments taken or repaid.",
        ReportSectionEnum.CALLS: "Every call.",
        ReportSectionEnum.MESSAGES: "Every SMS and MMS.",
        ReportSectionEnum.MOBILE_INTERNET: "Every data session.",
        ReportSectionEnum.CHARGES: "Fees and one-time charges.",
        ReportSectionEnum.PAYMENTS: "Every payment onto the main balance.",
    },
)


@strawberry.type(description="A rendered report in the personal archive, kept 72 hours.")
class Document(relay.Node):
    pk: relay.NodeID[int]
    file_name: str = strawberry.field(description="File name in Russian, with extension.")
    format: ReportFormat = strawberry.field(description="The format.")  # type: ignore[valid-type]
    content_type: str = strawberry.field(description="MIME type.")
    size_bytes: int = strawberry.field(description="Size of the file.")
    sha256: str = strawberry.field(description="SHA-256 of the file, hex.")
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime = strawberry.field(description="When it is deleted.")
    download_url: str = strawberry.field(
        description="Capability URL: anyone with it can download until expiry (404/410 after)."
    )

    @classmethod
    def from_row(cls, row: DocumentRow, base_url: str) -> Self:
        return cls(
            pk=row.id,
            file_name=row.file_name,
            format=row.format,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            created_at=row.created_at,
            expires_at=row.expires_at,
            download_url=f"{base_url.rstrip('/')}/files/{row.download_token}",
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        base = info.context.settings.public_url
        return await own_nodes(
            info,
            node_ids,
            Scope.ORDERS_READ,
            order_views.documents_by_ids,
            lambda r: cls.from_row(r, base),
        )


@strawberry.type(description="An ordered billing-detail report and where it stands.")
class DetailOrder(relay.Node):
    pk: relay.NodeID[int]
    status: DetailOrderStatus = strawberry.field(description="Where rendering stands.")  # type: ignore[valid-type]
    period: Period = strawberry.field(description="The period, in the home region's zone.")
    format: ReportFormat = strawberry.field(description="The format.")  # type: ignore[valid-type]
    delivery: DeliveryMethod = strawberry.field(description="How it is delivered.")  # type: ignore[valid-type]
    sections: list[ReportSection] = strawberry.field(description="Chosen sections.")  # type: ignore[valid-type]
    email: str | None = strawberry.field(description="Address for EMAIL delivery.")
    store: Store | None = strawberry.field(description="Store for PAPER delivery.")
    delivery_status: DeliveryStatus = strawberry.field(description="Where delivery stands.")  # type: ignore[valid-type]
    progress: float = strawberry.field(description="Rendering progress, 0..1.")
    row_count: int | None = strawberry.field(description="Data rows in the ready report.")
    created_at: datetime = strawberry.field(description="When it was placed.")
    updated_at: datetime = strawberry.field(
        description="When it last changed (status, progress, delivery); a live stream "
        "resumes from the last one seen (`detailOrderUpdated(since:)`)."
    )
    ready_at: datetime | None = strawberry.field(description="When it became READY.")
    expires_at: datetime | None = strawberry.field(description="When its document goes.")
    document: Document | None = strawberry.field(description="The file, while it is kept.")
    failure_reason: str | None = strawberry.field(description="Why it FAILED.")

    connection_texts: ClassVar[ConnectionTexts] = ConnectionTexts(
        "A page of orders, newest first.", "An order and its cursor.", "The order."
    )

    @classmethod
    def from_view(cls, view: order_views.OrderView, base_url: str) -> Self:
        row, document = view.row, view.document
        return cls(
            pk=row.id,
            status=row.status,
            period=Period.of(PeriodValue(row.period_from, row.period_to, view.zone)),
            format=row.format,
            delivery=row.delivery,
            sections=[ReportSectionEnum(s) for s in row.sections],
            email=row.email,
            store=Store.from_row(row.store) if row.store is not None else None,
            delivery_status=row.delivery_status,
            progress=row.progress,
            row_count=row.row_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
            ready_at=row.ready_at,
            expires_at=row.expires_at,
            document=Document.from_row(document, base_url) if document else None,
            failure_reason=row.failure_reason,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = node_pks(node_ids)
        viewer = info.context.viewer
        if viewer is None or not viewer.can(Scope.ORDERS_READ):
            return [None for _ in ids]
        found = {o.pk: o for o in await orders_of(info, viewer.subscriber_id, ids=ids)}
        return [found.get(i) for i in ids]  # type: ignore[misc]


async def orders_of(
    info: Info,
    subscriber_id: int,
    *,
    ids: list[int] | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[DetailOrder]:
    """The subscriber's orders, newest first (``order_views.orders``), as API objects."""
    views = await order_views.orders(subscriber_id, ids=ids, before=before, limit=limit)
    base = info.context.settings.public_url
    return [DetailOrder.from_view(v, base) for v in views]


@strawberry.input(description="What to order: period, sections, delivery and format.")
class DetailOrderInput:
    period: PeriodInput = strawberry.field(description="Days, inclusive, any within 3 years.")
    format: ReportFormat = strawberry.field(description="File format; PAPER is always PDF.")  # type: ignore[valid-type]
    delivery: DeliveryMethod = strawberry.field(description="ARCHIVE, EMAIL or PAPER.")  # type: ignore[valid-type]
    sections: list[ReportSection] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Sections; all when absent."
    )
    email: str | None = strawberry.field(
        default=None, description="For EMAIL: the address; the one on file when absent."
    )
    store_id: relay.GlobalID | None = strawberry.field(
        default=None, description="For PAPER: a store in the home region."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Same key and input within 24 hours: the same order, never a second one.",
    )


@strawberry.type(description="The order as it would be placed, with an estimate; nothing saved.")
class DetailOrderPreview:
    period: Period = strawberry.field(description="The period.")
    format: ReportFormat = strawberry.field(description="The format it will have.")  # type: ignore[valid-type]
    delivery: DeliveryMethod = strawberry.field(description="The delivery.")  # type: ignore[valid-type]
    sections: list[ReportSection] = strawberry.field(description="Sections, in report order.")  # type: ignore[valid-type]
    email: str | None = strawberry.field(description="Where the email goes.")
    store: Store | None = strawberry.field(description="Where the paper copy waits.")
    estimated_rows: int = strawberry.field(description="Rows the report will have, about.")


@strawberry.type(description="The review of an order.")
class DetailOrderPreviewPayload:
    # Reading the normalised order (the address on file, the row estimate) is reading
    # orders: orders:write alone gets the userErrors only.
    preview: DetailOrderPreview | None = strawberry.field(
        default=None,
        description="Null when rejected. Needs orders:read.",
        extensions=needs(Scope.ORDERS_READ),
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Every problem with the input."
    )


@strawberry.type(description="The order was accepted (or why not).")
class DetailOrderCreatePayload:
    order_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The accepted order's ID, for any token that may place it."
    )
    # The order carries its document's download link and the email on file: a token with
    # orders:write alone places orders, it does not read them (#11).
    order: DetailOrder | None = strawberry.field(
        default=None,
        description="The accepted order. Needs orders:read.",
        extensions=needs(Scope.ORDERS_READ),
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Every problem with the input."
    )


@strawberry.input(description="Which order to cancel.")
class DetailOrderCancelInput:
    id: relay.GlobalID = strawberry.field(description="The order's ID.")


@strawberry.type(description="The order, canceled (or why not).")
class DetailOrderCancelPayload:
    order: DetailOrder | None = strawberry.field(
        default=None,
        description="The order. Needs orders:read.",
        extensions=needs(Scope.ORDERS_READ),
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


def _request(info: Info, input: DetailOrderInput) -> orders.OrderRequest:
    store_id = None if input.store_id is None else pk_of(input.store_id, "Store")
    return orders.OrderRequest(
        period_from=input.period.from_,
        period_to=input.period.to,
        format=input.format,
        delivery=input.delivery,
        sections=None if input.sections is None else list(input.sections),
        email=input.email,
        store_id=store_id,
        idempotency_key=input.idempotency_key,
        any_email=may_email_anyone(info),
    )


def may_email_anyone(info: Info) -> bool:
    """A report may go to an address other than the one on file only for a caller who may
    read the account (a session, or a token with account:read): else a token that may only
    place orders could mail the subscriber's calls to itself."""
    viewer = info.context.viewer
    return viewer is not None and viewer.can(Scope.ACCOUNT_READ)


@strawberry.type
class OrdersMutation:
    @mutation(
        description="Review an order: normalised, estimated, every problem listed; nothing saved.",
        extensions=needs(Scope.ORDERS_WRITE),
    )
    async def detail_order_preview(
        self,
        info: Info,
        input: Annotated[DetailOrderInput, strawberry.argument(description="The order.")],
    ) -> DetailOrderPreviewPayload | None:
        subscriber = await viewer_subscriber(info)
        services = info.context.services
        order, estimated = await orders.preview(
            _request(info, input), subscriber, services.clock.now(), services.settings.history_years
        )
        preview = DetailOrderPreview(
            period=Period.of(order.period),
            format=order.format,
            delivery=order.delivery,
            sections=order.sections,
            email=order.email,
            store=Store.from_row(order.store) if order.store else None,
            estimated_rows=estimated,
        )
        return DetailOrderPreviewPayload(preview=preview)

    @mutation(
        description="Place an order; it is accepted at once and rendered in the background.",
        extensions=needs(Scope.ORDERS_WRITE),
    )
    async def detail_order_create(
        self,
        info: Info,
        input: Annotated[DetailOrderInput, strawberry.argument(description="The order.")],
    ) -> DetailOrderCreatePayload | None:
        subscriber = await viewer_subscriber(info)
        services = info.context.services
        row, placed = await orders.place_order(
            _request(info, input),
            subscriber,
            services.clock.now(),
            services.settings.history_years,
            services.enqueue_render,
            max_queued=services.settings.max_queued_orders,
        )
        await publish_quietly(services.events, subscriber.id, row.id)
        if placed:
            # The row as this call wrote it (no document yet: it comes with READY), not a
            # re-read: two statements less before the answer.
            zone = ZoneInfo(subscriber.home_region.time_zone)
            view = order_views.OrderView(row, zone, None)
            order = DetailOrder.from_view(view, services.settings.public_url)
        else:
            (order,) = await orders_of(info, subscriber.id, ids=[row.id])
        return DetailOrderCreatePayload(
            order_id=relay.GlobalID("DetailOrder", str(row.id)), order=order
        )

    @mutation(
        description="Cancel an order that is still PENDING or RENDERING.",
        extensions=needs(Scope.ORDERS_WRITE),
    )
    async def detail_order_cancel(
        self,
        info: Info,
        input: Annotated[DetailOrderCancelInput, strawberry.argument(description="The order.")],
    ) -> DetailOrderCancelPayload | None:
        viewer = info.context.viewer
        assert viewer is not None
        order_id = pk_of(input.id, "DetailOrder")
        services = info.context.services
        row = await orders.cancel_order(viewer.subscriber_id, order_id, services.clock.now())
        await publish_quietly(services.events, viewer.subscriber_id, row.id)
        (order,) = await orders_of(info, viewer.subscriber_id, ids=[row.id])
        return DetailOrderCancelPayload(order=order)
