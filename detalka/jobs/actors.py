"""The actors: ids in, a use case called, the database as the truth (DESIGN.md section 7).

Each body is idempotent (at-least-once delivery) and thin: the work is in
``detalka.resolvers``. The broker's Dependencies (clock, storage, mailer, ...) are current
while a body runs (``runtime.current()``); ``registry`` declares these on a broker.
"""

from __future__ import annotations

import logging

from detalka.jobs.runtime import current, enqueue
from detalka.resolvers import (
    delivery,
    partitions,
    rate_limits,
    rendering,
    scheduling,
    webhook_sending,
)
from detalka.resolvers.orders import dispatch
from detalka.resolvers.sign_in import send_challenge_sms

log = logging.getLogger(__name__)


async def render_detail_order(order_id: int) -> None:
    deps = current()
    await rendering.render_order(
        order_id,
        storage=deps.storage,
        clock=deps.clock,
        document_ttl=deps.document_ttl,
        lease=deps.lease,
        notify=deps.notify,
        deliver=_deliver_later,
        wake=deps.wake,
    )


async def deliver_detail_order(order_id: int) -> None:
    deps = current()
    outcome = await delivery.deliver_order(order_id, deps.mail, deps.clock, deps.notify)
    log.info("email of order %s: %s", order_id, outcome)


async def send_sms(challenge_id: int) -> None:
    deps = current()
    await send_challenge_sms(challenge_id, deps.sms, deps.clock.now())


async def run_due_schedules() -> None:
    deps = current()
    # Like an order placed through the API: sent after the commit, the reaper as backup.
    for order in await scheduling.run_due_schedules(deps.clock.now(), notify=deps.notify):
        await dispatch(order, _render_later, deps.clock.now())


async def purge_expired_documents() -> None:
    deps = current()
    purged = await rendering.purge_expired_documents(deps.storage, deps.clock.now(), deps.notify)
    if purged:
        log.info("purged %d expired documents", purged)


async def purge_sign_in_state() -> None:
    """Expired captchas, sessions, SMS challenges, throttles and rate counters."""
    purged = await rate_limits.purge_sign_in_state(current().clock.now())
    if any(purged.values()):
        log.info("purged sign-in state: %s", purged)


async def ensure_usage_partitions() -> None:
    made = await partitions.ensure_usage_partitions(current().clock.now())
    if made:
        log.info("made %d usage_record partitions", made)


async def reap_stuck_orders() -> None:
    deps = current()
    now = deps.clock.now()
    stuck = await rendering.orders_to_resend(now, deps.lease)
    for order_id in stuck:
        log.warning("re-sending stuck order %s", order_id)
        await enqueue(render_detail_order, order_id)
    await rendering.mark_resent(stuck, now)
    for order_id in await delivery.deliveries_to_resend(now):
        log.warning("re-sending the email of order %s", order_id)
        await enqueue(deliver_detail_order, order_id)
    # Webhook retries that came due, and first attempts whose message was lost.
    for delivery_id in await webhook_sending.due_deliveries(now):
        await enqueue(send_webhook, delivery_id)


async def send_webhook(delivery_id: int) -> None:
    deps = current()
    outcome = await webhook_sending.send_delivery(delivery_id, deps.webhooks, deps.clock)
    log.info("webhook delivery %s: %s", delivery_id, outcome)


async def _render_later(order_id: int) -> None:
    await enqueue(render_detail_order, order_id)


async def _deliver_later(order_id: int) -> None:
    try:
        await enqueue(deliver_detail_order, order_id)
    except Exception:  # the broker is down: the reaper resends it
        log.warning("could not send the delivery of order %s", order_id, exc_info=True)
