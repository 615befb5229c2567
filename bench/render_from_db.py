"""The whole worker path, database to file: one subscriber's N calls rendered by render_order.

    .venv/bin/python bench/render_from_db.py [--rows 100000 1000000] [--formats CSV XLSX]
                                             [--backend sqlite|postgres]

For each row count a fresh database gets one subscriber with that many calls in one month;
then a fresh process opens it, places a CALLS order for the month and runs the render job
(`detalka.resolvers.rendering.render_order`: keyset pages of 1,000 rows from the database into the
streaming renderer, a temporary file moved into place). It prints the child's peak resident
set size (``ru_maxrss``), the time and the file size. bench/render_memory.py measures the
renderers alone on synthetic rows; this adds the queries, the ORM objects and the progress
updates between them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from detalka.clock import FixedClock
from detalka.db import apply_migrations, open_database
from detalka.settings import Settings

MONTH_START = datetime(2026, 9, 30, 21, 0, tzinfo=UTC)  # 1 October, 00:00 in Moscow
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _settings(data_dir: Path, database_url: str) -> Settings:
    # A benchmark measures speed, not the per-caller cost budget (#14): it never runs dry.
    values: dict[str, object] = {
        "data_dir": data_dir,
        "_env_file": None,
        "cost_budget": 1_000_000,
        "cost_restore_rate": 1_000_000,
    }
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


async def add_october_calls(subscriber_id: int, rows: int) -> None:
    """``rows`` outgoing calls spread over October (MONTH_START on), 10,000 an insert."""
    from detalka.models import UsageRecord

    step = timedelta(days=31) / rows
    batch = 10_000
    for first in range(0, rows, batch):
        await UsageRecord.bulk_create(
            [
                UsageRecord(
                    subscriber_id=subscriber_id,
                    occurred_at=MONTH_START + step * n,
                    kind="CALL",
                    direction="OUT",
                    counterparty=f"+7916{n % 10_000_000:07d}",
                    duration_s=n % 3600,
                    description="Исходящий вызов, Москва",
                    cost="1.50",
                )
                for n in range(first, min(first + batch, rows))
            ]
        )


async def bench_subscriber(msisdn: str, name: str) -> tuple[Any, Any]:
    """A subscriber of the benchmarks, at home in Moscow on a tariff of its own; with its
    region. Call with a database open."""
    from detalka.models import Region, Subscriber, Tariff

    region, _ = await Region.get_or_create(
        code="MOW", defaults={"name": "Москва", "time_zone": "Europe/Moscow"}
    )
    tariff = await Tariff.create(
        name="Бенчмарк",
        monthly_fee="500.00",
        minute_price="2.00",
        sms_price="2.00",
        mms_price="7.00",
        megabyte_price="1.00",
    )
    subscriber = await Subscriber.create(
        msisdn=msisdn,
        full_name=name,
        home_region=region,
        tariff=tariff,
        activated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return subscriber, region


async def prepare(settings: Settings, rows: int) -> int:
    """A migrated database with one subscriber and ``rows`` calls in October."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from detalka.models import Balance

    # Tortoise caches insert SQL by connection name: a second backend in this process ("default"
    # again) would get the first one's.
    EXECUTOR_CACHE.clear()
    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        subscriber, _ = await bench_subscriber("+79160000001", "Бенчмарков Иван")
        await Balance.create(subscriber=subscriber, kind="MAIN", name="Основной", amount="100")
        await add_october_calls(subscriber.id, rows)
        return int(subscriber.id)
    finally:
        await ctx.close_connections()


async def child(settings: Settings, subscriber_id: int, fmt: str) -> dict[str, float]:
    from detalka.adapters.storage import FileStorage
    from detalka.models import DetailOrder, Document
    from detalka.resolvers.rendering import render_order

    ctx = await open_database(settings)
    try:
        order = await DetailOrder.create(
            subscriber_id=subscriber_id,
            region_id=(await _region_id(subscriber_id)),
            period_from=datetime(2026, 10, 1).date(),
            period_to=datetime(2026, 10, 31).date(),
            format=fmt,
            delivery="ARCHIVE",
            sections=["CALLS"],
        )
        started = time.perf_counter()
        made = await render_order(
            order.id,
            storage=FileStorage(settings.files_dir),
            clock=FixedClock(NOW),
            document_ttl=timedelta(1),
        )
        elapsed = time.perf_counter() - started
        assert made, "the order was not rendered"
        document = await Document.get(order_id=order.id)
        row_count = (await DetailOrder.get(id=order.id)).row_count or 0
    finally:
        await ctx.close_connections()
    return {
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": elapsed,
        "rows": row_count,
        "file_mib": document.size_bytes / 2**20,
    }


async def _region_id(subscriber_id: int) -> int:
    from detalka.models import Subscriber

    return int((await Subscriber.get(id=subscriber_id)).home_region_id)


async def _fresh_postgres() -> tuple[str, str]:
    name = f"detalka_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, f"postgres://postgres@127.0.0.1:5432/{name}"


async def _drop_postgres(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=["CSV", "XLSX"])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--child", nargs=4, metavar=("DIR", "URL", "SUBSCRIBER", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        data_dir, url, subscriber, fmt = args.child
        settings = _settings(Path(data_dir), "" if url == "-" else url)
        print(json.dumps(asyncio.run(child(settings, int(subscriber), fmt))))
        return
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.machine()}, {args.backend}"
    )
    print("| format | rows | peak RSS, MiB | time, s | rows/s | file, MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            db_name, url = (
                asyncio.run(_fresh_postgres()) if args.backend == "postgres" else ("", "")
            )
            try:
                settings = _settings(Path(tmp), url)
                subscriber = asyncio.run(prepare(settings, rows))
                for fmt in args.formats:
                    out = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--child",
                            tmp,
                            url or "-",
                            str(subscriber),
                            fmt,
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    m = json.loads(out.strip().splitlines()[-1])
                    print(
                        f"| {fmt} | {int(m['rows']):,} | {m['peak_mib']:.0f} | {m['seconds']:.1f}"
                        f" | {m['rows'] / m['seconds']:,.0f} | {m['file_mib']:.1f} |",
                        flush=True,
                    )
            finally:
                if db_name:
                    asyncio.run(_drop_postgres(db_name))


if __name__ == "__main__":
    main()
