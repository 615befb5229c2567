"""Worker scaling: the same 20 render orders drained by 1, then 2 worker processes.

    .venv/bin/python -m bench.worker_scaling [--orders 20] [--rows 20000] [--format CSV]

A fresh PostgreSQL database gets one subscriber with ``--rows`` calls in October; a
redis-server of the bench's own is the broker. For each process count, that many
``detalka worker --queues render --threads 1`` processes are started and waited for (their
start is not timed), then ``--orders`` orders are created and their render messages sent,
and the clock runs until every order is READY. Prints both times, the ratio and the load
average before and after (the machine may be shared: read the ratio beside the load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.render_from_db import add_october_calls, bench_subscriber
from detalka.db import apply_migrations, open_database
from detalka.settings import Settings

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not come up")
        time.sleep(0.1)


async def _prepare(settings: Settings, rows: int) -> tuple[int, int]:
    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        subscriber, region = await bench_subscriber("+79160000002", "Бенчмарков Пётр")
        await add_october_calls(subscriber.id, rows)
        return int(subscriber.id), int(region.id)
    finally:
        await ctx.close_connections()


async def _round(settings: Settings, subscriber: tuple[int, int], orders: int, fmt: str) -> float:
    """Create ``orders`` orders, send their messages, wait until all are READY."""
    from detalka.jobs.app import Jobs
    from detalka.models import DetailOrder

    jobs = Jobs.for_settings(settings)
    ctx = await open_database(settings)
    try:
        started = time.perf_counter()
        ids = []
        for _ in range(orders):
            order = await DetailOrder.create(
                subscriber_id=subscriber[0],
                region_id=subscriber[1],
                period_from=date(2026, 10, 1),
                period_to=date(2026, 10, 31),
                format=fmt,
                delivery="ARCHIVE",
                sections=["CALLS", "SUMMARY"],
            )
            await jobs.enqueue_render(order.id)
            ids.append(order.id)
        while await DetailOrder.filter(id__in=ids, status="READY").count() < len(ids):
            failed = await DetailOrder.filter(id__in=ids, status="FAILED").count()
            if failed:
                raise SystemExit(f"{failed} orders FAILED")
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        await ctx.close_connections()
        jobs.broker.close()


def _workers(env: dict[str, str], count: int, workdir: Path) -> list[subprocess.Popen[bytes]]:
    started = []
    for n in range(count):
        port = _free_port()
        log = (workdir / f"worker-{count}-{n}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "detalka",
                "worker",
                "--queues",
                "render",
                "--threads",
                "1",
                "--metrics-port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)

        def up(port: int = port) -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        _wait(up, 60, f"worker {n}")
    return started


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(30)


def _start_redis(binary: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )

    def up() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    _wait(up, 10, "redis-server")
    return process


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--format", default="CSV")
    args = parser.parse_args()
    redis_binary = shutil.which("redis-server")
    if not redis_binary:
        raise SystemExit("redis-server is not installed")
    name = f"detalka_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    redis_port = _free_port()
    redis = _start_redis(redis_binary, redis_port)
    workdir = Path(tempfile.mkdtemp(prefix="detalka-bench-"))
    try:
        database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DETALKA_DATABASE_URL": database_url,
            "DETALKA_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "DETALKA_DATA_DIR": str(workdir / "data"),
            "DETALKA_LOG_LEVEL": "WARNING",
            "DETALKA_MAX_QUEUED_ORDERS": "100",  # 20 orders of one subscriber at once
        }
        settings = Settings(  # type: ignore[call-arg]
            data_dir=workdir / "data",
            database_url=database_url,
            broker_url=env["DETALKA_BROKER_URL"],
            max_queued_orders=100,
            _env_file=None,
        )
        subscriber = await _prepare(settings, args.rows)
        load_before = os.getloadavg()
        times: dict[int, float] = {}
        for count in (1, 2):
            workers = _workers(env, count, workdir)
            try:
                times[count] = await _round(settings, subscriber, args.orders, args.format)
            finally:
                _stop(workers)
        load_after = os.getloadavg()
    finally:
        redis.kill()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; {args.orders} {args.format} orders of {args.rows:,} calls"
    )
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min)")
    for count, seconds in times.items():
        rate = args.orders / seconds
        print(f"{count} worker process(es): {seconds:6.1f} s = {rate:.2f} orders/s")
    print(f"ratio 2/1: {times[1] / times[2]:.2f}x (target >= 1.7x)")


if __name__ == "__main__":
    asyncio.run(main())
