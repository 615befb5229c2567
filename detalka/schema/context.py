"""The per-request context every resolver reads through ``strawberry.Info[Context]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from detalka.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    settings: Settings
    # Filled in by sign-in (issue 3); None for an anonymous caller.
    subscriber_id: int | None = None


Info = StrawberryInfo[Context, None]
