"""Prometheus metrics of one process (API or worker), in prometheus-client's default
registry. Counters and histograms are updated where things happen; gauges of state held
elsewhere (orders by status, queue depth) are set just before a scrape."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "detalka_graphql_requests_total",
    "GraphQL operations by name and outcome (ok, error).",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "detalka_graphql_request_seconds",
    "Time to answer a GraphQL operation over HTTP.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPEN_SOCKETS = Gauge("detalka_websockets_open", "WebSocket connections open in this process.")
ORDERS = Gauge("detalka_orders", "Detail orders by status (read at scrape time).", ["status"])
QUEUE_DEPTH = Gauge(
    "detalka_queue_depth", "Messages waiting in a broker queue (read at scrape time).", ["queue"]
)
RENDER_SECONDS = Histogram(
    "detalka_render_seconds",
    "Time to render a report, claim to READY.",
    ["format"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
RENDER_ROWS_PER_SECOND = Histogram(
    "detalka_render_rows_per_second",
    "Rows written per second by a finished render.",
    ["format"],
    buckets=(100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000),
)
DELIVERY_FAILURES = Counter(
    "detalka_delivery_failures_total",
    "Email delivery attempts that failed, by kind (temporary, permanent, given_up).",
    ["kind"],
)
MESSAGES = Counter(
    "detalka_messages_total",
    "Dramatiq messages processed by this worker, by actor and outcome (ok, error, retry).",
    ["actor", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "detalka_message_seconds",
    "Time an actor took on a message.",
    ["actor"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)
MESSAGES_IN_PROGRESS = Gauge(
    "detalka_messages_in_progress", "Messages being processed by this worker.", ["actor"]
)
ENQUEUE_FAILURES = Counter(
    "detalka_enqueue_failures_total",
    "Messages that could not be sent to the broker (the reaper re-sends them).",
    ["actor"],
)
WEBHOOK_ATTEMPTS = Counter(
    "detalka_webhook_attempts_total",
    "Webhook attempts by outcome (succeeded, retrying, failed) and endpoints disabled "
    "(endpoint_disabled).",
    ["outcome"],
)
