"""Where automatic persisted queries are kept: GraphQL documents by their SHA-256.

Both stores are bounded by bytes and forget the least recently used document first, so a
client that registers documents without end costs a fixed amount of memory, not more.
- ``memory://``: an LRU in this process (the embedded mode, or one API process).
- ``redis://``: one LRU that every API process shares, so a document registered through
  one process is a hit on the next (a load balancer may send the two requests anywhere).
  A hash of documents, a sorted set of last-use times (Redis's own clock) and a byte
  counter, changed together by Lua scripts; the three keys share a hash tag, so they live
  on one Redis Cluster slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class QueryStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...

    async def close(self) -> None: ...


def query_store(url: str, max_bytes: int) -> QueryStore:
    if urlsplit(url).scheme in {"redis", "rediss"}:
        return RedisQueryStore(url, max_bytes)
    return MemoryQueryStore(max_bytes)


class MemoryQueryStore:
    """An LRU by bytes (UTF-8 of the document) in this process."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        if digest in self._documents:
            self._documents.move_to_end(digest)
            return
        self._documents[digest] = document
        self.size += len(document.encode())
        while self.size > self.max_bytes and self._documents:
            _, oldest = self._documents.popitem(last=False)
            self.size -= len(oldest.encode())

    async def close(self) -> None:
        self._documents.clear()
        self.size = 0


_KEYS = ("{detalka:apq}:documents", "{detalka:apq}:used", "{detalka:apq}:bytes")

# KEYS: documents, used, bytes; ARGV: digest. A hit counts as a use.
_GET = """
local document = redis.call('HGET', KEYS[1], ARGV[1])
if document then
  local now = redis.call('TIME')
  redis.call('ZADD', KEYS[2], 'XX', now[1] * 1000000 + now[2], ARGV[1])
end
return document
"""
# KEYS: documents, used, bytes; ARGV: digest, document, max bytes. Returns the bytes kept.
_PUT = """
local now = redis.call('TIME')
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('INCRBY', KEYS[3], string.len(ARGV[2]))
end
redis.call('ZADD', KEYS[2], now[1] * 1000000 + now[2], ARGV[1])
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
while total > tonumber(ARGV[3]) do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  local document = redis.call('HGET', KEYS[1], oldest[1])
  if document then
    redis.call('HDEL', KEYS[1], oldest[1])
    total = redis.call('DECRBY', KEYS[3], string.len(document))
  end
end
return total
"""


class RedisQueryStore:
    """The shared LRU. Redis away is a miss (the client sends the full query again) and an
    unkept document, never a failed request."""

    def __init__(self, url: str, max_bytes: int) -> None:
        self.url = url
        self.max_bytes = max_bytes
        # redis.asyncio clients belong to the loop that made them.
        self._clients: dict[asyncio.AbstractEventLoop, tuple[Any, Any, Any]] = {}

    def _scripts(self) -> tuple[Any, Any, Any]:
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            self._clients[loop] = (
                client,
                client.register_script(_GET),
                client.register_script(_PUT),
            )
        return self._clients[loop]

    async def get(self, digest: str) -> str | None:
        import redis

        _, get, _ = self._scripts()
        try:
            found = await get(keys=_KEYS, args=[digest])
        except redis.RedisError:
            log.warning("persisted queries: Redis unreachable, answering a miss", exc_info=True)
            return None
        return found.decode() if isinstance(found, bytes) else found

    async def put(self, digest: str, document: str) -> None:
        import redis

        _, _, put = self._scripts()
        try:
            await put(keys=_KEYS, args=[digest, document, self.max_bytes])
        except redis.RedisError:
            log.warning("persisted queries: Redis unreachable, not kept", exc_info=True)

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client, _, _ in clients.values():
            await client.aclose()
