"""The Starlette application: routes and one lifespan for start-up and shut-down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from detalka.adapters.captchas import CaptchaFactory, ImageCaptchaFactory
from detalka.adapters.sms import SmsSender, sms_sender
from detalka.clock import Clock, SystemClock
from detalka.db import open_database
from detalka.schema.context import Services
from detalka.settings import Settings
from detalka.web.graphql import GraphQLApp
from detalka.web.health import healthz, readyz


def create_app(
    settings: Settings,
    *,
    open_db: bool = True,
    clock: Clock | None = None,
    captcha: CaptchaFactory | None = None,
    sms: SmsSender | None = None,
) -> Starlette:
    """The ASGI app. ``open_db=False`` when the caller already holds the database open;
    tests pass their own clock, captcha factory or SMS sender."""
    services = Services(
        settings=settings,
        clock=clock or SystemClock(),
        sms=sms or sms_sender(settings.sms_gateway_url, settings.outbox_dir),
        captcha=captcha or ImageCaptchaFactory(),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not open_db:
            yield
            return
        ctx = await open_database(settings)
        try:
            yield
        finally:
            await ctx.close_connections()

    graphql = GraphQLApp(services)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
