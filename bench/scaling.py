"""API throughput from one process to two: ``detalka api --workers 1`` against ``--workers 2``.

A seeded SQLite database (bench/dashboard's data and session); the API runs as real processes
behind one port, and this process keeps C clients busy with the dashboard request over HTTP for
a few seconds, counting the answers. One and two workers alternate. The client's own CPU
(httpx, a fraction of the server's per request) runs on the same machine, so on 2 cores the
ceiling is below 2x even when nothing else runs.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.dashboard import DASHBOARD, _last_month, _prepare
from bench.restart import _free_port
from bench.suite import ROOT, Measure, median


async def _seed(settings: Any) -> str:
    from detalka.db import apply_migrations, open_database

    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        token, _ = await _prepare(settings, 6, 2)
        return token
    finally:
        await ctx.close_connections()


async def _load(base: str, token: str, clients: int, seconds: float) -> float:
    body = {"query": DASHBOARD, "variables": {"p": _last_month()}}
    headers = {"authorization": f"Bearer {token}"}
    done = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:

        async def one(until: float) -> None:
            nonlocal done
            while time.perf_counter() < until:
                response = await http.post("/graphql", json=body)
                assert response.status_code == 200, response.text[:500]
                done += 1

        warm = time.perf_counter() + 2
        await asyncio.gather(*(one(warm) for _ in range(clients)))
        done = 0
        started = time.perf_counter()
        await asyncio.gather(*(one(started + seconds) for _ in range(clients)))
        return done / (time.perf_counter() - started)


def _serve(workers: int, env: dict[str, str], token: str, clients: int, seconds: float) -> float:
    port = _free_port()
    argv = [sys.executable, "-m", "detalka", "api", "--workers", str(workers), "--port", str(port)]
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"detalka api --workers {workers} did not come up")
            time.sleep(0.1)
        return asyncio.run(_load(base, token, clients, seconds))
    finally:
        process.terminate()
        process.wait(30)


def measure(rounds: int, seconds: float, clients: int = 16) -> list[Measure]:
    from bench.render_from_db import _settings

    with tempfile.TemporaryDirectory() as tmp:
        token = asyncio.run(_seed(_settings(Path(tmp), "")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
        env |= {"DETALKA_DATA_DIR": tmp, "DETALKA_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        # speed, not the per-caller cost budget (#14)
        env |= {"DETALKA_COST_BUDGET": "1000000", "DETALKA_COST_RESTORE_RATE": "1000000"}
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(rounds):
            for workers in (1, 2):
                rates[workers].append(_serve(workers, env, token, clients, seconds))
    return [
        Measure(
            f"API throughput, dashboard over HTTP, {clients} clients: 2 processes vs 1",
            "req/s",
            median(rates[2]),
            median(rates[1]),
            1.7,
            "detalka api --workers 1; ratio = 2 workers / 1",
            at_least=True,
        )
    ]
