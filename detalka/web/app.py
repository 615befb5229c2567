"""The Starlette application: routes and one lifespan for start-up and shut-down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from detalka.adapters.budget import budget_for
from detalka.adapters.captchas import CaptchaFactory, ImageCaptchaFactory
from detalka.adapters.sms import SmsSender
from detalka.clock import Clock, SystemClock
from detalka.db import tortoise_config
from detalka.jobs import probes
from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.schema.context import Services
from detalka.settings import Settings
from detalka.web.cabinet import cabinet_routes
from detalka.web.files import download_endpoint
from detalka.web.graphql import GraphQLApp
from detalka.web.health import healthz, readyz_endpoint
from detalka.web.observability import CountedSockets, RequestIdMiddleware, metrics_endpoint
from detalka.web.origins import cors_middleware


def create_app(
    settings: Settings,
    *,
    open_db: bool = True,
    clock: Clock | None = None,
    captcha: CaptchaFactory | None = None,
    sms: SmsSender | None = None,
    jobs: Jobs | None = None,
) -> Starlette:
    """The ASGI app. ``open_db=False`` when the caller already holds the database open;
    tests pass their own clock, captcha factory, SMS sender (for the jobs made here) or jobs."""
    clock = clock or SystemClock()
    jobs = jobs or Jobs.for_settings(settings, clock, sms=sms)
    services = Services(
        settings=settings,
        clock=clock,
        captcha=captcha or ImageCaptchaFactory(),
        enqueue_render=jobs.enqueue_render,
        enqueue_sms=jobs.enqueue_sms,
        events=jobs.events,
        subscription_poll_s=settings.subscription_poll_seconds,
        # Shared by every API process when CACHE_URL is Redis (the persisted queries' store).
        budget=budget_for(settings.cache_url),
    )
    embedded = urlsplit(settings.broker_url).scheme == "memory"
    graphql = GraphQLApp(services)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if open_db:
                # Also the global fallback, so every request's task finds the connections.
                await stack.enter_async_context(
                    RegisterTortoise(app, config=tortoise_config(settings))
                )
            if embedded:
                # The embedded mode's worker and housekeeping run in this process.
                await stack.enter_async_context(WorkerProcess(jobs.broker))
                housekeeping = asyncio.create_task(_housekeeping(jobs))
                stack.callback(housekeeping.cancel)
            stack.push_async_callback(graphql.store.close)
            stack.push_async_callback(services.budget.close)
            yield

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", CountedSockets(graphql)),
            Route("/healthz", healthz),
            Route("/readyz", readyz_endpoint(_readiness_checks(jobs))),
            Route("/metrics", metrics_endpoint(jobs.queue_depths)),
            Route("/files/{token}", download_endpoint(jobs.storage, clock)),
            *cabinet_routes(),
        ],
        # Browsers on the allowed origins only (web/origins.py); the socket checks the same.
        middleware=[Middleware(RequestIdMiddleware), cors_middleware(settings)],
        lifespan=lifespan,
    )


def _readiness_checks(jobs: Jobs) -> dict[str, probes.Probe]:
    """What ``/readyz`` asks: everything a request or an order needs on the way."""
    return {
        "database": probes.database,
        "broker": probes.broker_probe(jobs.broker),
        "events": jobs.events.ping,
        "storage": jobs.storage.check,
    }


async def _housekeeping(jobs: Jobs, every_s: float = 60.0) -> None:
    """Due schedules, stuck orders, expired documents: the embedded scheduler, once a minute."""
    while True:
        await jobs.housekeeping()
        await asyncio.sleep(every_s)
