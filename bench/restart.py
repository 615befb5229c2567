"""Warm restart to the first answer: ``detalka api`` against a bare Starlette + uvicorn app.

Each contender starts as a fresh process on a migrated SQLite database (the files and the
bytecode caches already warm) and is polled on /healthz; the time to the first 200 and the
process's own CPU time by then (``/proc/<pid>/stat``) are recorded, then it is stopped.
Project and baseline alternate.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.render_from_db import _settings
from bench.suite import ROOT, Measure, median

TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _start(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first answer and the process's CPU seconds by then."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*argv, str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - started, _cpu_of(process.pid)
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            time.sleep(0.02)
        raise RuntimeError(f"{argv} did not answer in 60 s")
    finally:
        process.terminate()
        process.wait(10)


def measure(rounds: int) -> list[Measure]:
    from detalka.db import apply_migrations

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(apply_migrations(_settings(Path(tmp), "")))
        env = {
            **os.environ,
            "DETALKA_DATA_DIR": tmp,
            "DETALKA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DETALKA_DATABASE_URL", None)
        # Warm means the bytecode caches exist: where the environment forbids writing them
        # (PYTHONDONTWRITEBYTECODE, as some shells and containers set), the warm-up below
        # wrote none and every start compiled the project's ~120 modules again (~0.15 s).
        # A deployment has them (pip compiles what it installs). The baseline is unaffected.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        detalka = [sys.executable, "-m", "detalka", "api", "--port"]
        bare = [sys.executable, "-m", "bench.restart_baseline"]
        runs: dict[str, list[tuple[float, float]]] = {"p": [], "b": []}
        _start(detalka, env)  # warm the bytecode caches once
        for _ in range(rounds):
            runs["p"].append(_start(detalka, env))
            runs["b"].append(_start(bare, env))
    wall = median([r[0] for r in runs["p"]])
    return [
        Measure(
            "warm restart to first answer: wall",
            "s",
            wall,
            median([r[0] for r in runs["b"]]),
            None,
            f"bare Starlette + uvicorn; target <= 2 s absolute: {'met' if wall <= 2 else 'MISSED'}",
        ),
        Measure(
            "warm restart to first answer: CPU",
            "s",
            median([r[1] for r in runs["p"]]),
            median([r[1] for r in runs["b"]]),
            None,
            "the same processes",
        ),
    ]
