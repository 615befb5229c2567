"""The GraphQL schema: the root types composed from one small class per domain."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig

from detalka.schema.account import AccountQuery
from detalka.schema.auth import AuthMutation
from detalka.schema.catalog import CatalogQuery
from detalka.schema.connections import describe_connections
from detalka.schema.error_codes import CodedErrors
from detalka.schema.errors import TopLevelErrorCode
from detalka.schema.execution import PlainDataExecutor
from detalka.schema.guard import CachedValidation, Schema
from detalka.schema.live import OrdersSubscription
from detalka.schema.nodes import NodesQuery
from detalka.schema.orders import OrdersMutation
from detalka.schema.permissions import describe_directives
from detalka.schema.schedules import SchedulesMutation
from detalka.schema.throttle import QueryCost
from detalka.schema.tokens import TokensMutation
from detalka.schema.webhook_mutations import WebhooksMutation
from detalka.schema.webhooks import WebhooksQuery

SDL_PATH = Path(__file__).with_name("schema.graphql")


def _query_type() -> type:
    # relay.node() mutates its field when a schema is built, so each schema needs its own.
    @strawberry.type(name="Query", description="Everything a client can read.")
    class Query(CatalogQuery, AccountQuery, NodesQuery, WebhooksQuery):
        node: relay.Node | None = relay.node(description="Any object by its global ID.")

    return Query


@strawberry.type(name="Mutation", description="Everything a client can change.")
class Mutation(AuthMutation, TokensMutation, OrdersMutation, SchedulesMutation, WebhooksMutation):
    pass


@strawberry.type(name="Subscription", description="Live updates over graphql-transport-ws.")
class Subscription(OrdersSubscription):
    pass


@lru_cache(maxsize=4)
def build_schema(*, production: bool = False, plain_data: bool = True) -> strawberry.Schema:
    """The schema; ``plain_data=False`` leaves every field to graphql-core's general path,
    the reference that tests/test_plain_execution.py holds the shortcut to."""
    # The schema's guard (schema/guard.py) bounds, parses and caches documents; validation
    # is cached with them. Production leaves "Did you mean ...?" out: with introspection
    # off it would still spell the schema out, one guess at a time.
    extensions: list[Any] = [
        lambda: CachedValidation(hide_suggestions=production),
        lambda: CodedErrors(mask=production),
        # Priced once valid, refused before it runs when too costly or over the caller's
        # budget, and every result says what it cost (docs/aggregators.md).
        QueryCost,
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=_query_type(),
        mutation=Mutation,
        subscription=Subscription,
        types=[TopLevelErrorCode],
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        # Plain data (e.g. 365 days of expenses) skips graphql-core's per-field work.
        execution_context_class=PlainDataExecutor if plain_data else None,
    )
    schema.hide_suggestions = production
    describe_connections(schema)
    describe_directives(schema)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"
