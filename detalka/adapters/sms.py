"""SMS: the console and a JSON-lines outbox in the embedded mode, an HTTP gateway in production."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class SmsSendError(Exception):
    """The gateway did not take the message after every retry."""


class SmsSender(Protocol):
    async def send(self, msisdn: str, text: str) -> None: ...


class OutboxSmsSender:
    """Development: print the message and append it to ``<data dir>/outbox/sms.jsonl``."""

    def __init__(self, outbox_dir: Path) -> None:
        self.path = outbox_dir / "sms.jsonl"

    async def send(self, msisdn: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": msisdn, "text": text, "at": datetime.now(UTC).isoformat()}, ensure_ascii=False
        )
        await asyncio.to_thread(self._append, line)
        # The console is this mode's SMS channel, not a log: the text goes to stdout only.
        print(f"SMS to {msisdn}: {text}", flush=True)

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


class HttpSmsSender:
    """Production: POST ``{"to": ..., "text": ...}`` as JSON, retrying temporary failures."""

    def __init__(self, url: str, *, attempts: int = 3, backoff_s: float = 0.5) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s

    async def send(self, msisdn: str, text: str) -> None:
        import httpx  # here, not at the top: httpx costs ~0.1 s of every process's start

        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(1, self.attempts + 1):
                try:
                    response = await client.post(self.url, json={"to": msisdn, "text": text})
                except httpx.TransportError as exc:
                    reason = type(exc).__name__
                else:
                    if response.is_success:
                        return
                    if response.status_code < 500 and response.status_code != 429:
                        raise SmsSendError(f"gateway refused the message: {response.status_code}")
                    reason = f"HTTP {response.status_code}"
                # Never log the text: it carries a password.
                log.warning("SMS gateway attempt %d/%d failed: %s", attempt, self.attempts, reason)
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise SmsSendError(f"gateway unavailable after {self.attempts} attempts: {reason}")


def sms_sender(gateway_url: str | None, outbox_dir: Path) -> SmsSender:
    return HttpSmsSender(gateway_url) if gateway_url else OutboxSmsSender(outbox_dir)
