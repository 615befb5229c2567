"""Seed throughput: about a million usage records into a fresh SQLite file and a fresh
PostgreSQL database, timed end to end (planning, generation, inserts, commits).

    .venv/bin/python bench/seed_throughput.py [--subscribers 350] [--months 12]

PostgreSQL comes from DETALKA_BENCH_POSTGRES_URL (default: loopback, trust auth); a
uniquely named database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from tortoise import connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext

from detalka.db import apply_migrations, tortoise_config
from detalka.seed import SeedReport, seed_database
from detalka.seed.history import generate_history
from detalka.seed.population import plan_subscribers
from detalka.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "DETALKA_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def run(settings: Settings, args: argparse.Namespace) -> tuple[SeedReport, int]:
    EXECUTOR_CACHE.clear()  # insert SQL is cached per connection name, not per backend
    await apply_migrations(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(settings))
        report = await seed_database(
            args.subscribers, args.months, args.seed, now=NOW, progress=not args.quiet
        )
        _, rows = await connections.get("default").execute_query(
            "SELECT COUNT(*) AS n FROM usage_record"
        )
    return report, int(rows[0]["n"])


def generator_only(args: argparse.Namespace) -> None:
    """The same histories generated and dropped: what the database adds is the rest."""
    started, rows = time.perf_counter(), 0
    for spec in plan_subscribers(args.seed, args.subscribers, args.months, NOW, frozenset()):
        rows += len(generate_history(spec).usage)
    seconds = time.perf_counter() - started
    print(
        f"{'generator only':<16} {rows:>10,} usage records in {seconds:6.1f} s = "
        f"{rows / seconds:>9,.0f} rows/s (no database)",
        flush=True,
    )


async def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="detalka-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        report, rows = await run(settings, args)
        size = (Path(tmp) / "detalka.sqlite3").stat().st_size
        show("SQLite", report, rows, f"file {size / 2**20:,.0f} MiB")


async def postgres(args: argparse.Namespace) -> None:
    name = f"detalka_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        with tempfile.TemporaryDirectory(prefix="detalka-bench-") as tmp:
            settings = Settings(data_dir=Path(tmp), database_url=url, _env_file=None)  # type: ignore[call-arg]
            report, rows = await run(settings, args)
        size = await admin.fetchval("SELECT pg_database_size($1)", name)
        version = (await admin.fetchval("SHOW server_version")).split()[0]
        show(f"PostgreSQL {version}", report, rows, f"database {size / 2**20:,.0f} MiB")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def show(backend: str, report: SeedReport, rows: int, size: str) -> None:
    assert rows == report.usage_records, (rows, report.usage_records)
    print(
        f"{backend:<16} {report.usage_records:>10,} usage records "
        f"(+{report.payments:,} payments, {report.statements:,} statements) "
        f"in {report.seconds:6.1f} s = {report.usage_records / report.seconds:>9,.0f} rows/s; "
        f"{size}; peak RSS so far {peak_rss_mib():,.0f} MiB",
        flush=True,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=350)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; "
        f"seed_database({args.subscribers}, {args.months}, {args.seed}, now={NOW:%Y-%m-%d})",
        flush=True,
    )
    generator_only(args)
    if args.backend in ("sqlite", "both"):
        await sqlite(args)
    if args.backend in ("postgres", "both"):
        await postgres(args)


if __name__ == "__main__":
    asyncio.run(main())
