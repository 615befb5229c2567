"""Scoped API tokens for programs acting for the subscriber: the type and its mutations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from detalka.adapters.events import publish_quietly
from detalka.resolvers import access
from detalka.schema.context import Info
from detalka.schema.errors import UserError
from detalka.schema.ids import node_pks, pk_of
from detalka.schema.mutations import mutation
from detalka.schema.nodes import in_requested_order
from detalka.schema.permissions import session_only

if TYPE_CHECKING:
    from detalka.resolvers.access import ApiToken as ApiTokenRow


@strawberry.type(description="A token for a program acting for the subscriber, with scopes.")
class ApiToken(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="The subscriber's name for it.")
    prefix: str = strawberry.field(description="First characters, to tell tokens apart.")
    scopes: list[str] = strawberry.field(
        description="Granted: `account:read`, `usage:read`, `orders:read`, `orders:write`, "
        "`webhooks:write`."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used, to the minute: a use within a minute of the "
        "recorded one does not move it."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    expires_at: datetime = strawberry.field(
        description="When it stops working by itself; a password change ends it sooner."
    )

    @classmethod
    def from_row(cls, row: ApiTokenRow) -> Self:
        return cls(
            pk=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=list(row.scopes),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            expires_at=access.token_expiry(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = node_pks(node_ids)
        viewer = info.context.viewer
        if viewer is None or viewer.session_id is None:
            return [None for _ in ids]
        rows = await access.api_tokens_by_ids(viewer.subscriber_id, ids)
        return in_requested_order(ids, rows, cls.from_row)


@strawberry.input(description="A new API token.")
class ApiTokenCreateInput:
    name: str = strawberry.field(description="A name to recognise it by.")
    scopes: list[str] = strawberry.field(
        description="Any of `account:read`, `usage:read`, `orders:read`, `orders:write`, "
        "`webhooks:write`."
    )
    expires_in_days: int | None = strawberry.field(
        default=None,
        description="Days it works, 1 to the server's maximum (365 by default); 90 days "
        "(DETALKA_API_TOKEN_TTL_DAYS) when absent.",
    )


@strawberry.type(description="The new token: shown this once, never again.")
class ApiTokenCreatePayload:
    token: str | None = strawberry.field(default=None, description="The secret. Store it now.")
    api_token: ApiToken | None = strawberry.field(default=None, description="Its record.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.input(description="Revoke an API token.")
class ApiTokenRevokeInput:
    id: relay.GlobalID = strawberry.field(description="The token's ID.")


@strawberry.type(description="The token no longer works.")
class ApiTokenRevokePayload:
    api_token: ApiToken | None = strawberry.field(
        default=None, description="Its record, with `revokedAt`."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type
class TokensMutation:
    @mutation(description="Make a scoped API token.", extensions=session_only())
    async def api_token_create(
        self,
        info: Info,
        input: Annotated[ApiTokenCreateInput, strawberry.argument(description="The input.")],
    ) -> ApiTokenCreatePayload | None:
        viewer = info.context.viewer
        assert viewer is not None
        # The SDL keeps scopes as strings; here they become access.Scope or INVALID_SCOPE.
        scopes = access.parse_scopes(input.scopes)
        settings = info.context.settings
        ttl = access.checked_ttl(
            input.expires_in_days, settings.api_token_ttl_days, settings.api_token_max_ttl_days
        )
        token, row = await access.create_api_token(
            viewer.subscriber_id, input.name, scopes, info.context.services.clock.now(), ttl
        )
        return ApiTokenCreatePayload(token=token, api_token=ApiToken.from_row(row))

    @mutation(description="Revoke an API token.", extensions=session_only())
    async def api_token_revoke(
        self,
        info: Info,
        input: Annotated[ApiTokenRevokeInput, strawberry.argument(description="The input.")],
    ) -> ApiTokenRevokePayload | None:
        viewer = info.context.viewer
        assert viewer is not None
        token_id = pk_of(input.id, "ApiToken")
        services = info.context.services
        row = await access.revoke_api_token(viewer.subscriber_id, token_id, services.clock.now())
        # Its open sockets close within a second (web/socket_watch.py).
        await publish_quietly(services.events, viewer.subscriber_id, access.CREDENTIALS_CHANGED)
        return ApiTokenRevokePayload(api_token=ApiToken.from_row(row))
