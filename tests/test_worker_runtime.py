"""The worker's own database context: open before any actor can run, never borrowed."""

from __future__ import annotations

from pathlib import Path

import dramatiq
import pytest

from detalka.jobs.runtime import WorkerDatabase, in_worker_database, make_broker
from tests.conftest import make_settings


def test_the_worker_database_is_open_before_the_worker_threads_start(tmp_path: Path) -> None:
    # given a broker as the app makes it
    broker = make_broker(make_settings(tmp_path))
    database = next(m for m in broker.middleware if isinstance(m, WorkerDatabase))
    worker = dramatiq.Worker(broker, worker_threads=1)
    # when the hooks that run before the worker threads start have run
    broker.emit_before("worker_boot", worker)
    try:
        # then the context is there already: a queued message cannot fall back to
        # the API's context (another loop) and leak its connection
        assert database.context is not None
    finally:
        broker.emit_before("worker_shutdown", worker)
        broker.emit_after("worker_shutdown", worker)
    assert database.context is None


async def test_an_actor_body_refuses_to_run_without_the_worker_database(tmp_path: Path) -> None:
    broker = make_broker(make_settings(tmp_path))

    async def body() -> str:
        return "ran"

    with pytest.raises(RuntimeError, match="database is not open"):
        await in_worker_database(broker, body)()
