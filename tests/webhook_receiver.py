"""A real webhook receiver on loopback: a stdlib HTTP server on a free port, in a thread,
answering with the status codes a test scripts and recording every request it got."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``answers`` are used in turn, then ``then`` for every later request."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    then: int = 200
    location: str | None = None
    delay_s: float = 0.0  # a slow receiver: the answer waits this long
    received: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)  # TLS SNI seen

    def answer(self) -> int:
        return self.answers.pop(0) if self.answers else self.then

    async def wait_for(self, count: int, deadline_s: float = 30) -> list[Received]:
        deadline = time.monotonic() + deadline_s
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} arrived"
            await asyncio.sleep(0.02)
        return self.received


@contextmanager
def webhook_receiver(
    answers: list[int] | None = None, then: int = 200, tls: ssl.SSLContext | None = None
) -> Iterator[Receiver]:
    """``tls``: serve HTTPS with this server context (the URL then says https://localhost)."""
    receiver = Receiver(answers=list(answers or []), then=then)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body))
            time.sleep(receiver.delay_s)
            self.send_response(receiver.answer())
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{port}/hooks/detalka"
    if tls is not None:
        tls.sni_callback = lambda _socket, name, _context: receiver.server_names.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        receiver.url = f"https://localhost:{port}/hooks/detalka"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
