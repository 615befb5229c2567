"""The worker runtime: the broker from the settings, the worker's own database context, the
per-broker dependencies made current for each actor call, and a worker in this process.

Actors are registered on a broker made here rather than at import time, so that importing
Detalka never creates a default broker (DESIGN.md 7, STYLE.md: set the broker first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Middleware
from tortoise.context import TortoiseContext, _current_context

from detalka.adapters import metrics
from detalka.adapters.events import EventBus, publish_quietly
from detalka.adapters.logs import request_id
from detalka.adapters.sms import SmsSender
from detalka.adapters.storage import Storage
from detalka.clock import Clock
from detalka.db import tortoise_config
from detalka.resolvers import webhook_sending
from detalka.resolvers.delivery import MailSetup
from detalka.resolvers.webhook_sending import WebhookSetup
from detalka.settings import DEFAULT_SECRET, Settings

log = logging.getLogger(__name__)
ActorBody = Callable[..., Awaitable[None]]
M = TypeVar("M", bound=Middleware)


@dataclass(frozen=True)
class Dependencies:
    """What the actors of one broker use. One process may hold several brokers (the tests
    do: each app with its own clock, SMTP server and data dir), so these are per broker,
    never module globals."""

    broker: dramatiq.Broker
    clock: Clock
    storage: Storage
    mail: MailSetup
    sms: SmsSender
    events: EventBus
    document_ttl: timedelta
    lease: timedelta = timedelta(seconds=30)  # of a render, renewed by its heartbeat
    webhooks: WebhookSetup = field(default_factory=lambda: WebhookSetup(DEFAULT_SECRET))

    async def notify(self, subscriber_id: int, order_id: int) -> None:
        """Told after each committed change of an order: wakes its subscribers up and sends
        the webhooks that the change wrote (their outbox rows committed with it)."""
        await publish_quietly(self.events, subscriber_id, order_id)
        await self.send_webhooks(order_id)

    async def wake(self, subscriber_id: int, order_id: int) -> None:
        """Told after a committed change that wrote no webhook event (a render's claim and
        progress): the followers' wake-up alone, without looking for webhooks to send."""
        await publish_quietly(self.events, subscriber_id, order_id)

    async def send_webhooks(self, order_id: int) -> None:
        try:
            unsent = await webhook_sending.unsent_for_order(order_id, self.clock.now())
            for delivery_id in unsent:
                await send(self.broker.get_actor("send_webhook"), delivery_id)
        except Exception:  # the broker is away: the scheduler's round sends them
            log.warning("could not send the webhooks of order %s", order_id, exc_info=True)


_dependencies: ContextVar[Dependencies] = ContextVar("detalka_job_dependencies")


def current() -> Dependencies:
    """The dependencies of the broker whose actor is running in this task."""
    try:
        return _dependencies.get()
    except LookupError:
        raise RuntimeError("an actor body runs outside in_worker_database") from None


class WorkerDependencies(Middleware):
    """Holds a broker's Dependencies: dramatiq's place for what belongs to one broker."""

    def __init__(self, dependencies: Dependencies) -> None:
        self.dependencies = dependencies


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


class Observed(Middleware):
    """Per message: the request id of whoever sent it (message options) made current while
    it runs, and the worker's metrics (outcome, duration, in progress)."""

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: Any) -> None:
        rid = request_id.get()
        if rid is not None:
            message.options.setdefault("request_id", rid)

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        request_id.set(message.options.get("request_id"))
        message.options["_started"] = time.monotonic()
        metrics.MESSAGES_IN_PROGRESS.labels(message.actor_name).inc()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        actor = message.actor_name
        metrics.MESSAGES_IN_PROGRESS.labels(actor).dec()
        metrics.MESSAGES.labels(actor, "ok" if exception is None else "error").inc()
        started = message.options.pop("_started", None)
        if started is not None:
            metrics.MESSAGE_SECONDS.labels(actor).observe(time.monotonic() - started)
        request_id.set(None)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self.after_process_message(broker, message)


def make_broker(settings: Settings) -> dramatiq.Broker:
    scheme = urlsplit(settings.broker_url).scheme
    broker: dramatiq.Broker
    if scheme == "memory":
        broker = StubBroker()
        broker.emit_after("process_boot")
    elif scheme in {"redis", "rediss"}:
        from dramatiq.brokers.redis import RedisBroker

        # A killed worker's messages go back to the queue once its heartbeat is 15 s old
        # (60 s by default), found by the maintenance that one command in ten now runs
        # (one in a thousand by default, which made it ~70 s).
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.broker_url, heartbeat_timeout=15_000, maintenance_chance=100_000
        )
    else:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=settings.broker_url)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(WorkerDatabase(settings))
    broker.add_middleware(Observed())
    return broker


def in_worker_database(broker: dramatiq.Broker, fn: ActorBody) -> ActorBody:
    """Wrap an actor body so that it runs with the worker's Tortoise context and its
    broker's Dependencies current."""
    database = _middleware(broker, WorkerDatabase)

    async def run(*args: Any, **kwargs: Any) -> None:
        if database.context is None:
            raise RuntimeError("the worker's database is not open")
        # The private context variable is the only per-task handle tortoise offers;
        # a task's context copy keeps concurrent actors apart. Ours works the same way.
        _current_context.set(database.context)
        _dependencies.set(_middleware(broker, WorkerDependencies).dependencies)
        await fn(*args, **kwargs)

    run.__name__ = fn.__name__
    run.__qualname__ = fn.__qualname__
    return run


def _middleware(broker: dramatiq.Broker, kind: type[M]) -> M:
    found = next((m for m in broker.middleware if isinstance(m, kind)), None)
    if found is None:
        raise RuntimeError(f"the broker has no {kind.__name__}")
    return found


async def send(actor: dramatiq.Actor[Any, Any], *args: Any) -> None:
    """Send off the event loop: a real broker's send is blocking network I/O."""
    await asyncio.to_thread(actor.send, *args)


async def enqueue(body: ActorBody, *args: Any) -> None:
    """From inside an actor: send a message to another actor of the same broker."""
    await send(current().broker.get_actor(body.__name__), *args)


class WorkerProcess:
    """A Dramatiq worker in this process: the embedded mode's, a test's, or ``detalka worker``.

    ``queues`` limits what it consumes (all when None). Leaving, it stops taking messages,
    lets those in progress finish for up to ``shutdown_timeout_s`` and puts the prefetched
    ones back; a render cut off past that is taken over once its lease runs out.
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        threads: int = 2,
        *,
        queues: set[str] | None = None,
        shutdown_timeout_s: float = 600,
    ) -> None:
        self.worker = dramatiq.Worker(
            broker, queues=queues, worker_threads=threads, worker_timeout=100
        )
        self.shutdown_timeout_ms = int(shutdown_timeout_s * 1000)

    def __enter__(self) -> dramatiq.Worker:
        self.worker.start()
        return self.worker

    def __exit__(self, *exc: object) -> None:
        self.worker.stop(timeout=self.shutdown_timeout_ms)

    # In a coroutine (the embedded mode's app, a test): stopping joins the worker's threads,
    # and an actor in progress may be waiting on this very event loop (a database connection
    # opened on it), so the join runs in a thread and the loop keeps serving meanwhile.
    async def __aenter__(self) -> dramatiq.Worker:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.__exit__, *exc)
