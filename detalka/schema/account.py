"""The signed-in subscriber (``viewer``) and the tariff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Self
from zoneinfo import ZoneInfo

import strawberry
from graphql import GraphQLError
from strawberry import relay

from detalka.errors import UserFacingError
from detalka.models import ApiToken as ApiTokenRow
from detalka.models import Document as DocumentRow
from detalka.models import Subscriber as SubscriberRow
from detalka.models import Tariff as TariffRow
from detalka.models.queries import payments_page, usage_page
from detalka.periods import Period as PeriodValue
from detalka.periods import checked_period
from detalka.resolvers import overview
from detalka.schema.catalog import Region
from detalka.schema.context import Info
from detalka.schema.nodes import in_requested_order
from detalka.schema.overview import (
    Balance,
    Balances,
    ExpenseSummary,
    PackageRemainder,
    PageInfo,
    Payment,
    PaymentConnection,
    PaymentEdge,
    PeriodInput,
    PromisedPayment,
    UsageKind,
    UsageRecord,
    UsageRecordConnection,
    UsageRecordEdge,
    decode_cursor,
    encode_cursor,
    page_size,
)
from detalka.schema.permissions import needs, session_only
from detalka.schema.scalars import Money

if TYPE_CHECKING:
    from detalka.schema.auth import ApiToken
    from detalka.schema.orders import DetailOrderConnection, Document
    from detalka.schema.schedules import DetailSchedule

ACCOUNT = "account:read"
USAGE = "usage:read"
ORDERS = "orders:read"


def _page_info(edges: list[Any], has_next: bool, after: str | None) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


@strawberry.type(description="A tariff plan.")
class Tariff(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="Tariff name in Russian.")
    monthly_fee: Money = strawberry.field(description="Subscription fee per billing month.")

    @classmethod
    def from_row(cls, row: TariffRow) -> Self:
        return cls(pk=row.id, name=row.name, monthly_fee=Money.rub(row.monthly_fee))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [int(i) for i in node_ids]
        return in_requested_order(ids, await TariffRow.filter(id__in=ids), cls.from_row)


@strawberry.type(description="A subscriber: a phone number and its account.")
class Subscriber(relay.Node):
    pk: relay.NodeID[int]
    msisdn: str = strawberry.field(
        description="The number in E.164, e.g. `+79161234567`.", extensions=needs(ACCOUNT)
    )
    home_region: Region = strawberry.field(
        description="The home region of the number.", extensions=needs(ACCOUNT)
    )
    tariff: Tariff = strawberry.field(
        description="The current tariff plan.", extensions=needs(ACCOUNT)
    )
    email: str | None = strawberry.field(
        description="Email on file, used for EMAIL delivery.", extensions=needs(ACCOUNT)
    )

    time_zone: strawberry.Private[str]
    tariff_id: strawberry.Private[int]

    @strawberry.field(description="Main and additional balances.", extensions=needs(ACCOUNT))
    async def balances(self, info: Info) -> Balances:
        view = await overview.balances(self.pk, info.context.services.clock.now())
        return Balances(
            main=Balance.from_row(view.main),
            additional=[Balance.from_row(b) for b in view.additional],
            state=view.state,
            promised_debt=Money.rub(view.promised_debt),
        )

    @strawberry.field(description="Promised payments, newest first.", extensions=needs(ACCOUNT))
    async def promised_payments(self, info: Info) -> list[PromisedPayment]:
        views = await overview.promised_payments(self.pk, info.context.services.clock.now())
        return [
            PromisedPayment(
                amount=Money.rub(v.row.amount),
                fee=Money.rub(v.row.fee),
                taken_at=v.row.taken_at,
                due_at=v.row.due_at,
                repaid=Money.rub(v.row.repaid),
                outstanding=Money.rub(v.outstanding),
                overdue=v.overdue,
            )
            for v in views
        ]

    @strawberry.field(
        description="What is left of the tariff's packages this billing month.",
        extensions=needs(ACCOUNT),
    )
    async def packages(self, info: Info) -> list[PackageRemainder]:
        views = await overview.packages(
            self.pk, self.tariff_id, ZoneInfo(self.time_zone), info.context.services.clock.now()
        )
        return [
            PackageRemainder(
                kind=v.kind,
                name=v.name,
                unit=v.unit,
                included=v.included,
                used=v.used,
                remaining=v.remaining,
                period_end=v.period_end,
            )
            for v in views
        ]

    @strawberry.field(description="All expenses for a period.", extensions=needs(USAGE))
    async def expenses(
        self,
        info: Info,
        period: Annotated[PeriodInput, strawberry.argument(description="Days, inclusive.")],
    ) -> ExpenseSummary:
        return ExpenseSummary.of(await overview.expenses(self.pk, self._period(info, period)))

    @strawberry.field(
        description="Charge events in a period, oldest first.", extensions=needs(USAGE)
    )
    async def usage(
        self,
        info: Info,
        period: Annotated[PeriodInput, strawberry.argument(description="Days, inclusive.")],
        kinds: Annotated[
            list[UsageKind] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these kinds; all when absent."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, up to 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
    ) -> UsageRecordConnection:
        value = self._period(info, period)
        size = page_size(first)
        rows = await usage_page(
            self.pk, value.start, value.end, kinds=kinds, after=decode_cursor(after), limit=size + 1
        )
        edges = [
            UsageRecordEdge(cursor=encode_cursor(r.occurred_at, r.id), node=UsageRecord.from_row(r))
            for r in rows[:size]
        ]
        return UsageRecordConnection(
            edges=edges, page_info=_page_info(edges, len(rows) > size, after)
        )

    @strawberry.field(description="Payments in a period, oldest first.", extensions=needs(USAGE))
    async def payments(
        self,
        info: Info,
        period: Annotated[PeriodInput, strawberry.argument(description="Days, inclusive.")],
        first: Annotated[
            int | None, strawberry.argument(description="Page size, up to 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
    ) -> PaymentConnection:
        value = self._period(info, period)
        size = page_size(first)
        rows = await payments_page(
            self.pk, value.start, value.end, after=decode_cursor(after), limit=size + 1
        )
        edges = [
            PaymentEdge(cursor=encode_cursor(r.occurred_at, r.id), node=Payment.from_row(r))
            for r in rows[:size]
        ]
        return PaymentConnection(edges=edges, page_info=_page_info(edges, len(rows) > size, after))

    def _period(self, info: Info, period: PeriodInput) -> PeriodValue:
        settings = info.context.settings
        try:
            return checked_period(
                period.from_,
                period.to,
                ZoneInfo(self.time_zone),
                info.context.services.clock.now(),
                settings.history_years,
            )
        except UserFacingError as error:
            raise GraphQLError(error.message, extensions={"code": str(error.code)}) from None

    @strawberry.field(description="Ordered reports, newest first.", extensions=needs(ORDERS))
    async def detail_orders(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, up to 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
    ) -> Annotated[DetailOrderConnection, strawberry.lazy("detalka.schema.orders")]:
        from detalka.schema.orders import DetailOrderConnection, DetailOrderEdge, load_orders

        size = page_size(first)
        found = await load_orders(info, self.pk, before=decode_cursor(after), limit=size + 1)
        edges = [
            DetailOrderEdge(cursor=encode_cursor(o.created_at, o.pk), node=o) for o in found[:size]
        ]
        return DetailOrderConnection(
            edges=edges, page_info=_page_info(edges, len(found) > size, after)
        )

    @strawberry.field(
        description="The personal archive: ready documents until they expire, newest first.",
        extensions=needs(ORDERS),
    )
    async def documents(
        self, info: Info
    ) -> list[Annotated[Document, strawberry.lazy("detalka.schema.orders")]]:
        from detalka.schema.orders import Document

        rows = await DocumentRow.filter(
            order__subscriber_id=self.pk,
            deleted_at=None,
            expires_at__gt=info.context.services.clock.now(),
        ).order_by("-created_at", "-id")
        return [Document.from_row(r, info.context.settings.public_url) for r in rows]

    @strawberry.field(
        description="Periodic reports by email, oldest first.", extensions=needs(ORDERS)
    )
    async def detail_schedules(
        self,
    ) -> list[Annotated[DetailSchedule, strawberry.lazy("detalka.schema.schedules")]]:
        from detalka.schema.schedules import load_schedules

        return await load_schedules(self.pk)

    @strawberry.field(
        description="The subscriber's API tokens, newest first.", extensions=session_only()
    )
    async def api_tokens(self) -> list[Annotated[ApiToken, strawberry.lazy("detalka.schema.auth")]]:
        from detalka.schema.auth import ApiToken

        rows = await ApiTokenRow.filter(subscriber_id=self.pk).order_by("-created_at", "-id")
        return [ApiToken.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: SubscriberRow) -> Self:
        return cls(
            pk=row.id,
            msisdn=row.msisdn,
            home_region=Region.from_row(row.home_region),
            tariff=Tariff.from_row(row.tariff),
            email=row.email,
            time_zone=row.home_region.time_zone,
            tariff_id=row.tariff_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        # A subscriber is visible to itself only.
        ids = [int(i) for i in node_ids]
        own = info.context.subscriber_id
        row = await load_subscriber(own) if own in ids and own is not None else None
        return [cls.from_row(row) if row is not None and i == own else None for i in ids]


async def load_subscriber(subscriber_id: int) -> SubscriberRow | None:
    return (
        await SubscriberRow.filter(id=subscriber_id).select_related("home_region", "tariff").first()
    )


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in subscriber; null when anonymous.")
    async def viewer(self, info: Info) -> Subscriber | None:
        subscriber_id = info.context.subscriber_id
        if subscriber_id is None:
            return None
        row = await load_subscriber(subscriber_id)
        return Subscriber.from_row(row) if row is not None else None
