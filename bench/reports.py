"""Reports from the database, each format against its hand-written floor (bench/report_baselines).

One subscriber with N calls in October (bench/render_from_db.prepare). Every contender runs in
a fresh process that reports its own CPU time for the work (``time.process_time``, honest on a
shared machine), the wall time and its peak RSS; project and baseline alternate, and the
medians of the repeats are compared.

    python -m bench.reports child project|baseline FORMAT DATA_DIR URL SUBSCRIBER
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.suite import Measure, median, peak_mib, run_child

START = datetime(2026, 9, 30, 21, 0, tzinfo=UTC)  # 1 October 00:00 in Moscow
END = datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
TARGETS = {"CSV": 2.0, "HTML": 2.0, "XLSX": 1.2, "PDF": 1.3}


async def _project(data_dir: Path, url: str, subscriber_id: int, fmt: str) -> dict[str, Any]:
    from bench.render_from_db import NOW, _settings
    from detalka.adapters.storage import FileStorage
    from detalka.clock import FixedClock
    from detalka.db import open_database
    from detalka.models import DetailOrder, Document, Subscriber
    from detalka.resolvers.rendering import render_order

    settings = _settings(data_dir, url)
    ctx = await open_database(settings)
    try:
        subscriber = await Subscriber.get(id=subscriber_id)
        order = await DetailOrder.create(
            subscriber_id=subscriber_id,
            region_id=subscriber.home_region_id,
            period_from=date(2026, 10, 1),
            period_to=date(2026, 10, 31),
            format=fmt,
            delivery="ARCHIVE",
            sections=["CALLS"],
        )
        cpu, wall = time.process_time(), time.perf_counter()
        made = await render_order(
            order.id,
            storage=FileStorage(settings.files_dir),
            clock=FixedClock(NOW),
            document_ttl=timedelta(1),
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert made, "the order was not rendered"
        document = await Document.get(order_id=order.id)
        rows = (await DetailOrder.get(id=order.id)).row_count or 0
        size = document.size_bytes
    finally:
        await ctx.close_connections()
    return {"cpu": cpu, "wall": wall, "rows": rows, "bytes": size}


async def _baseline(data_dir: Path, url: str, subscriber_id: int, fmt: str) -> dict[str, Any]:
    from bench.report_baselines import WRITERS, rows

    sqlite_path = data_dir / "detalka.sqlite3"
    target = data_dir / f"baseline.{fmt.lower()}"
    cpu, wall = time.process_time(), time.perf_counter()
    with target.open("wb") as out:
        n = await WRITERS[fmt](rows(url, sqlite_path, subscriber_id, START, END), out)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu": cpu, "wall": wall, "rows": n, "bytes": target.stat().st_size}


def child(argv: list[str]) -> None:
    who, fmt, data_dir, url, subscriber = argv
    work = _project if who == "project" else _baseline
    result = asyncio.run(work(Path(data_dir), "" if url == "-" else url, int(subscriber), fmt))
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))


def measure(rows: int, repeats: int, backend: str, formats: list[str]) -> list[Measure]:
    """Each format: project and baseline alternating ``repeats`` times on one fresh database."""
    from bench.render_from_db import _drop_postgres, _fresh_postgres, _settings, prepare

    measures: list[Measure] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_name, url = asyncio.run(_fresh_postgres()) if backend == "postgres" else ("", "")
        try:
            subscriber = asyncio.run(prepare(_settings(Path(tmp), url), rows))
            for fmt in formats:
                contenders = [("project", fmt), ("baseline", fmt)]
                if fmt == "XLSX" and _has_xlsxwriter():
                    contenders.append(("baseline", "XLSX-xlsxwriter"))
                runs: dict[str, list[dict[str, Any]]] = {f"{w} {f}": [] for w, f in contenders}
                for _ in range(repeats):
                    for who, f in contenders:
                        args = ("child", who, f, tmp, url or "-", str(subscriber))
                        runs[f"{who} {f}"].append(run_child("bench.reports", *args))
                measures += _measures(backend, rows, fmt, runs)
        finally:
            if db_name:
                asyncio.run(_drop_postgres(db_name))
    return measures


def _measures(
    backend: str, rows: int, fmt: str, runs: dict[str, list[dict[str, Any]]]
) -> list[Measure]:
    project, baseline = runs[f"project {fmt}"], runs[f"baseline {fmt}"]
    assert {r["rows"] for r in project} == {rows} == {r["rows"] for r in baseline}, runs
    cpu = median([r["cpu"] for r in project])
    peak = max(r["peak_mib"] for r in project)
    name = f"{fmt} report, {rows:,} rows, {backend}"
    out = [
        Measure(
            f"{name}: CPU",
            "s",
            cpu,
            median([r["cpu"] for r in baseline]),
            TARGETS[fmt],
            _baseline_name(fmt),
        ),
        Measure(
            f"{name}: peak RSS",
            "MiB",
            peak,
            max(r["peak_mib"] for r in baseline),
            None,
            "the same baseline's process",
        ),
    ]
    other = runs.get("baseline XLSX-xlsxwriter")
    if other:
        out.append(
            Measure(
                f"{name}: CPU",
                "s",
                cpu,
                median([r["cpu"] for r in other]),
                None,
                "xlsxwriter constant_memory (reference)",
            )
        )
        out.append(
            Measure(
                f"{name}: peak RSS",
                "MiB",
                peak,
                max(r["peak_mib"] for r in other),
                None,
                "xlsxwriter constant_memory (reference)",
            )
        )
    return out


def _baseline_name(fmt: str) -> str:
    return {
        "CSV": "raw cursor + same formatting + csv.writer",
        "HTML": "raw cursor + same formatting + html.escape",
        "XLSX": "openpyxl write-only, plain values",
        "PDF": "one reportlab canvas, drawString a row",
    }[fmt]


def _has_xlsxwriter() -> bool:
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2:])
