"""Done means (issue 13): the whole order flow on PostgreSQL + RabbitMQ + Redis events and
cache + S3 (moto on loopback), with two `detalka api` processes and a worker process per
queue; and a password SMS that goes out while renders are backed up in their own queue."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis

from tests.client import websocket
from tests.cluster import (
    DEMO,
    FOLLOW,
    PASSWORD_REQUEST,
    Client,
    Deployment,
    deployment,
    pk_of,
    purge_amqp,
    sha256,
)

pytestmark = [pytest.mark.postgres, pytest.mark.cluster]


@pytest.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    amqp = os.environ.get("DETALKA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    events = os.environ.get("DETALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        purge_amqp(amqp)
        redis.Redis.from_url(events).flushdb()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"RabbitMQ or Redis is not reachable: {exc}")
        pytest.skip(f"RabbitMQ or Redis is not reachable: {exc}")
    workdir = tmp_path_factory.mktemp("cluster")
    async with deployment(workdir, amqp, events, DETALKA_SUBSCRIPTION_POLL_SECONDS="2") as up:
        cluster = up.cluster
        await asyncio.gather(
            asyncio.to_thread(cluster.start_api, "api-a"),
            asyncio.to_thread(cluster.start_api, "api-b"),
            asyncio.to_thread(cluster.start_worker, "render", "render", 1),
            asyncio.to_thread(cluster.start_worker, "mail", "mail"),
            asyncio.to_thread(cluster.start_worker, "sms-housekeeping", "sms,housekeeping"),
        )
        cluster.start_scheduler("scheduler", every_s=5)
        yield up


async def _signed_in(up: Deployment) -> tuple[Client, Client]:
    a = Client(up.cluster.processes["api-a"].address)
    b = Client(up.cluster.processes["api-b"].address, await a.sign_in())
    return a, b


async def test_an_order_placed_on_one_api_is_seen_ready_on_the_other_and_downloaded(
    running: Deployment,
) -> None:
    a, b = await _signed_in(running)
    async with websocket(b.address) as ws:
        # given a client following all its orders on API B
        await ws.init(b.token)
        await ws.subscribe("all", FOLLOW, {})
        # when it orders an email delivery on API A
        order = await a.create(format="XLSX", delivery="EMAIL", email="demo@example.com")
        seen: list[str] = []
        while "READY" not in seen:
            message = await ws.receive(timeout_s=60)
            update = message["payload"]["data"]["detailOrderUpdated"]
            if update["id"] == order["id"]:
                seen.append(update["status"])
    # then B's socket told it READY, and B serves the file, which lives only in the bucket
    assert seen[-1] == "READY" and set(seen) <= {"PENDING", "RENDERING", "READY"}
    ready = await b.order(order["id"])
    response = await b.download(ready["document"]["downloadUrl"])
    assert response.status_code == 200
    assert sha256(response.content) == ready["document"]["sha256"]
    assert len(response.content) == ready["document"]["sizeBytes"]
    assert response.content[:2] == b"PK"  # an XLSX is a zip
    # and the email went out once
    deadline = time.monotonic() + 60
    while (await a.order(order["id"]))["deliveryStatus"] != "SENT":
        assert time.monotonic() < deadline, "the email was not sent"
        await asyncio.sleep(0.2)
    inbox = running.smtp.inbox
    assert [m["To"] for m in inbox.messages] == ["demo@example.com"]
    await a.close()
    await b.close()


async def test_a_password_sms_goes_out_while_renders_wait_in_their_queue(
    running: Deployment,
) -> None:
    a, b = await _signed_in(running)
    # given 20 renders queued for the one render worker (one thread)
    ids = [(await a.create(format="PDF"))["id"] for _ in range(20)]
    # when a password is asked for by SMS
    before = len(running.sms.received)
    asked = time.monotonic()
    await b.call(PASSWORD_REQUEST, {"i": {"msisdn": DEMO["msisdn"]}})
    while len(running.sms.received) == before:
        assert time.monotonic() - asked < 5, "no SMS within 5 s"
        await asyncio.sleep(0.02)
    # then it arrived within 5 s, while renders were still waiting or rendering
    arrived, sent = running.sms.received[before]
    connection = await asyncpg.connect(running.database_url)
    try:
        statuses = await connection.fetch(
            "SELECT status FROM detail_order WHERE id = ANY($1::int[])", [pk_of(i) for i in ids]
        )
    finally:
        await connection.close()
    unfinished = [r["status"] for r in statuses if r["status"] in {"PENDING", "RENDERING"}]
    assert unfinished, "every render had finished: the SMS proved nothing"
    assert sent["to"] == DEMO["msisdn"] and arrived - asked < 5
    print(f"SMS after {arrived - asked:.2f} s; {len(unfinished)} of 20 renders unfinished")
    # and the renders all finish
    await a.wait_ready(ids, deadline_s=240)
    await a.close()
    await b.close()
