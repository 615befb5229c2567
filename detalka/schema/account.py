"""The signed-in subscriber (``viewer``) and the tariff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from detalka.models import ApiToken as ApiTokenRow
from detalka.models import Subscriber as SubscriberRow
from detalka.models import Tariff as TariffRow
from detalka.schema.catalog import Region
from detalka.schema.context import Info
from detalka.schema.permissions import needs, session_only
from detalka.schema.scalars import Money

if TYPE_CHECKING:
    from detalka.schema.auth import ApiToken

ACCOUNT = "account:read"


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
        rows = {r.id: r for r in await TariffRow.filter(id__in=ids)}
        return [cls.from_row(rows[i]) if i in rows else None for i in ids]


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
