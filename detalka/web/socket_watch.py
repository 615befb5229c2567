"""An authenticated WebSocket's caller is checked again for as long as it stays open.

A revoked token, an ended session or a password change publishes ``CREDENTIALS_CHANGED`` on
the subscriber's event channel: each of that subscriber's sockets asks the database again at
once and closes with 4403 when its caller no longer checks out, ending every subscription on
it within a second. A lost event (Redis away) is caught by a re-check every
2 x ``subscription_poll_s`` seconds, and expiry by a timer set to the moment itself.

The same module counts each subscriber's open sockets in this process: past
``max_sockets_per_subscriber`` a new one is closed with 4430 (see docs/security.md: the
count is per API process, so N processes allow N times the cap).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import MutableMapping
from contextlib import suppress
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from detalka.resolvers.access import CREDENTIALS_CHANGED, Viewer, still_valid
from detalka.schema.context import Services

log = logging.getLogger(__name__)
CLOSE_REVOKED = 4403  # as a connection_init whose token does not check out
# strawberry's 4429 means "too many connection_init messages": this one is our own.
CLOSE_TOO_MANY_SOCKETS = 4430
SCOPE_KEY = "detalka.socket_watch"
COUNTED_KEY = "detalka.socket_subscriber"


class TooManySockets(Exception):
    """The subscriber already has the most open sockets allowed."""


class SocketCount:
    """Open sockets per subscriber in this process."""

    def __init__(self) -> None:
        self.open: Counter[int] = Counter()

    def take(self, subscriber_id: int, limit: int) -> bool:
        if self.open[subscriber_id] >= limit:
            return False
        self.open[subscriber_id] += 1
        return True

    def give_back(self, subscriber_id: int) -> None:
        self.open[subscriber_id] -= 1
        if self.open[subscriber_id] <= 0:
            del self.open[subscriber_id]


async def watch(websocket: WebSocket, viewer: Viewer, services: Services) -> None:
    """Close ``websocket`` (4403) as soon as ``viewer`` no longer checks out."""
    async with services.events.listen(viewer.subscriber_id) as listener:
        while True:
            # Twice the subscriptions' own re-check: a lost event is first reported by each
            # subscription (UNAUTHENTICATED), then the socket closes.
            wait = 2 * services.subscription_poll_s
            if viewer.expires_at is not None:
                left = (viewer.expires_at - services.clock.now()).total_seconds()
                wait = min(wait, max(left, 0.0) + 0.01)
            event = await listener.next(wait)
            if event is not None and event.order_id != CREDENTIALS_CHANGED:
                continue
            if not await still_valid(viewer, services.clock.now()):
                break
    log.info("socket of subscriber %s closed: credentials ended", viewer.subscriber_id)
    if websocket.application_state == WebSocketState.CONNECTED:
        with suppress(RuntimeError):  # closed meanwhile by the client
            await websocket.close(CLOSE_REVOKED, "Сеанс завершён, войдите снова.")


def start(websocket: WebSocket, viewer: Viewer, services: Services, count: SocketCount) -> None:
    """Count the socket for its subscriber (:class:`TooManySockets` past the cap) and watch
    its caller, until :func:`stop` (the socket's end)."""
    if not count.take(viewer.subscriber_id, services.settings.max_sockets_per_subscriber):
        raise TooManySockets
    websocket.scope[COUNTED_KEY] = viewer.subscriber_id
    task = asyncio.create_task(watch(websocket, viewer, services))
    websocket.scope[SCOPE_KEY] = task


async def stop(scope: MutableMapping[str, Any], count: SocketCount) -> None:
    subscriber_id = scope.pop(COUNTED_KEY, None)
    if isinstance(subscriber_id, int):
        count.give_back(subscriber_id)
    task = scope.pop(SCOPE_KEY, None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
