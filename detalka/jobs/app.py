"""``Jobs``: what the API, the CLI and the tests hold of the job system: a broker with the
actors registered on it, and the few ways to send them a message."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq

from detalka.adapters.events import EventBus, event_bus
from detalka.adapters.mailer import Mailer, mailer_for
from detalka.adapters.sms import SmsSender, sms_sender
from detalka.adapters.storage import Storage
from detalka.adapters.webhook_http import WebhookPoster
from detalka.clock import Clock, SystemClock
from detalka.jobs import actors, probes
from detalka.jobs.registry import register
from detalka.jobs.runtime import ActorBody, Dependencies, make_broker, send
from detalka.resolvers.delivery import MailSetup
from detalka.resolvers.webhook_sending import WebhookSetup
from detalka.settings import Settings, storage_of


@dataclass
class Jobs:
    """The broker and its actors; ``enqueue_render`` is what the API calls after a commit."""

    broker: dramatiq.Broker
    events: EventBus
    storage: Storage

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        *,
        mailer: Mailer | None = None,
        events: EventBus | None = None,
        sms: SmsSender | None = None,
    ) -> Jobs:
        """A new broker with every actor registered; the adapters from the settings unless
        given (tests bring their own clock, SMTP server or SMS sender)."""
        storage = storage_of(settings)
        dependencies = Dependencies(
            broker=make_broker(settings),
            clock=clock or SystemClock(),
            storage=storage,
            mail=MailSetup(
                mailer=mailer or mailer_for(settings.smtp_url, settings.outbox_dir),
                storage=storage,
                sender=settings.mail_from,
                public_url=settings.public_url,
            ),
            sms=sms or sms_sender(settings.sms_gateway_url, settings.outbox_dir),
            events=events or event_bus(settings.events_url, settings.events_prefix),
            document_ttl=timedelta(hours=settings.document_ttl_hours),
            lease=timedelta(seconds=settings.render_lease_seconds),
            webhooks=WebhookSetup(
                secret_key=settings.secret_key.get_secret_value(),
                # Local receivers in development; only public addresses in production.
                poster=WebhookPoster(allow_private=not settings.is_production),
            ),
        )
        register(dependencies)
        return cls(dependencies.broker, dependencies.events, storage)

    def actor(self, body: ActorBody) -> dramatiq.Actor[Any, Any]:
        """The registered actor of a body in ``detalka.jobs.actors``."""
        found: dramatiq.Actor[Any, Any] = self.broker.get_actor(body.__name__)
        return found

    @property
    def render(self) -> dramatiq.Actor[Any, Any]:
        return self.actor(actors.render_detail_order)

    @property
    def deliver(self) -> dramatiq.Actor[Any, Any]:
        return self.actor(actors.deliver_detail_order)

    @property
    def sms(self) -> dramatiq.Actor[Any, Any]:
        return self.actor(actors.send_sms)

    @property
    def reap(self) -> dramatiq.Actor[Any, Any]:
        return self.actor(actors.reap_stuck_orders)

    @property
    def webhook(self) -> dramatiq.Actor[Any, Any]:
        return self.actor(actors.send_webhook)

    async def queue_depths(self) -> dict[str, int]:
        return await asyncio.to_thread(probes.queue_depths, self.broker)

    async def enqueue_render(self, order_id: int) -> None:
        await send(self.render, order_id)

    async def enqueue_sms(self, challenge_id: int) -> None:
        await send(self.sms, challenge_id)

    async def housekeeping(self) -> None:
        """The minutely messages: due schedules, stuck orders, expired documents, spent
        sign-in state, the history's partitions made ahead."""
        for body in (
            actors.run_due_schedules,
            actors.reap_stuck_orders,
            actors.purge_expired_documents,
            actors.purge_sign_in_state,
            actors.ensure_usage_partitions,
        ):
            await send(self.actor(body))
