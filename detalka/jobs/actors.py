"""The actors, registered on a broker: ids in, idempotent bodies, the database as the truth."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq

from detalka.adapters.events import EventBus, event_bus, publish_quietly
from detalka.adapters.mailer import Mailer, mailer_for
from detalka.adapters.sms import SmsSender, sms_sender
from detalka.adapters.storage import FileStorage
from detalka.clock import Clock, SystemClock
from detalka.jobs.runtime import in_worker_database, make_broker, send
from detalka.resolvers import delivery, rendering, scheduling
from detalka.resolvers.orders import dispatch
from detalka.resolvers.sign_in import send_challenge_sms
from detalka.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    """The broker and its actors; ``enqueue_render`` is what the API calls after a commit."""

    broker: dramatiq.Broker
    render: dramatiq.Actor[Any, Any]
    sms: dramatiq.Actor[Any, Any]
    deliver: dramatiq.Actor[Any, Any]
    run_schedules: dramatiq.Actor[Any, Any]
    purge: dramatiq.Actor[Any, Any]
    reap: dramatiq.Actor[Any, Any]
    events: EventBus

    async def enqueue_render(self, order_id: int) -> None:
        await send(self.render, order_id)

    async def enqueue_sms(self, challenge_id: int) -> None:
        await send(self.sms, challenge_id)

    async def housekeeping(self) -> None:
        """The minutely messages: due schedules, stuck orders, expired documents."""
        await send(self.run_schedules)
        await send(self.reap)
        await send(self.purge)


def create_jobs(
    settings: Settings,
    clock: Clock | None = None,
    *,
    mailer: Mailer | None = None,
    events: EventBus | None = None,
    sms: SmsSender | None = None,
) -> Jobs:
    broker = make_broker(settings)
    storage = FileStorage(settings.files_dir)
    clock = clock or SystemClock()
    bus: EventBus = events or event_bus(settings.events_url)
    mail = delivery.MailSetup(
        mailer=mailer or mailer_for(settings.smtp_url, settings.outbox_dir),
        storage=storage,
        sender=settings.mail_from,
        public_url=settings.public_url,
    )
    ttl = timedelta(hours=settings.document_ttl_hours)
    sms_gateway = sms or sms_sender(settings.sms_gateway_url, settings.outbox_dir)

    async def notify(subscriber_id: int, order_id: int) -> None:
        await publish_quietly(bus, subscriber_id, order_id)

    async def enqueue_render(order_id: int) -> None:
        await send(render, order_id)

    async def send_delivery(order_id: int) -> None:
        try:
            await send(deliver, order_id)
        except Exception:  # the broker is down: the reaper resends it
            log.warning("could not send the delivery of order %s", order_id, exc_info=True)

    async def render_detail_order(order_id: int) -> None:
        await rendering.render_order(
            order_id,
            storage=storage,
            now=clock.now(),
            document_ttl=ttl,
            notify=notify,
            deliver=send_delivery,
        )

    async def send_sms(challenge_id: int) -> None:
        await send_challenge_sms(challenge_id, sms_gateway, clock.now())

    async def deliver_detail_order(order_id: int) -> None:
        outcome = await delivery.deliver_order(order_id, mail, clock.now(), notify)
        log.info("email of order %s: %s", order_id, outcome)

    async def run_due_schedules() -> None:
        # Like an order placed through the API: sent after the commit, the reaper as backup.
        for order in await scheduling.run_due_schedules(clock.now(), notify=notify):
            await dispatch(order, enqueue_render, clock.now())

    async def purge_expired_documents() -> None:
        purged = await rendering.purge_expired_documents(storage, clock.now(), notify)
        if purged:
            log.info("purged %d expired documents", purged)

    async def reap_stuck_orders() -> None:
        now = clock.now()
        for order_id in await rendering.orders_to_resend(now):
            log.warning("re-sending stuck order %s", order_id)
            await send(render, order_id)
        for order_id in await delivery.deliveries_to_resend(now):
            log.warning("re-sending the email of order %s", order_id)
            await send(deliver, order_id)

    def register(fn: Any, **options: Any) -> dramatiq.Actor[Any, Any]:
        decorate = dramatiq.actor(broker=broker, actor_name=fn.__name__, **options)
        actor: dramatiq.Actor[Any, Any] = decorate(in_worker_database(broker, fn))
        return actor

    # Rendering failures are recorded on the order (FAILED), so a retry is for a lost worker.
    render = register(
        render_detail_order, max_retries=3, min_backoff=1_000, time_limit=30 * 60 * 1000
    )
    # A failed gateway is retried twice, soon: the password is only good for 10 minutes.
    sms_actor = register(send_sms, max_retries=2, min_backoff=2_000, time_limit=60 * 1000)
    # A temporary SMTP failure raises RetryLater: backoff from 30 s up to 10 min; the
    # attempts are counted on the EmailDelivery row, which gives up after MAX_ATTEMPTS.
    deliver = register(
        deliver_detail_order,
        min_backoff=30_000,
        max_backoff=10 * 60 * 1000,
        retry_when=_delivery_retry,
        time_limit=5 * 60 * 1000,
    )
    run_schedules = register(run_due_schedules, max_retries=0, time_limit=10 * 60 * 1000)
    purge = register(purge_expired_documents, max_retries=0, time_limit=10 * 60 * 1000)
    reap = register(reap_stuck_orders, max_retries=0, time_limit=60 * 1000)
    return Jobs(broker, render, sms_actor, deliver, run_schedules, purge, reap, bus)


def _delivery_retry(retries: int, exc: BaseException) -> bool:
    # SMTP trouble is retried up to MAX_ATTEMPTS (the row counts and then gives up);
    # anything else (a lost database connection) a few times.
    return retries < (delivery.MAX_ATTEMPTS if isinstance(exc, delivery.RetryLater) else 3)
