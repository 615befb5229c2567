"""``detailOrderUpdated``: an order's state now, then every change, over graphql-transport-ws.

The database is the truth and an event only a wake-up: the subscription listens first,
then reads the order, so a change that commits in between is seen either way; a client
that subscribes after the order became READY gets READY at once. Whatever the events do
(lost while Redis was away, or a stream of other orders' progress), it re-reads every
``subscription_poll_s`` seconds on a timer of its own, which events never push back. A
client that reconnects names the ``updatedAt`` it saw last (``since``): the all-orders
stream replays every change after it, ended orders included.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry import relay

from detalka.adapters.events import Listener
from detalka.errors import RequestErrorCode
from detalka.resolvers import order_views
from detalka.resolvers.access import Scope, Viewer, still_valid
from detalka.schema.context import Info
from detalka.schema.ids import pk_of
from detalka.schema.orders import DetailOrder, orders_of


def has_ended(order: DetailOrder) -> bool:
    """Nothing more will happen until it expires: ready and delivered, failed or canceled."""
    return order_views.has_ended(order.status, order.delivery_status)


def _state(order: DetailOrder) -> tuple[Any, ...]:
    document = order.document.pk if order.document else None
    return (order.status, order.progress, order.delivery_status, document, order.failure_reason)


def _viewer(info: Info) -> Viewer:
    viewer = info.context.viewer
    if viewer is None:
        raise GraphQLError(
            "Войдите в аккаунт.", extensions={"code": RequestErrorCode.UNAUTHENTICATED.value}
        )
    if not viewer.can(Scope.ORDERS_READ):
        raise GraphQLError(
            f"Нет права {Scope.ORDERS_READ} у этого токена.",
            extensions={"code": RequestErrorCode.FORBIDDEN.value},
        )
    return viewer


def _order_id(given: relay.GlobalID) -> int:
    return pk_of(given, "DetailOrder")


class _Wake:
    """Wake-ups of one stream: the order ids events named, or None when the re-read timer
    fired. The timer runs every ``poll_s`` from the last re-read, whatever the events."""

    def __init__(self, info: Info, viewer: Viewer, listener: Listener) -> None:
        self.info, self.viewer, self.listener = info, viewer, listener
        self.poll_s = info.context.services.subscription_poll_s
        self.due = time.monotonic() + self.poll_s

    async def next(self) -> set[int] | None:
        event = await self.listener.next(max(self.due - time.monotonic(), 0.0))
        if event is None:
            self.due = time.monotonic() + self.poll_s
            services = self.info.context.services
            if not await still_valid(self.viewer, services.clock.now()):
                raise GraphQLError(
                    "Сеанс завершён, войдите снова.",
                    extensions={"code": RequestErrorCode.UNAUTHENTICATED.value},
                )
            return None
        woken = {event.order_id}
        while not self.listener.queue.empty():  # a burst of progress events: read once
            woken.add(self.listener.queue.get_nowait().order_id)
        return woken


async def _follow_one(
    info: Info, viewer: Viewer, listener: Listener, order_id: int
) -> AsyncGenerator[DetailOrder, None]:
    found = await orders_of(info, viewer.subscriber_id, ids=[order_id])
    if not found:
        # Absent and someone else's look the same: nothing about foreign orders leaks.
        raise GraphQLError(
            "Заказ не найден.", extensions={"code": RequestErrorCode.NOT_FOUND.value}
        )
    order = found[0]
    yield order
    last = _state(order)
    wake = _Wake(info, viewer, listener)
    while not has_ended(order):
        woken = await wake.next()
        if woken is not None and order_id not in woken:
            continue
        (order,) = await orders_of(info, viewer.subscriber_id, ids=[order_id])
        if _state(order) != last:
            last = _state(order)
            yield order


async def _follow_all(
    info: Info, viewer: Viewer, listener: Listener, since: datetime | None
) -> AsyncGenerator[DetailOrder, None]:
    # First what changed since the client's last seen point (ended orders too), then the
    # orders still in motion, oldest first; then every change of any order.
    subscriber_id = viewer.subscriber_id
    seen: dict[int, tuple[Any, ...]] = {}
    if since is not None:
        changed = await order_views.order_ids_changed_since(subscriber_id, since)
        by_id = {o.pk: o for o in await orders_of(info, subscriber_id, ids=changed)}
        for order_id in changed:
            seen[order_id] = _state(by_id[order_id])
            yield by_id[order_id]
    ids = await order_views.order_ids_in_motion(subscriber_id)
    for order in sorted(await orders_of(info, subscriber_id, ids=ids), key=lambda o: o.pk):
        if has_ended(order) or seen.get(order.pk) == _state(order):
            continue
        seen[order.pk] = _state(order)
        yield order
    seen = {pk: state for pk, state in seen.items() if not _ended_state(state)}
    newest = await order_views.newest_order_id(subscriber_id)
    wake = _Wake(info, viewer, listener)
    while True:
        woken = await wake.next()
        if woken is None:
            # The timer: re-read the orders in motion and any new ones.
            woken = set(seen) | await order_views.order_ids_after(subscriber_id, newest)
        if not woken:
            continue
        for order in sorted(
            await orders_of(info, subscriber_id, ids=sorted(woken)), key=lambda o: o.pk
        ):
            newest = max(newest, order.pk)
            state = _state(order)
            if seen.get(order.pk) != state:
                seen[order.pk] = state
                yield order
            if has_ended(order):
                seen.pop(order.pk, None)


def _ended_state(state: tuple[Any, ...]) -> bool:
    return order_views.has_ended(state[0], state[2])


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        description="An order's current state at once, then every change (status, progress, "
        "delivery, document) until it ends. Without `id`: the viewer's orders that changed "
        "`since` the given moment, then those in motion, then every change of any of them. "
        "Needs orders:read.",
    )
    async def detail_order_updated(
        self,
        info: Info,
        id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="The order to follow; all of the viewer's if absent."),
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Without `id`: also replay every order that changed after this "
                "moment, ended ones included (the `updatedAt` last seen before a reconnect)."
            ),
        ] = None,
    ) -> AsyncGenerator[DetailOrder, None]:
        viewer = _viewer(info)
        order_id = _order_id(id) if id is not None else None
        async with info.context.services.events.listen(viewer.subscriber_id) as listener:
            if order_id is not None:
                async for order in _follow_one(info, viewer, listener, order_id):
                    yield order
            else:
                async for order in _follow_all(info, viewer, listener, since):
                    yield order
