"""The claim on an order being rendered: short, renewed by a heartbeat, fenced by a token.

A worker claims a PENDING order, or a RENDERING one whose lease ran out (its worker died),
by one conditional update that also bumps ``attempts``: the new value is the claim's token.
While the render runs, a heartbeat renews the lease every third of it; every write of the
render (progress, READY) names the token, so a worker that lost its claim (paused longer
than the lease, then another took over, or the order was canceled) changes nothing and
stops at its next progress report. So a dead worker's order
is taken over a lease after its last heartbeat (30 s by default, not 15 minutes), and a long
render, whose lease stays fresh, is never run twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import F, Q

from detalka.clock import Clock
from detalka.models import DetailOrder
from detalka.models.enums import DetailOrderStatus

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
# A render that failed for the infrastructure this often (each claim counts) is given up:
# a "transient" error that never passes must not loop between the retries and the reaper.
MAX_ATTEMPTS = 10


class LeaseHeld(Exception):
    """Another worker renders this order and its lease is fresh: retry the message later
    (the render may die, and then this message takes it over)."""


class LeaseLost(Exception):
    """The claim is no longer ours: the order was canceled or another worker took it."""


@dataclass(frozen=True)
class Claim:
    order: DetailOrder
    token: int  # the order's ``attempts`` after this claim

    def mine(self) -> Q:
        """The filter of writes that hold only while the claim is ours."""
        return Q(id=self.order.id, status=DetailOrderStatus.RENDERING, attempts=self.token)


async def claim(order_id: int, clock: Clock, lease: timedelta = LEASE) -> Claim | None:
    """The claim, or None when the order is not to be rendered (done, canceled, gone).

    Raises LeaseHeld when another worker's lease on it is still fresh.
    """
    now = clock.now()
    taken = await DetailOrder.filter(
        Q(id=order_id)
        & (
            Q(status=DetailOrderStatus.PENDING)
            | Q(status=DetailOrderStatus.RENDERING, updated_at__lt=now - lease)
        )
    ).update(
        status=DetailOrderStatus.RENDERING, progress=0.0, attempts=F("attempts") + 1, updated_at=now
    )
    order = await DetailOrder.get_or_none(id=order_id)
    if order is None:
        return None
    if not taken:
        if order.status == DetailOrderStatus.RENDERING:
            raise LeaseHeld(f"order {order_id} is being rendered elsewhere")
        return None
    return Claim(order, order.attempts)


async def renew(claim: Claim, clock: Clock) -> None:
    """Push the lease on; LeaseLost when the claim is no longer ours."""
    if not await DetailOrder.filter(claim.mine()).update(updated_at=clock.now()):
        raise LeaseLost


async def release(claim: Claim, clock: Clock) -> None:
    """Give the order back (PENDING) after an infrastructure failure, for the retry to claim
    at once; when even that fails, the lease runs out and the retry claims it then."""
    try:
        await DetailOrder.filter(claim.mine()).update(
            status=DetailOrderStatus.PENDING, progress=0.0, updated_at=clock.now()
        )
    except Exception:
        log.warning("could not release order %s; its lease runs out", claim.order.id)


class Heartbeat:
    """Whether the claim still holds, as the last renewal found; the render looks at each
    progress report (no cancellation from outside: a write is never cut in half)."""

    def __init__(self) -> None:
        self.lost = False

    def check(self) -> None:
        if self.lost:
            raise LeaseLost


@asynccontextmanager
async def heartbeat(claim: Claim, clock: Clock, lease: timedelta) -> AsyncIterator[Heartbeat]:
    """Renew the lease every third of it while the body runs."""
    state = Heartbeat()

    async def beat() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                await renew(claim, clock)
            except LeaseLost:
                state.lost = True
                return
            except Exception:  # the database is away: try again; the fence guards the rest
                log.warning("order %s: could not renew the lease", claim.order.id)

    beating = asyncio.create_task(beat(), name=f"lease-{claim.order.id}")
    try:
        yield state
    finally:
        beating.cancel()
