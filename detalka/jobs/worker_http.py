"""A worker's own small HTTP server: ``/metrics`` for Prometheus (with the queue depths read
at scrape time) and ``/healthz`` (200 while the worker runs), on ``--metrics-port``."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from detalka.adapters import metrics
from detalka.jobs import probes

log = logging.getLogger(__name__)


def serve(broker: dramatiq.Broker, host: str, port: int) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; ``shutdown()`` the result to stop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._answer(200, b'{"status":"ok"}', "application/json")
            elif self.path == "/metrics":
                try:
                    for queue, depth in probes.queue_depths(broker).items():
                        metrics.QUEUE_DEPTH.labels(queue).set(depth)
                except Exception:  # the broker is away: the other metrics still scrape
                    log.debug("queue depths unavailable", exc_info=True)
                self._answer(200, generate_latest(), CONTENT_TYPE_LATEST)
            else:
                self._answer(404, b"not found", "text/plain")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # scrapes are not news
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server
