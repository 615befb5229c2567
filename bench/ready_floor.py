"""The stack's floor for bench/ready.py: the same flow, written as small as the stack allows.

Create -> READY on the socket costs Detalka about twice the render alone. How much of that is
the stack's own (strawberry parsing, validating and executing a mutation and a subscription,
starlette and uvicorn carrying HTTP and a WebSocket, tortoise inserting the row, the client
across a process boundary) and how much is Detalka's (sessions and their look-up, query cost
and permission extensions, user errors, the queue check, dramatiq and its in-process broker,
the event bus, the subscription's re-reads of the order)? The floor answers the first part:
a hand-written strawberry app doing only what the flow needs, the way a competent engineer
would write its smallest version, so the ratio floor / render is the best this stack can do
and the gap between it and the project's ratio is Detalka's.

It has no auth (the subscriber's id is part of the input), no extensions, no user errors, no
broker and no event bus. ``create`` inserts the order with the baseline's fields and returns
it; a task of the same loop publishes RENDERING into an in-memory queue per open
subscription, awaits ``render_order`` exactly as the baseline calls it (same storage, clock
and TTL, so the same statements and the same document), then publishes READY.
``orderUpdated`` yields those events as they come, reading nothing from the database.
bench/ready.py serves it with a second uvicorn on another loopback port, in the process and
on the loop of the Detalka app, so the database, tortoise's context and the render are shared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from datetime import date, timedelta
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bench.ready_client import Flow
from detalka.adapters.storage import Storage
from detalka.clock import Clock
from detalka.models import DetailOrder
from detalka.resolvers.rendering import render_order

log = logging.getLogger(__name__)

FLOW = Flow(
    create="mutation($input: OrderInput!) { create(input: $input) { id status } }",
    created=("create",),
    follow="subscription { orderUpdated { id status progress } }",
    updated="orderUpdated",
)


@strawberry.type
class Order:
    id: strawberry.ID
    status: str
    progress: float


@strawberry.input
class OrderInput:
    subscriber_id: int
    region_id: int | None
    period_from: date
    period_to: date
    format: str
    delivery: str
    sections: list[str]


class Floor:
    """The app's state: the render's dependencies, a queue per open subscription, and the
    render tasks running (kept, so none is collected before it ends)."""

    def __init__(self, storage: Storage, clock: Clock, document_ttl: timedelta) -> None:
        self.storage = storage
        self.clock = clock
        self.document_ttl = document_ttl
        self.followers: set[asyncio.Queue[Order]] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    def publish(self, order: Order) -> None:
        for queue in self.followers:
            queue.put_nowait(order)

    def start(self, order_id: int) -> None:
        task = asyncio.create_task(self._render(order_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _render(self, order_id: int) -> None:
        key = strawberry.ID(str(order_id))
        self.publish(Order(id=key, status="RENDERING", progress=0.0))
        try:
            made = await render_order(
                order_id, storage=self.storage, clock=self.clock, document_ttl=self.document_ttl
            )
        except Exception:
            log.exception("the floor's order %s was not rendered", order_id)
            made = False
        status = "READY" if made else "FAILED"
        self.publish(Order(id=key, status=status, progress=1.0 if made else 0.0))


Info = strawberry.Info[Floor, None]


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create(self, info: Info, input: OrderInput) -> Order:
        order_id = await insert_order(
            input.subscriber_id,
            input.region_id,
            input.period_from,
            input.period_to,
            input.format,
            input.delivery,
            input.sections,
        )
        info.context.start(order_id)
        return Order(id=strawberry.ID(str(order_id)), status="PENDING", progress=0.0)


async def insert_order(
    subscriber_id: int,
    region_id: int | None,
    first: date,
    last: date,
    fmt: str,
    delivery: str,
    sections: list[str],
) -> int:
    """A PENDING order row with only what the render needs: the floor's insert, and the
    baseline's (bench/ready.py), so both render the same order."""
    order = await DetailOrder.create(
        subscriber_id=subscriber_id,
        region_id=region_id,
        period_from=first,
        period_to=last,
        format=fmt,
        delivery=delivery,
        sections=sections,
        status="PENDING",
    )
    return int(order.id)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def order_updated(self, info: Info) -> AsyncGenerator[Order, None]:
        queue: asyncio.Queue[Order] = asyncio.Queue()
        info.context.followers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            info.context.followers.discard(queue)


# Parsing and validating a document once, as any tuned strawberry app does (Detalka too).
# Factories, as strawberry asks: an extension is made per operation, the caches it uses are
# module-level and keyed by maxsize.
SCHEMA = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[lambda: ParserCache(maxsize=64), lambda: ValidationCache(maxsize=64)],
)


class _GraphQL(GraphQL[Floor, None]):
    def __init__(self, floor: Floor) -> None:
        super().__init__(
            SCHEMA, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        )
        self.floor = floor

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Floor:
        return self.floor


def app(floor: Floor) -> Starlette:
    """The floor as an ASGI app: strawberry's view on ``/graphql``, HTTP and WebSocket."""
    graphql = _GraphQL(floor)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )


def request(
    subscriber_id: int,
    region_id: int | None,
    first: date,
    last: date,
    fmt: str,
    sections: list[str],
) -> dict[str, Any]:
    """The ``$input`` of ``create``: the baseline's fields, the subscriber's id among them."""
    return {
        "subscriberId": subscriber_id,
        "regionId": region_id,
        "periodFrom": first.isoformat(),
        "periodTo": last.isoformat(),
        "format": fmt,
        "delivery": "ARCHIVE",
        "sections": sections,
    }
