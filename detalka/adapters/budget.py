"""Leaky-bucket budgets of query cost, one per caller (docs/aggregators.md, "Rate limits").

A bucket holds up to ``capacity`` points and refills at ``rate`` points a second. A request
takes its requested cost before it runs, or is refused with the seconds until that much is
back; after it ran, the difference from its actual cost is given back. One operation does
all three: :meth:`Budget.spend` with a positive amount (take, or refuse), a negative one
(give back, never past the capacity) or zero (look).

- ``memory://``: buckets in this process (the embedded mode, or one API process).
- ``redis://``: one bucket per caller for every API process, changed by one Lua script
  (refill, check and take in one step, on Redis's clock, so processes whose clocks differ
  agree). A full bucket is no key at all: each key expires when it would be full again.

``limits`` (the well-kept Python rate-limit library) was the first choice and does not
fit: its strategies are windows (fixed, moving, sliding counter), none refills
continuously, none gives points back, and none reports the level of a bucket that refills
at a rate (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

KEY_PREFIX = "detalka:cost:"


@dataclass(frozen=True)
class BucketState:
    """A bucket after a spend: ``allowed`` False when the amount did not fit (nothing was
    taken) and ``retry_after`` the seconds until it fits."""

    allowed: bool
    available: float
    capacity: int
    rate: float
    retry_after: float = 0.0


class Budget(Protocol):
    async def spend(
        self, key: str, amount: float, capacity: int, rate: float
    ) -> BucketState | None:
        """Take ``amount`` (or give it back when negative); None when the store is away."""
        ...

    async def close(self) -> None: ...


def budget_for(url: str) -> Budget:
    if urlsplit(url).scheme in {"redis", "rediss"}:
        return RedisBudget(url)
    return MemoryBudget()


def _decide(level: float, amount: float, capacity: int, rate: float) -> tuple[BucketState, float]:
    """The state after spending ``amount`` from ``level`` (already refilled), and the new level."""
    if amount > 0 and amount > level:
        wait = (amount - level) / rate
        return BucketState(False, level, capacity, rate, wait), level
    level = min(float(capacity), level - amount)
    return BucketState(True, level, capacity, rate), level


class MemoryBudget:
    """Buckets in this process. Bounded: past ``max_keys`` buckets, those full again are
    forgotten (a full bucket and no bucket are the same)."""

    def __init__(self, now: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.now = now
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float, float]] = {}  # level, at, full at

    async def spend(self, key: str, amount: float, capacity: int, rate: float) -> BucketState:
        now = self.now()
        level, at, _ = self._buckets.get(key, (float(capacity), now, now))
        level = min(float(capacity), level + max(0.0, now - at) * rate)
        state, level = _decide(level, amount, capacity, rate)
        if amount != 0:
            self._buckets[key] = (level, now, now + (capacity - level) / rate)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
        return state

    def _forget_full(self, now: float) -> None:
        for key in [k for k, (_, _, full_at) in self._buckets.items() if full_at <= now]:
            del self._buckets[key]

    async def close(self) -> None:
        self._buckets.clear()


# KEYS: the bucket; ARGV: capacity, rate (points a second), amount. Returns {allowed, level,
# seconds to wait} (numbers as strings: Redis turns a Lua number into an integer).
_SPEND = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(saved[1])
if level == nil then
  level = capacity
else
  level = math.min(capacity, level + math.max(0, now - tonumber(saved[2])) * rate)
end
if amount > 0 and amount > level then
  return {0, tostring(level), tostring((amount - level) / rate)}
end
if amount ~= 0 then
  level = math.min(capacity, level - amount)
  redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / rate * 1000) + 1000)
end
return {1, tostring(level), '0'}
"""


class RedisBudget:
    """The shared buckets. Redis away answers None: the request runs unmetered (a limiter
    that fails closed would turn a Redis outage into an API outage)."""

    def __init__(self, url: str) -> None:
        self.url = url
        # redis.asyncio clients belong to the loop that made them.
        self._clients: dict[asyncio.AbstractEventLoop, tuple[Any, Any]] = {}

    def _script(self) -> Any:
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            self._clients[loop] = (client, client.register_script(_SPEND))
        return self._clients[loop][1]

    async def spend(
        self, key: str, amount: float, capacity: int, rate: float
    ) -> BucketState | None:
        import redis

        try:
            allowed, level, wait = await self._script()(
                keys=[KEY_PREFIX + key], args=[capacity, repr(float(rate)), repr(float(amount))]
            )
        except redis.RedisError:
            log.warning("query cost: Redis unreachable, the request runs unmetered", exc_info=True)
            return None
        return BucketState(bool(allowed), float(level), capacity, rate, float(wait))

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client, _ in clients.values():
            await client.aclose()


def retry_after_seconds(state: BucketState) -> int:
    """Whole seconds to wait, as ``Retry-After`` wants them: never 0 for a refusal."""
    return max(1, math.ceil(state.retry_after))
