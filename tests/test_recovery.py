"""Recovery in seconds: a short render lease renewed by a heartbeat, infrastructure errors
retried instead of failing the order, times taken when each write happens, a worker that
will not start without its database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from detalka.adapters.storage import FileStorage
from detalka.adapters.transient import is_transient
from detalka.clock import SystemClock
from detalka.models import DetailOrder, Document
from detalka.resolvers.render_lease import LeaseHeld
from detalka.resolvers.rendering import render_order
from detalka.settings import Settings
from tests.factories import NOW, MovableClock, october_order, subscriber_with_history

TTL = timedelta(hours=72)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


class FailingStore(FileStorage):
    """A store that is away for its first ``failures`` saves, as an S3 outage looks."""

    def __init__(self, root: Path, failures: int) -> None:
        super().__init__(root)
        self.failures = failures

    def commit(self, temporary: Path, key: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the store is away")
        super().commit(temporary, key)


async def test_a_render_whose_worker_died_is_taken_over_once_its_short_lease_ran_out(
    db: Settings, tmp_path: Path
) -> None:
    # given an order a dead worker claimed 31 seconds ago (its heartbeat stopped then)
    clock = MovableClock(NOW)
    order = await october_order(await subscriber_with_history(), status="RENDERING", attempts=1)
    await DetailOrder.filter(id=order.id).update(updated_at=NOW - timedelta(seconds=10))
    store = FileStorage(tmp_path)
    # when the message comes back while the lease is fresh, it is to be retried later
    with pytest.raises(LeaseHeld):
        await render_order(order.id, storage=store, clock=clock, document_ttl=TTL)
    # and once the lease has run out, the redelivered message renders it
    clock.advance(seconds=21)
    assert await render_order(order.id, storage=store, clock=clock, document_ttl=TTL)
    done = await DetailOrder.get(id=order.id)
    assert (done.status, done.attempts) == ("READY", 2)


async def test_a_render_longer_than_its_lease_is_never_run_twice(
    db: Settings, tmp_path: Path
) -> None:
    # given a render held up after its claim until the test lets it go
    subscriber = await subscriber_with_history()
    order = await october_order(subscriber)
    lease = timedelta(seconds=0.6)
    started, go_on = asyncio.Event(), asyncio.Event()
    clock = SystemClock()

    async def slow(subscriber_id: int, order_id: int) -> None:
        started.set()
        await go_on.wait()

    first = asyncio.create_task(
        render_order(
            order.id,
            storage=FileStorage(tmp_path),
            clock=clock,
            document_ttl=TTL,
            lease=lease,
            notify=slow,
        )
    )
    await started.wait()
    # when a second message for it arrives after two leases' time (the time must pass:
    # what is tested is that the heartbeat kept the lease fresh meanwhile)
    await asyncio.sleep(2 * lease.total_seconds())
    with pytest.raises(LeaseHeld):
        await render_order(
            order.id, storage=FileStorage(tmp_path), clock=clock, document_ttl=TTL, lease=lease
        )
    go_on.set()
    # then the first render finishes alone: one claim, one document
    assert await first
    done = await DetailOrder.get(id=order.id)
    assert (done.status, done.attempts) == ("READY", 1)
    assert await Document.filter(order_id=order.id).count() == 1


async def test_an_infrastructure_failure_is_retried_and_never_fails_the_order(
    db: Settings, tmp_path: Path
) -> None:
    # given a store that is away for the first save
    clock = MovableClock(NOW)
    order = await october_order(await subscriber_with_history())
    store = FailingStore(tmp_path, failures=1)
    # when the render meets it, the error goes to Dramatiq (a retry) and the order waits
    with pytest.raises(ConnectionError) as raised:
        await render_order(order.id, storage=store, clock=clock, document_ttl=TTL)
    assert is_transient(raised.value)
    waiting = await DetailOrder.get(id=order.id)
    assert (waiting.status, waiting.failure_reason) == ("PENDING", None)
    assert not _files(tmp_path), "no file is left behind"
    # then the retry renders it
    assert await render_order(order.id, storage=store, clock=clock, document_ttl=TTL)
    assert (await DetailOrder.get(id=order.id)).status == "READY"


async def test_bad_data_still_fails_the_order_at_once(db: Settings, tmp_path: Path) -> None:
    clock = MovableClock(NOW)
    order = await october_order(await subscriber_with_history(), sections=["NO_SUCH_SECTION"])
    made = await render_order(
        order.id, storage=FileStorage(tmp_path), clock=clock, document_ttl=TTL
    )
    failed = await DetailOrder.get(id=order.id)
    assert not made and failed.status == "FAILED" and failed.failure_reason


async def test_ready_and_expiry_are_taken_when_the_render_ends_not_when_it_began(
    db: Settings, tmp_path: Path
) -> None:
    # given a render during which a minute passes (the clock moves at each progress report)
    clock = MovableClock(NOW)
    order = await october_order(await subscriber_with_history())

    async def a_minute_passes(subscriber_id: int, order_id: int) -> None:
        clock.advance(seconds=30)

    await render_order(
        order.id,
        storage=FileStorage(tmp_path),
        clock=clock,
        document_ttl=TTL,
        notify=a_minute_passes,
    )
    done = await DetailOrder.get(id=order.id)
    document = await Document.get(order_id=order.id)
    # then READY, the document and its expiry carry the moment it was done
    assert done.ready_at is not None and done.ready_at > NOW
    assert document.created_at == done.ready_at
    assert document.expires_at == done.ready_at + TTL == done.expires_at


def test_a_worker_without_its_database_does_not_start(tmp_path: Path) -> None:
    # given a database nobody listens to
    env = {
        "PATH": "/usr/bin:/bin",
        "DETALKA_DATA_DIR": str(tmp_path),
        "DETALKA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    # when a worker starts, it waits a second, then stops, saying why, consuming nothing
    result = subprocess.run(
        [sys.executable, "-m", "detalka", "worker", "--wait", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot reach database" in result.stderr
    assert "Worker up" not in result.stdout


def test_a_connection_left_mid_protocol_by_a_terminated_backend_is_transient() -> None:
    # Seen in tests/test_faults.py: after pg_terminate_backend a pooled connection answered
    # this, and the order it was rendering went FAILED for good.
    broken = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    try:
        raise RuntimeError("wrapped by the ORM") from broken
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(ValueError("bad data"))
