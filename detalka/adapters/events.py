"""Order events: a wake-up that an order changed, from whoever changed it to the API.

An event carries ids only; the database stays the truth. A listener that misses an event
(Redis restarted, a publish failed) catches up from the database on its next poll, so
losing one costs latency, never correctness.

- ``memory://``: one bus per process. The embedded mode's worker runs actors on its own
  event loop thread, so a publish hands the event to each listener's loop thread-safely.
- ``redis://``: PUBLISH on one channel; each API process keeps one SUBSCRIBE connection and
  fans events out to its local listeners. Every API process sees every order event, which
  is a few per order; per-subscriber channels would cost a subscribe round trip per
  GraphQL subscription and a Redis connection per process anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
CHANNEL = "detalka:order-events"  # the embedded default; see channel_name


@dataclass(frozen=True)
class OrderEvent:
    subscriber_id: int
    order_id: int


class Listener:
    """The events of one subscriber, queued on the loop that listens."""

    def __init__(self, subscriber_id: int) -> None:
        self.subscriber_id = subscriber_id
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[OrderEvent] = asyncio.Queue(maxsize=1000)

    def deliver(self, event: OrderEvent) -> None:
        # Called from any thread; a full queue drops the wake-up (the poll catches up).
        with suppress(RuntimeError):  # the listener's loop has closed
            self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: OrderEvent) -> None:
        with suppress(asyncio.QueueFull):
            self.queue.put_nowait(event)

    async def next(self, timeout_s: float) -> OrderEvent | None:
        """The next event, or None when ``timeout_s`` passed without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return None


class Fanout:
    """This process's listeners by subscriber; safe to call from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[int, set[Listener]] = {}

    def add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.setdefault(listener.subscriber_id, set()).add(listener)

    def remove(self, listener: Listener) -> None:
        with self._lock:
            group = self._listeners.get(listener.subscriber_id)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self._listeners[listener.subscriber_id]

    def dispatch(self, event: OrderEvent) -> None:
        with self._lock:
            targets = list(self._listeners.get(event.subscriber_id, ()))
        for listener in targets:
            listener.deliver(event)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(g) for g in self._listeners.values())


class EventBus(Protocol):
    async def publish(self, event: OrderEvent) -> None: ...

    async def ping(self) -> None: ...

    def listen(self, subscriber_id: int) -> Any:
        """An async context manager giving a Listener for one subscriber's events."""
        ...


class MemoryBus:
    """In-process: the embedded mode, where the worker lives in the API process."""

    def __init__(self) -> None:
        self.fanout = Fanout()

    async def publish(self, event: OrderEvent) -> None:
        self.fanout.dispatch(event)

    async def ping(self) -> None:
        return None

    @asynccontextmanager
    async def listen(self, subscriber_id: int) -> AsyncIterator[Listener]:
        listener = Listener(subscriber_id)
        self.fanout.add(listener)
        try:
            yield listener
        finally:
            self.fanout.remove(listener)


def channel_name(url: str, prefix: str = "detalka") -> str:
    """One channel per deployment: Redis pub/sub ignores the database index, so two
    deployments on one Redis (database 0 and 1, or two prefixes) would hear each other."""
    path = urlsplit(url).path.strip("/")
    database = path if path.isdigit() else "0"
    return f"{prefix}:{database}:order-events"


class RedisBus:
    """Redis pub/sub: publishers anywhere, one subscriber connection per API process."""

    def __init__(self, url: str, prefix: str = "detalka") -> None:
        self.url = url
        self.channel = channel_name(url, prefix)
        self.fanout = Fanout()
        # redis.asyncio clients belong to the loop that made them: the API's loop and an
        # in-process worker's loop each get their own.
        self._publishers: dict[asyncio.AbstractEventLoop, Any] = {}
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def _publisher(self) -> Any:
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        client = self._publishers.get(loop)
        if client is None:
            client = redis.Redis.from_url(self.url)
            self._publishers[loop] = client
        return client

    async def ping(self) -> None:
        await self._publisher().ping()

    async def publish(self, event: OrderEvent) -> None:
        payload = json.dumps({"s": event.subscriber_id, "o": event.order_id})
        await self._publisher().publish(self.channel, payload)

    @asynccontextmanager
    async def listen(self, subscriber_id: int) -> AsyncIterator[Listener]:
        listener = Listener(subscriber_id)
        self.fanout.add(listener)
        try:
            await self._ensure_reader()
            yield listener
        finally:
            self.fanout.remove(listener)

    async def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._subscribed = asyncio.Event()
            self._reader = asyncio.create_task(self._read(), name="detalka-events-reader")
        # Events published before SUBSCRIBE took effect are not seen; the caller reads the
        # database after this returns, so it misses nothing that committed before.
        with suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def _read(self) -> None:
        import redis.asyncio as redis

        backoff = 0.5
        while True:
            client = redis.Redis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("order events: Redis subscription lost, retrying", exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                await client.aclose()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            fields = json.loads(data)
            event = OrderEvent(int(fields["s"]), int(fields["o"]))
        except (ValueError, KeyError, TypeError):
            log.warning("order events: ignoring a malformed message %r", data)
            return
        self.fanout.dispatch(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        loop = asyncio.get_running_loop()
        client = self._publishers.pop(loop, None)
        if client is not None:
            await client.aclose()


_process_bus = MemoryBus()


def event_bus(events_url: str, prefix: str = "detalka") -> MemoryBus | RedisBus:
    """``memory://`` is this process's one bus (API and in-process worker share it)."""
    if urlsplit(events_url).scheme == "memory":
        return _process_bus
    return RedisBus(events_url, prefix)


async def publish_quietly(bus: EventBus, subscriber_id: int, order_id: int) -> None:
    """Publish after a commit; a failure is logged, never raised (the poll catches up)."""
    try:
        await bus.publish(OrderEvent(subscriber_id, order_id))
    except Exception:
        log.warning("could not publish the event of order %s", order_id, exc_info=True)
