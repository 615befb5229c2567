"""API throughput from one process to two: ``detalka api --workers 1`` against ``--workers 2``.

A seeded SQLite database (bench/dashboard's data and session); the API runs as real processes
behind one port, and this process keeps C clients busy with the dashboard request over HTTP for
a few seconds, counting the answers. One and two workers alternate. The clients are
bench/http_load.py's raw keep-alive connections (a few microseconds a request; httpx cost
about as much CPU as a small handler and took it from the servers on 2 cores). Each process's
CPU share over the window is printed beside the rate, so an unfair split between the workers
or a busy client shows.
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
from bench.http_load import hammer, post_request
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


def _cpu_ticks(pid: int) -> dict[int, int]:
    """utime + stime (clock ticks) of ``pid`` and each of its children, by pid."""
    found: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            found[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return found


def _load(port: int, token: str, clients: int, seconds: float, parent: int) -> tuple[float, str]:
    body = {"query": DASHBOARD, "variables": {"p": _last_month()}}
    request = post_request(
        "127.0.0.1", port, "/graphql", body, {"authorization": f"Bearer {token}"}
    )
    before = _cpu_ticks(parent)
    load = asyncio.run(hammer("127.0.0.1", port, request, clients, seconds))
    after = _cpu_ticks(parent)
    hz = os.sysconf("SC_CLK_TCK")
    busy = sorted(
        ((after[pid] - before.get(pid, 0)) / hz / (seconds + 2) for pid in after), reverse=True
    )
    shares = "/".join(f"{b:.0%}" for b in busy if b >= 0.01)
    return load.rate, f"server CPU {shares}, client {load.client_cpu_share:.0%}"


def _serve(
    workers: int, env: dict[str, str], token: str, clients: int, seconds: float
) -> tuple[float, str]:
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
        return _load(port, token, clients, seconds, process.pid)
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
                rate, cpu = _serve(workers, env, token, clients, seconds)
                rates[workers].append(rate)
                print(f"  --workers {workers}: {rate:.1f} req/s; {cpu}", file=sys.stderr)
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
