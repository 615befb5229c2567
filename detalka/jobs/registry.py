"""The registration table: each actor's Dramatiq options, and why; ``register`` declares
them on one broker."""

from __future__ import annotations

from typing import Any

import dramatiq

from detalka.adapters.transient import is_transient
from detalka.jobs import actors
from detalka.jobs.runtime import ActorBody, Dependencies, WorkerDependencies, in_worker_database
from detalka.resolvers.delivery import MAX_ATTEMPTS, RetryLater
from detalka.resolvers.render_lease import LeaseHeld

MINUTE = 60 * 1000  # Dramatiq counts in milliseconds
# The database or broker away: retried with backoff up to a few minutes in all, never
# recorded as the order's failure (a dead-lettered one is re-sent by the reaper).
TRANSIENT_RETRIES = 20


def _render_retry(retries: int, exc: BaseException) -> bool:
    # Another worker's lease is fresh: try again until it finishes or dies (at 10 s
    # apart, 120 tries outlast a 20-minute render); the render's own failures are FAILED.
    if isinstance(exc, LeaseHeld):
        return retries < 120
    return retries < (TRANSIENT_RETRIES if is_transient(exc) else 3)


def _delivery_retry(retries: int, exc: BaseException) -> bool:
    # SMTP trouble is retried up to MAX_ATTEMPTS (the row counts and then gives up).
    if isinstance(exc, RetryLater):
        return retries < MAX_ATTEMPTS
    return retries < (TRANSIENT_RETRIES if is_transient(exc) else 3)


def _transient_retry(retries: int, exc: BaseException) -> bool:
    return retries < 3 and is_transient(exc)


# The actor's name (its queue message's name) is the function's name.
ACTORS: dict[ActorBody, dict[str, Any]] = {
    # Rendering failures of the data are recorded on the order (FAILED); a retry is for the
    # infrastructure (see _render_retry). A million-row PDF takes minutes: 30 is the limit.
    actors.render_detail_order: {
        "min_backoff": 1_000,
        "max_backoff": 10_000,
        "retry_when": _render_retry,
        "time_limit": 30 * MINUTE,
    },
    # A temporary SMTP failure raises RetryLater: backoff from 15 s, capped at 40 s so that
    # an email goes out within 40 s of the server's return (Dramatiq's jitter makes each
    # wait 20-40 s once capped); the attempts are counted on the EmailDelivery row, which
    # gives up after MAX_ATTEMPTS (about 20-25 minutes of trying).
    actors.deliver_detail_order: {
        "min_backoff": 15_000,
        "max_backoff": 40_000,
        "retry_when": _delivery_retry,
        "time_limit": 5 * MINUTE,
    },
    # A failed gateway is retried twice, soon: the password is only good for 10 minutes.
    actors.send_sms: {"max_retries": 2, "min_backoff": 2_000, "time_limit": MINUTE},
    # The housekeeping actors are sent every round: a round failed for its data is not
    # retried (the next round does the same work), one failed for the database soon is.
    actors.run_due_schedules: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": 10 * MINUTE,
    },
    actors.purge_expired_documents: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": 10 * MINUTE,
    },
    actors.reap_stuck_orders: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": MINUTE,
    },
    # Deletes by indexed time columns; like the others, the next round redoes a failed one.
    actors.purge_sign_in_state: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": 5 * MINUTE,
    },
    # A failed attempt is recorded and retried on the webhook schedule by the scheduler's
    # round (next_attempt_at), not by Dramatiq; Dramatiq retries only the database away.
    # An attempt takes 10 s at most (webhook_http.READ_SECONDS).
    actors.send_webhook: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": MINUTE,
    },
    # Months made ahead (three): a failed round is the next one's to do.
    actors.ensure_usage_partitions: {
        "retry_when": _transient_retry,
        "min_backoff": 2_000,
        "time_limit": 10 * MINUTE,
    },
}


# Each kind on a queue of its own, so that a password SMS (good for 10 minutes) never waits
# behind renders, nor an email behind them; `detalka worker --queues` picks what a process
# consumes. The queue is part of the actor: whoever sends (the API, the reaper, the
# scheduler) routes by kind without knowing of queues.
QUEUES: dict[ActorBody, str] = {
    actors.render_detail_order: "render",
    actors.deliver_detail_order: "mail",
    actors.send_sms: "sms",
    actors.run_due_schedules: "housekeeping",
    actors.purge_expired_documents: "housekeeping",
    actors.reap_stuck_orders: "housekeeping",
    actors.purge_sign_in_state: "housekeeping",
    # Webhooks beside emails: both are outbound notifications that wait on someone else's
    # server, never behind renders.
    actors.send_webhook: "mail",
    actors.ensure_usage_partitions: "housekeeping",
}
ALL_QUEUES = sorted(set(QUEUES.values()))


def register(dependencies: Dependencies) -> None:
    """Declare every actor on ``dependencies.broker``, which then holds the dependencies."""
    broker = dependencies.broker
    broker.add_middleware(WorkerDependencies(dependencies))
    for body, options in ACTORS.items():
        declare = dramatiq.actor(
            broker=broker, actor_name=body.__name__, queue_name=QUEUES[body], **options
        )
        declare(in_worker_database(broker, body))
