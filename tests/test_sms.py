"""SMS adapters: the outbox in the embedded mode, a real HTTP gateway on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from detalka.adapters.sms import HttpSmsSender, OutboxSmsSender, SmsSendError


class Gateway:
    """A real HTTP server that answers each POST with the next status of a script."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                gateway.received.append(json.loads(self.rfile.read(length)))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"

    def __enter__(self) -> Gateway:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_ok() -> Iterator[Gateway]:
    with Gateway([]) as gateway:
        yield gateway


async def test_the_http_gateway_gets_the_message_as_json(gateway_ok: Gateway) -> None:
    await HttpSmsSender(gateway_ok.url).send("+79161234567", "Пароль: abc")
    assert gateway_ok.received == [{"to": "+79161234567", "text": "Пароль: abc"}]


async def test_temporary_gateway_failures_are_retried() -> None:
    with Gateway([503, 502]) as gateway:
        await HttpSmsSender(gateway.url, backoff_s=0.01).send("+79161234567", "x")
    assert len(gateway.received) == 3


async def test_a_refused_message_is_not_retried() -> None:
    with Gateway([400]) as gateway:
        with pytest.raises(SmsSendError, match="400"):
            await HttpSmsSender(gateway.url, backoff_s=0.01).send("+79161234567", "x")
    assert len(gateway.received) == 1


async def test_a_gateway_that_stays_down_is_an_error_after_every_attempt() -> None:
    with Gateway([503, 503, 503]) as gateway:
        with pytest.raises(SmsSendError, match="after 3 attempts"):
            await HttpSmsSender(gateway.url, backoff_s=0.01).send("+79161234567", "x")
    assert len(gateway.received) == 3


async def test_the_outbox_writes_json_lines_and_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = OutboxSmsSender(tmp_path / "outbox")
    await sender.send("+79161234567", "Первое")
    await sender.send("+79161234567", "Второе")
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Первое", "Второе"]
    assert "SMS to +79161234567: Второе" in capsys.readouterr().out
