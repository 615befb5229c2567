"""The signed-in subscriber (``viewer``) and the tariff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Self
from zoneinfo import ZoneInfo

import strawberry
from graphql import GraphQLError, OperationType
from strawberry import relay

from detalka.errors import UserFacingError
from detalka.periods import Period as PeriodValue
from detalka.periods import checked_period
from detalka.resolvers import access, account, catalog, history, order_views, overview, schedules
from detalka.resolvers.access import Scope
from detalka.schema.catalog import Region
from detalka.schema.connections import Connection, keyset_connection
from detalka.schema.context import Info
from detalka.schema.ids import node_pks
from detalka.schema.nodes import in_requested_order
from detalka.schema.orders import DetailOrder, Document, orders_of
from detalka.schema.overview import (
    Balance,
    Balances,
    ExpenseSummary,
    PackageRemainder,
    Payment,
    PeriodInput,
    PromisedPayment,
    UsageKind,
    UsageRecord,
)
from detalka.schema.permissions import needs, session_only
from detalka.schema.scalars import Money
from detalka.schema.schedules import DetailSchedule
from detalka.schema.tokens import ApiToken

if TYPE_CHECKING:
    from detalka.resolvers.account import Subscriber as SubscriberRow
    from detalka.resolvers.catalog import Tariff as TariffRow


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
        ids = node_pks(node_ids)
        return in_requested_order(ids, await catalog.tariffs_by_ids(ids), cls.from_row)


@strawberry.type(description="A subscriber: a phone number and its account.")
class Subscriber(relay.Node):
    pk: relay.NodeID[int]
    msisdn: str | None = strawberry.field(
        description="The number in E.164, e.g. `+79161234567`.",
        extensions=needs(Scope.ACCOUNT_READ),
    )
    home_region: Region | None = strawberry.field(
        description="The home region of the number.", extensions=needs(Scope.ACCOUNT_READ)
    )
    tariff: Tariff | None = strawberry.field(
        description="The current tariff plan.", extensions=needs(Scope.ACCOUNT_READ)
    )
    email: str | None = strawberry.field(
        description="Email on file, used for EMAIL delivery.", extensions=needs(Scope.ACCOUNT_READ)
    )

    time_zone: strawberry.Private[str]
    tariff_id: strawberry.Private[int]

    @strawberry.field(
        description="Main and additional balances.", extensions=needs(Scope.ACCOUNT_READ)
    )
    async def balances(self, info: Info) -> Balances | None:
        view = await overview.balances(self.pk, info.context.services.clock.now())
        return Balances(
            main=Balance.from_row(view.main),
            additional=[Balance.from_row(b) for b in view.additional],
            state=view.state,
            promised_debt=Money.rub(view.promised_debt),
        )

    @strawberry.field(
        description="Promised payments, newest first.", extensions=needs(Scope.ACCOUNT_READ)
    )
    async def promised_payments(self, info: Info) -> list[PromisedPayment] | None:
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
        extensions=needs(Scope.ACCOUNT_READ),
    )
    async def packages(self, info: Info) -> list[PackageRemainder] | None:
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

    @strawberry.field(description="All expenses for a period.", extensions=needs(Scope.USAGE_READ))
    async def expenses(
        self,
        info: Info,
        period: Annotated[PeriodInput, strawberry.argument(description="Days, inclusive.")],
    ) -> ExpenseSummary | None:
        return ExpenseSummary.of(await overview.expenses(self.pk, self._period(info, period)))

    @strawberry.field(
        description="Charge events in a period, oldest first.", extensions=needs(Scope.USAGE_READ)
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
    ) -> Connection[UsageRecord] | None:
        value = self._period(info, period)
        return await keyset_connection(
            first,
            after,
            lambda cursor, limit: history.usage_page(self.pk, value, kinds, cursor, limit),
            key=lambda row: (row.occurred_at, row.id),
            node=UsageRecord.from_row,
            node_type=UsageRecord,
        )

    @strawberry.field(
        description="Payments in a period, oldest first.", extensions=needs(Scope.USAGE_READ)
    )
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
    ) -> Connection[Payment] | None:
        value = self._period(info, period)
        return await keyset_connection(
            first,
            after,
            lambda cursor, limit: history.payments_page(self.pk, value, cursor, limit),
            key=lambda row: (row.occurred_at, row.id),
            node=Payment.from_row,
            node_type=Payment,
        )

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

    @strawberry.field(
        description="Ordered reports, newest first.", extensions=needs(Scope.ORDERS_READ)
    )
    async def detail_orders(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, up to 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
    ) -> Connection[DetailOrder] | None:
        return await keyset_connection(
            first,
            after,
            lambda cursor, limit: orders_of(info, self.pk, before=cursor, limit=limit),
            key=lambda order: (order.created_at, order.pk),
            node=lambda order: order,
        )

    @strawberry.field(
        description="The personal archive: ready documents until they expire, newest first.",
        extensions=needs(Scope.ORDERS_READ),
    )
    async def documents(self, info: Info) -> list[Document] | None:
        rows = await order_views.documents(self.pk, info.context.services.clock.now())
        return [Document.from_row(r, info.context.settings.public_url) for r in rows]

    @strawberry.field(
        description="Periodic reports by email, oldest first.", extensions=needs(Scope.ORDERS_READ)
    )
    async def detail_schedules(self) -> list[DetailSchedule] | None:
        return [DetailSchedule.from_read(r) for r in await schedules.schedules_of(self.pk)]

    @strawberry.field(
        description="The subscriber's API tokens, newest first.", extensions=session_only()
    )
    async def api_tokens(self) -> list[ApiToken] | None:
        return [ApiToken.from_row(r) for r in await access.api_tokens(self.pk)]

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
        ids = node_pks(node_ids)
        own = info.context.subscriber_id
        row = await account.subscriber(own) if own in ids and own is not None else None
        return [cls.from_row(row) if row is not None and i == own else None for i in ids]


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in subscriber; null when anonymous.")
    async def viewer(self, info: Info) -> Subscriber | None:
        subscriber_id = info.context.subscriber_id
        if subscriber_id is None:
            return None
        # A query shows the row read with the session (one statement for both); a mutation
        # may have changed it since, so it reads it again.
        row = info.context.subscriber_row
        if info.operation.operation != OperationType.QUERY or getattr(row, "id", None) != (
            subscriber_id
        ):
            row = await account.subscriber(subscriber_id)
        return Subscriber.from_row(row) if row is not None else None
