"""The per-request context every resolver reads through ``strawberry.Info[Context]``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import FieldNode
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from detalka.adapters.budget import Budget, MemoryBudget
from detalka.adapters.captchas import CaptchaFactory
from detalka.adapters.events import EventBus
from detalka.clock import Clock
from detalka.resolvers.access import Viewer
from detalka.resolvers.account import Subscriber, subscriber
from detalka.settings import Settings


@dataclass(frozen=True)
class Services:
    """What the API process talks to; built once, shared by every request."""

    settings: Settings
    clock: Clock
    captcha: CaptchaFactory
    # Sends the render message of a committed order (the broker, or a test's own queue).
    enqueue_render: Callable[[int], Awaitable[None]]
    # Sends the send_sms message of a committed password challenge.
    enqueue_sms: Callable[[int], Awaitable[None]]
    # Order events: what wakes a detailOrderUpdated subscription up.
    events: EventBus
    # A subscription re-reads the database this often even without events (a lost one).
    subscription_poll_s: float = 15.0
    # Every caller's bucket of query cost (memory, or Redis shared by the API processes).
    budget: Budget = field(default_factory=MemoryBudget)


def _no_cookie(token: str, max_age: int) -> None:
    """Over a WebSocket there is no response to set a cookie on."""


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    services: Services
    viewer: Viewer | None = None
    # graphql-transport-ws: the connection_init payload (strawberry sets it).
    connection_params: dict[str, Any] | None = None
    # A WebSocket handshake whose Authorization header did not check out: refused at init.
    bad_credentials: bool = False
    # Who is calling from where, for limits per address (web/client_address.py).
    client_address: str = ""
    # Sets the session cookie to (token, max-age seconds); ("", 0) clears it. web/ owns the
    # cookie's name and flags, since web/ is what reads it back.
    set_session_cookie: Callable[[str, int], None] = _no_cookie
    # The viewer's subscriber row as read with its session (HTTP only: a socket's context
    # lives longer than a row may stay true); a query's `viewer` shows it.
    subscriber_row: Any = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def subscriber_id(self) -> int | None:
        return self.viewer.subscriber_id if self.viewer else None


Info = StrawberryInfo[Context, None]


async def viewer_subscriber(info: Info) -> Subscriber:
    """The signed-in subscriber's row with its home region (a permission has checked it)."""
    viewer = info.context.viewer
    assert viewer is not None
    # The row read with the session, in the same statement, while nothing before this field
    # in the request can have changed it: the operation's only root field (a second field of
    # a mutation runs after the first, which may have).
    row = info.context.subscriber_row
    if getattr(row, "id", None) == viewer.subscriber_id and _sole_root_field(info):
        return cast(Subscriber, row)
    row = await subscriber(viewer.subscriber_id)
    assert row is not None, "a live session or token belongs to an existing subscriber"
    return row


def _sole_root_field(info: Info) -> bool:
    selections = info.operation.selection_set.selections
    return len(selections) == 1 and isinstance(selections[0], FieldNode)
