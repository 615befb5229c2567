"""What an operator sees: /metrics from the API and a worker, /readyz naming what is away,
a request id carried from the request into the messages it sends, JSON log lines, and an
events channel of the deployment's own."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dramatiq
import httpx

from detalka.adapters.events import channel_name, event_bus
from detalka.adapters.logs import JsonFormatter, request_id
from detalka.jobs import probes, worker_http
from detalka.jobs.app import Jobs
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import free_port
from tests.factories import NOW, MovableClock, subscriber_with_history
from tests.ordering import open_ordering


async def test_the_api_serves_metrics_and_names_each_dependency_in_readyz(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async for ordering in open_ordering(settings, subscriber, clock, jobs):
        # given an order placed by a named operation, with a request id from the proxy
        response = await ordering.post(
            "mutation Place($i: DetailOrderInput!) "
            "{ detailOrderCreate(input: $i) { order { id } } }",
            {
                "i": {
                    "period": {"from": "2026-10-01", "to": "2026-10-31"},
                    "format": "CSV",
                    "delivery": "ARCHIVE",
                }
            },
            headers={"X-Request-ID": "req-42"},
            operation_name="Place",
        )
        assert response.headers["x-request-id"] == "req-42"
        # then its render message carries the request id to the worker
        (queued,) = list(jobs.broker.queues["render"].queue)
        assert dramatiq.Message.decode(queued).options["request_id"] == "req-42"
        # and /metrics shows the operation, the orders by status and the queue depth
        scraped = (await ordering.http.get("/metrics")).text
        assert 'detalka_graphql_requests_total{operation="Place",outcome="ok"}' in scraped
        assert 'detalka_orders{status="PENDING"}' in scraped
        assert 'detalka_queue_depth{queue="render"} 1.0' in scraped
        assert "detalka_graphql_request_seconds_bucket" in scraped
        # and /readyz answers for the database, broker, events and storage
        ready = await ordering.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ok",
            "database": "ok",
            "broker": "ok",
            "events": "ok",
            "storage": "ok",
        }
    jobs.broker.close()


async def test_readyz_says_503_and_why_when_the_events_bus_is_away(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(
        update={"data_dir": tmp_path, "events_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    app = create_app(settings, open_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert "ConnectionError" in body["events"] or "Error" in body["events"]


def test_a_worker_serves_its_metrics_and_health_on_a_port(tmp_path: Path) -> None:
    jobs = Jobs.for_settings(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    port = free_port()
    server = worker_http.serve(jobs.broker, "127.0.0.1", port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'detalka_queue_depth{queue="sms"} 0.0' in scraped
        assert "detalka_messages_total" in scraped
    finally:
        server.shutdown()
        jobs.broker.close()


def test_log_lines_are_json_with_the_request_id() -> None:
    record = logging.LogRecord("detalka.x", logging.INFO, __file__, 1, "order %s", (7,), None)
    token = request_id.set("abc123")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "order 7" and line["request_id"] == "abc123"
    assert line["level"] == "info" and line["time"].endswith("+00:00")


def test_the_events_channel_is_the_deployments_own() -> None:
    assert channel_name("redis://127.0.0.1:6379/3") == "detalka:3:order-events"
    assert channel_name("redis://127.0.0.1:6379", "staging") == "staging:0:order-events"
    bus = event_bus("redis://127.0.0.1:6379/5", "blue")
    assert bus.channel == "blue:5:order-events"  # type: ignore[union-attr]


async def test_the_broker_probe_answers_for_rabbitmq_named_by_one_url(
    amqp_url: str, tmp_path: Path
) -> None:
    # given the broker of the compose layout: RabbitMQ named by one DETALKA_BROKER_URL
    settings = Settings(data_dir=tmp_path, broker_url=amqp_url, _env_file=None)  # type: ignore[call-arg]
    jobs = Jobs.for_settings(settings)
    try:
        # when a worker about to start (or /readyz) asks it, it answers
        assert await probes.run({"broker": probes.broker_probe(jobs.broker)}) == {"broker": "ok"}
        # and asking leaves the broker's own connection settings alone
        assert jobs.broker.parameters.socket_timeout != probes.PROBE_TIMEOUT_S  # type: ignore[attr-defined]
    finally:
        jobs.broker.close()
