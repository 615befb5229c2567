"""What was sent: a real SMTP server on loopback (aiosmtpd) whose handler keeps what arrived,
and the development SMS outbox (``data_dir/outbox/sms.jsonl``)."""

from __future__ import annotations

import asyncio
import email
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.client import free_port
from tests.polling import eventually


class Inbox:
    """Keeps every message; refuses ``@refused.example``; can be made slow."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay_s = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay_s)
        parsed = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    """An SMTP server on a free port: its inbox and ``smtp://`` URL."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def sms_outbox(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_sms_password(data_dir: Path, msisdn: str) -> str:
    texts = [m["text"] for m in sms_outbox(data_dir) if m["to"] == msisdn]
    assert texts, f"no SMS to {msisdn}"
    match = re.search(r"Пароль для входа в Детальку: (\S+)\.", texts[-1])
    assert match, texts[-1]
    return match.group(1)


async def sms_password(data_dir: Path, msisdn: str, timeout_s: float = 30) -> str:
    """The password of the last SMS to ``msisdn``, waited for (a worker sends it)."""
    await eventually(
        lambda: any(m["to"] == msisdn for m in sms_outbox(data_dir)),
        timeout_s=timeout_s,
        interval_s=0.1,
        explain=f"no SMS to {msisdn}",
    )
    return last_sms_password(data_dir, msisdn)
