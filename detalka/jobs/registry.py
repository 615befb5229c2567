"""The registration table: each actor's Dramatiq options, and why; ``register`` declares
them on one broker."""

from __future__ import annotations

from typing import Any

import dramatiq

from detalka.jobs import actors
from detalka.jobs.runtime import ActorBody, Dependencies, WorkerDependencies, in_worker_database
from detalka.resolvers.delivery import MAX_ATTEMPTS, RetryLater

MINUTE = 60 * 1000  # Dramatiq counts in milliseconds


def _delivery_retry(retries: int, exc: BaseException) -> bool:
    # SMTP trouble is retried up to MAX_ATTEMPTS (the row counts and then gives up);
    # anything else (a lost database connection) a few times.
    return retries < (MAX_ATTEMPTS if isinstance(exc, RetryLater) else 3)


# The actor's name (its queue message's name) is the function's name.
ACTORS: dict[ActorBody, dict[str, Any]] = {
    # Rendering failures are recorded on the order (FAILED), so a retry is for a lost worker.
    # A million-row PDF takes minutes: 30 of them is the limit.
    actors.render_detail_order: {
        "max_retries": 3,
        "min_backoff": 1_000,
        "time_limit": 30 * MINUTE,
    },
    # A temporary SMTP failure raises RetryLater: backoff from 30 s up to 10 min; the
    # attempts are counted on the EmailDelivery row, which gives up after MAX_ATTEMPTS.
    actors.deliver_detail_order: {
        "min_backoff": 30_000,
        "max_backoff": 10 * MINUTE,
        "retry_when": _delivery_retry,
        "time_limit": 5 * MINUTE,
    },
    # A failed gateway is retried twice, soon: the password is only good for 10 minutes.
    actors.send_sms: {"max_retries": 2, "min_backoff": 2_000, "time_limit": MINUTE},
    # The housekeeping three are sent every minute: a failed round is not retried, the next
    # round does the same work.
    actors.run_due_schedules: {"max_retries": 0, "time_limit": 10 * MINUTE},
    actors.purge_expired_documents: {"max_retries": 0, "time_limit": 10 * MINUTE},
    actors.reap_stuck_orders: {"max_retries": 0, "time_limit": MINUTE},
}


def register(dependencies: Dependencies) -> None:
    """Declare every actor on ``dependencies.broker``, which then holds the dependencies."""
    broker = dependencies.broker
    broker.add_middleware(WorkerDependencies(dependencies))
    for body, options in ACTORS.items():
        declare = dramatiq.actor(broker=broker, actor_name=body.__name__, **options)
        declare(in_worker_database(broker, body))
