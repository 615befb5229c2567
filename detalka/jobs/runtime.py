"""The Dramatiq broker and actors, wired from the settings.

Actors are registered on a broker made here rather than at import time, so that importing
Detalka never creates a default broker (DESIGN.md 7, STYLE.md: set the broker first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Middleware
from tortoise.context import TortoiseContext, _current_context

from detalka.db import tortoise_config
from detalka.settings import Settings

log = logging.getLogger(__name__)


class WorkerDatabase(Middleware):
    """A Tortoise context of the worker's own, opened on the AsyncIO middleware's loop.

    The API's context belongs to another loop; each actor call makes this one current for
    its own task (a context variable per task, never one shared ``with ctx:`` block).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context: TortoiseContext | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before the worker threads start: a message already queued must not run first and
        # fall back to the API's context, which belongs to another loop.
        loop_thread = get_event_loop_thread()
        assert loop_thread is not None, "the AsyncIO middleware must come first"
        self.context = loop_thread.run_coroutine(self._open())

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if self.context is not None and loop_thread is not None:
            loop_thread.run_coroutine(self.context.close_connections())
            self.context = None

    async def _open(self) -> TortoiseContext:
        context = TortoiseContext()
        with context:  # current while it loads the models
            await context.init(config=tortoise_config(self.settings))
        return context


def make_broker(settings: Settings) -> dramatiq.Broker:
    scheme = urlsplit(settings.broker_url).scheme
    broker: dramatiq.Broker
    if scheme == "memory":
        broker = StubBroker()
        broker.emit_after("process_boot")
    elif scheme in {"redis", "rediss"}:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=settings.broker_url)  # type: ignore[no-untyped-call]
    else:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=settings.broker_url)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(WorkerDatabase(settings))
    return broker


def in_worker_database(
    broker: dramatiq.Broker, fn: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """Wrap an actor body so that it runs with the worker's Tortoise context current."""
    database = next(m for m in broker.middleware if isinstance(m, WorkerDatabase))

    async def run(*args: Any, **kwargs: Any) -> Any:
        if database.context is None:
            raise RuntimeError("the worker's database is not open")
        # The private context variable is the only per-task handle tortoise offers;
        # a task's context copy keeps concurrent actors apart.
        _current_context.set(database.context)
        return await fn(*args, **kwargs)

    run.__name__ = fn.__name__
    run.__qualname__ = fn.__qualname__
    return run


async def send(actor: dramatiq.Actor[Any, Any], *args: Any) -> None:
    """Send off the event loop: a real broker's send is blocking network I/O."""
    await asyncio.to_thread(actor.send, *args)


class WorkerProcess:
    """A Dramatiq worker in this process: the embedded mode's, a test's, or ``detalka worker``."""

    def __init__(self, broker: dramatiq.Broker, threads: int = 2) -> None:
        self.worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)

    def __enter__(self) -> dramatiq.Worker:
        self.worker.start()
        return self.worker

    def __exit__(self, *exc: object) -> None:
        self.worker.stop()
