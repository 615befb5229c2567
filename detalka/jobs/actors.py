"""The actors, registered on a broker: ids in, idempotent bodies, the database as the truth."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq

from detalka.adapters.storage import FileStorage
from detalka.clock import Clock, SystemClock
from detalka.jobs import rendering
from detalka.jobs.runtime import in_worker_database, make_broker, send
from detalka.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    """The broker and its actors; ``enqueue_render`` is what the API calls after a commit."""

    broker: dramatiq.Broker
    render: dramatiq.Actor[Any, Any]
    purge: dramatiq.Actor[Any, Any]
    reap: dramatiq.Actor[Any, Any]

    async def enqueue_render(self, order_id: int) -> None:
        await send(self.render, order_id)


def create_jobs(settings: Settings, clock: Clock | None = None) -> Jobs:
    broker = make_broker(settings)
    storage = FileStorage(settings.files_dir)
    clock = clock or SystemClock()
    ttl = timedelta(hours=settings.document_ttl_hours)

    async def render_detail_order(order_id: int) -> None:
        await rendering.render_order(order_id, storage=storage, now=clock.now(), document_ttl=ttl)

    async def purge_expired_documents() -> None:
        purged = await rendering.purge_expired_documents(storage, clock.now())
        if purged:
            log.info("purged %d expired documents", purged)

    async def reap_stuck_orders() -> None:
        for order_id in await rendering.orders_to_resend(clock.now()):
            log.warning("re-sending stuck order %s", order_id)
            render.send(order_id)

    def register(fn: Any, **options: Any) -> dramatiq.Actor[Any, Any]:
        decorate = dramatiq.actor(broker=broker, actor_name=fn.__name__, **options)
        actor: dramatiq.Actor[Any, Any] = decorate(in_worker_database(broker, fn))
        return actor

    # Rendering failures are recorded on the order (FAILED), so a retry is for a lost worker.
    render = register(
        render_detail_order, max_retries=3, min_backoff=1_000, time_limit=30 * 60 * 1000
    )
    purge = register(purge_expired_documents, max_retries=0, time_limit=10 * 60 * 1000)
    reap = register(reap_stuck_orders, max_retries=0, time_limit=60 * 1000)
    return Jobs(broker, render, purge, reap)
