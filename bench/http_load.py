"""A lean HTTP/1.1 load generator: keep-alive connections sending one prepared request.

The scaling benchmark runs its clients on the same 2 cores as the API processes, so the
clients' CPU comes out of the servers' share. httpx spends about as much CPU a request as a
small handler; this sends pre-encoded bytes and reads ``Content-Length`` bodies, a few
microseconds a request, so nearly both cores are left to the servers.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any


def post_request(host: str, port: int, path: str, body: Any, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 POST of ``body`` as JSON, keep-alive, as bytes ready to send again."""
    payload = json.dumps(body).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass(frozen=True)
class Load:
    rate: float  # answers a second over the measured window
    answers: int
    client_cpu_share: float  # this process's CPU over the window / the window's wall time


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))
    length = None
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length is None:
        raise RuntimeError(f"no Content-Length: {head!r}")
    return await reader.readexactly(length)


async def hammer(
    host: str, port: int, request: bytes, clients: int, seconds: float, warm_s: float = 2
) -> Load:
    """``clients`` connections, each sending ``request`` as soon as the last answer came;
    answers are counted over ``seconds`` after ``warm_s`` of warm-up."""
    start = time.perf_counter()
    measured_from, until = start + warm_s, start + warm_s + seconds
    cpu: dict[str, float] = {}

    async def one() -> int:
        reader, writer = await asyncio.open_connection(host, port)
        counted = 0
        try:
            while (sent := time.perf_counter()) < until:
                await _exchange(reader, writer, request)
                if sent >= measured_from and time.perf_counter() <= until:
                    counted += 1
                if "from" not in cpu and time.perf_counter() >= measured_from:
                    cpu["from"] = time.process_time()
        finally:
            writer.close()
        return counted

    answers = sum(await asyncio.gather(*(one() for _ in range(clients))))
    ended = time.perf_counter()
    used = time.process_time() - cpu.get("from", time.process_time())
    return Load(answers / seconds, answers, used / max(ended - measured_from, 1e-9))
