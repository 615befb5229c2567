"""Queues per kind: an SMS never waits behind renders; a worker consumes the queues it is
given (`detalka worker --queues`)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from detalka.jobs import actors
from detalka.jobs.app import Jobs
from detalka.jobs.registry import ALL_QUEUES, QUEUES
from detalka.jobs.runtime import WorkerProcess
from detalka.models import DetailOrder
from detalka.settings import Settings
from tests.factories import NOW, MovableClock, subscriber_with_history
from tests.ordering import global_id, open_ordering, pk_of


def test_sms_email_and_rendering_each_have_a_queue_of_their_own() -> None:
    queues = {QUEUES[a] for a in (actors.send_sms, actors.deliver_detail_order)}
    assert len(queues | {QUEUES[actors.render_detail_order]}) == 3
    assert set(ALL_QUEUES) == {"render", "mail", "sms", "housekeeping"}


async def test_a_worker_consumes_only_the_queues_it_is_given(db: Settings, tmp_path: Path) -> None:
    # given an order waiting in the render queue
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    assert jobs.render.queue_name == "render" and jobs.sms.queue_name == "sms"
    subscriber = await subscriber_with_history()
    async for ordering in open_ordering(settings, subscriber, clock, jobs):
        order_id = pk_of((await ordering.create())["order"]["id"])
        # when a worker of the sms and mail queues runs, the render is not its business
        async with WorkerProcess(jobs.broker, queues={"sms", "mail"}, shutdown_timeout_s=20):
            await asyncio.to_thread(jobs.broker.join, "sms")
            assert (await DetailOrder.get(id=order_id)).status == "PENDING"
            assert jobs.broker.queues["render"].qsize() == 1
        # then a render worker takes it
        async with WorkerProcess(jobs.broker, queues={"render"}, shutdown_timeout_s=20):
            await ordering.wait_for(global_id("DetailOrder", order_id), "READY")
    jobs.broker.close()


def test_an_unknown_queue_is_refused_at_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "detalka", "worker", "--queues", "render,videos"],
        env={"PATH": "/usr/bin:/bin", "DETALKA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown queue(s) videos" in result.stderr
