"""The Starlette application: routes and one lifespan for start-up and shut-down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from detalka.db import open_database
from detalka.settings import Settings
from detalka.web.graphql import GraphQLApp
from detalka.web.health import healthz, readyz


def create_app(settings: Settings, *, open_db: bool = True) -> Starlette:
    """The ASGI app. ``open_db=False`` when the caller already holds the database open."""

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

    graphql = GraphQLApp(settings)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
