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

``Required`` turns on, one by one, what DESIGN.md asks of any implementation of this flow and
the bare floor leaves out, each written as plainly as the floor itself:
- ``sessions``: the caller is named by a session token, looked up (one read of its row) for
  the request and for the socket, and sees only its own orders;
- ``send``: the render goes through a durable queue, a Dramatiq message to an actor of the
  app's own embedded broker and worker (section 7: an order's work is a job, sent after the
  commit, at-least-once), instead of a task on the API's loop;
- ``reread``: events are wake-ups, the database the truth: an event names the order, the
  subscription reads its row and sends what it finds; every change is announced, the
  placement (PENDING) included.
The floor with all three is the least any design-conforming implementation does on this
stack; bench/ready.py measures it beside the bare floor and Detalka.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import strawberry
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bench.ready_client import Flow
from detalka.adapters.storage import Storage
from detalka.clock import Clock
from detalka.models import DetailOrder, Session
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


@dataclass(frozen=True)
class Required:
    """What the design asks beyond the bare floor (see the module's docstring)."""

    sessions: bool = False
    send: Callable[[int], Awaitable[None]] | None = None  # the durable queue's send
    reread: bool = False


class Floor:
    """The app's state: the render's dependencies, a queue per open subscription, and the
    render tasks running (kept, so none is collected before it ends)."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        document_ttl: timedelta,
        required: Required | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.document_ttl = document_ttl
        self.required = required or Required()
        self.followers: set[asyncio.Queue[tuple[int, Order | None]]] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    def publish(self, order_id: int, order: Order | None = None) -> None:
        """To every follower: the order's new state, or (``reread``) only its id."""
        for queue in self.followers:
            queue.put_nowait((order_id, None if self.required.reread else order))

    async def start(self, order_id: int) -> None:
        if self.required.reread:
            self.publish(order_id)  # PENDING: the placement is a change too
        if self.required.send is not None:
            self.loop = asyncio.get_running_loop()
            await self.required.send(order_id)
            return
        task = asyncio.create_task(self._render(order_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _render(self, order_id: int) -> None:
        key = strawberry.ID(str(order_id))
        self.publish(order_id, Order(id=key, status="RENDERING", progress=0.0))
        try:
            made = await render_order(
                order_id, storage=self.storage, clock=self.clock, document_ttl=self.document_ttl
            )
        except Exception:
            log.exception("the floor's order %s was not rendered", order_id)
            made = False
        status = "READY" if made else "FAILED"
        self.publish(order_id, Order(id=key, status=status, progress=1.0 if made else 0.0))

    async def render_in_worker(self, order_id: int) -> None:
        """The durable queue's actor body (on the worker's loop and database context): the
        render, each committed change announced to the API's loop."""
        loop = self.loop
        assert loop is not None

        async def announce(_subscriber_id: int, changed: int) -> None:
            loop.call_soon_threadsafe(self.publish, changed)

        await render_order(
            order_id,
            storage=self.storage,
            clock=self.clock,
            document_ttl=self.document_ttl,
            notify=announce,
        )


@dataclass
class Caller:
    """A request's or a socket's context: the floor and, with sessions, whose it is."""

    floor: Floor
    subscriber_id: int | None = None
    connection_params: Any = None  # graphql-transport-ws's connection_init payload


async def session_of(authorization: Any) -> int | None:
    """The subscriber of a live session named by ``Bearer <token>``, or None."""
    if not isinstance(authorization, str) or not authorization.startswith("Bearer "):
        return None
    digest = hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest()
    session = await Session.get_or_none(
        token_hash=digest, revoked_at=None, expires_at__gt=datetime.now(UTC)
    )
    return None if session is None else session.subscriber_id


Info = strawberry.Info[Caller, None]


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create(self, info: Info, input: OrderInput) -> Order:
        caller = info.context
        if caller.floor.required.sessions and caller.subscriber_id != input.subscriber_id:
            raise PermissionError("not your subscriber")
        order_id = await insert_order(
            input.subscriber_id,
            input.region_id,
            input.period_from,
            input.period_to,
            input.format,
            input.delivery,
            input.sections,
        )
        await caller.floor.start(order_id)
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
        floor, subscriber_id = info.context.floor, info.context.subscriber_id
        queue: asyncio.Queue[tuple[int, Order | None]] = asyncio.Queue()
        floor.followers.add(queue)
        try:
            while True:
                order_id, order = await queue.get()
                if order is not None:
                    yield order
                    continue
                mine = DetailOrder.filter(id=order_id)
                if subscriber_id is not None:
                    mine = mine.filter(subscriber_id=subscriber_id)
                row = await mine.first()
                if row is not None:
                    yield Order(
                        id=strawberry.ID(str(row.id)), status=row.status, progress=row.progress
                    )
        finally:
            floor.followers.discard(queue)


# Parsing and validating a document once, as any tuned strawberry app does (Detalka too).
# Factories, as strawberry asks: an extension is made per operation, the caches it uses are
# module-level and keyed by maxsize.
SCHEMA = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[lambda: ParserCache(maxsize=64), lambda: ValidationCache(maxsize=64)],
)


class _GraphQL(GraphQL[Caller, None]):
    def __init__(self, floor: Floor) -> None:
        super().__init__(
            SCHEMA, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        )
        self.floor = floor

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Caller:
        caller = Caller(self.floor)
        if self.floor.required.sessions and isinstance(request, Request):
            caller.subscriber_id = await session_of(request.headers.get("authorization"))
            if caller.subscriber_id is None:
                raise HTTPException(401, "no live session")
        return caller

    async def on_ws_connect(self, context: Caller) -> None:
        if self.floor.required.sessions:
            params = context.connection_params
            authorization = params.get("authorization") if isinstance(params, dict) else None
            context.subscriber_id = await session_of(authorization)
            if context.subscriber_id is None:
                raise ConnectionRejectionError({"reason": "no live session"})


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
