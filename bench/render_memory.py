"""Rendering memory: synthetic call rows in every format, each run in a fresh process.

    .venv/bin/python bench/render_memory.py [--rows 100000 1000000] [--formats CSV XLSX]
                                            [--results bench/RESULTS.md]

Each run renders one section fed by an async generator into a temporary file and reports
the child's peak resident set size (``ru_maxrss``), the time and the file size. A streaming
renderer keeps the peak flat as rows grow. With ``--results`` the table replaces the
"## Rendering memory" section of that file (or is appended to it), other sections kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

from detalka.models.enums import ReportFormat, ReportSection
from detalka.reports.formats import renderer_for
from detalka.reports.report import Cell, Column, ColumnKind, ExpenseChart, Header, Report, Section

HEADING = "## Rendering memory"
READING = [
    "Reading it:",
    "- Each renderer writes a row as it comes and keeps none, so the peak is what the",
    "  interpreter and the format's library take; the peaks differ by those imports.",
    "- PDF: a reportlab canvas keeps every page until it is saved (about 32 KiB a page here,",
    "  some 500 MiB for a million rows on one canvas). The renderer saves a canvas every 200",
    "  pages and copies each chunk into the file at once, renumbered under one page tree; what",
    "  still grows is one 8-byte offset per PDF object (two objects a page) for the xref table.",
    "- Time: PDF and XLSX spend it in reportlab's and openpyxl's per-cell Python code.",
    "  reportlab's optional C accelerator (`rl_accel`, the `reportlab[accel]` extra) is not",
    "  installed here; it has C versions of the number formatting and text measuring at the",
    "  top of the PDF profile (not measured with it).",
]
ZONE = ZoneInfo("Europe/Moscow")
START = datetime(2026, 10, 1, tzinfo=ZONE)
PLACES = ["Москва", "Санкт-Петербург", "Казань", "Уфа", "Калининград"]


async def calls(count: int) -> AsyncIterator[tuple[Cell, ...]]:
    for n in range(count):
        yield (
            START + timedelta(seconds=2 * n),
            f"+7916{n % 10_000_000:07d}",
            f"Исходящий вызов, {PLACES[n % len(PLACES)]}",
            n % 3600,
            Decimal(n % 100_000) / 100,
        )


def synthetic_report(rows: int) -> Report:
    header = Header(
        msisdn="+79161234567",
        full_name="Иванова Мария Петровна",
        region_name="Москва и Московская область",
        tariff_name="Всё просто",
        period_from=date(2026, 10, 1),
        period_to=date(2026, 10, 31),
        time_zone="Europe/Moscow",
        generated_at=datetime(2026, 11, 1, 9, 0, tzinfo=ZONE),
    )
    columns = [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Номер", ColumnKind.PHONE),
        Column("Описание", ColumnKind.TEXT),
        Column("Длительность, с", ColumnKind.INTEGER),
        Column("Стоимость", ColumnKind.MONEY),
    ]
    section = Section(ReportSection.CALLS, "Звонки", columns, calls(rows), [("Итого", Decimal(1))])
    chart = ExpenseChart(
        by_day=[(date(2026, 10, day), Decimal(day)) for day in range(1, 32)],
        by_category=[("Звонки", Decimal(496))],
        total=Decimal(496),
    )
    return Report(header, [section], chart, estimated_rows=max(rows, 1))


async def render_once(format: ReportFormat, rows: int) -> dict[str, float]:
    async def progress(done: int) -> None:
        pass

    renderer = renderer_for(format)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"report.{renderer.extension}"
        started = time.perf_counter()
        with path.open("wb") as out:
            written = await renderer.render(synthetic_report(rows), out, progress)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    assert written == rows, (written, rows)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"peak_mb": peak_kb / 1024, "seconds": seconds, "size_mb": size / 2**20}


def run_child(format: ReportFormat, rows: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", format.value, str(rows)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def table(results: list[tuple[ReportFormat, int, dict[str, float]]]) -> str:
    measured = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(f"{name} {version(name)}" for name in ("reportlab", "openpyxl", "lxml"))
    lines = [
        "`bench/render_memory.py` renders one section of synthetic calls (5 columns: datetime,",
        "phone, text, integer, money) fed by an async generator, into a temporary file, each",
        "format and row count in a fresh process; the peak is that process's `ru_maxrss`",
        "(the interpreter and the libraries it imported included).",
        "",
        "```",
        ".venv/bin/python bench/render_memory.py --results bench/RESULTS.md",
        "```",
        "",
        f"Measured {measured}: Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {versions}.",
        "",
        "| format | rows | peak RSS, MiB | time, s | rows/s | file, MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for format, rows, result in results:
        lines.append(
            f"| {format.value} | {rows:,} | {result['peak_mb']:.0f} | {result['seconds']:.1f} | "
            f"{rows / result['seconds']:,.0f} | {result['size_mb']:.1f} |"
        )
    lines += ["", "Peak growth from the fewest to the most rows:"]
    for format in dict.fromkeys(format for format, _, _ in results):
        runs = sorted((rows, r["peak_mb"]) for f, rows, r in results if f is format)
        (few, low), (many, high) = runs[0], runs[-1]
        lines.append(f"- {format.value}: {high - low:+.1f} MiB from {few:,} to {many:,} rows.")
    return "\n".join([*lines, "", *READING]) + "\n"


def write_results(path: Path, body: str) -> None:
    """Replaces this benchmark's section of ``path``, or appends it; other sections stay."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"{HEADING}\n\n{body}"
    if HEADING in text:
        before, _, rest = text.partition(HEADING)
        following = rest.find("\n## ")
        after = rest[following + 1 :] if following >= 0 else ""
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=[f.value for f in ReportFormat])
    parser.add_argument("--results", type=Path, help="markdown file to put the table in")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(render_once(ReportFormat(args.child[0]), int(args.child[1])))
        print(json.dumps(result))
        return
    results = []
    for name in args.formats:
        for rows in args.rows:
            format = ReportFormat(name)
            result = run_child(format, rows)
            print(
                f"{format.value:5} {rows:>9,} rows  peak {result['peak_mb']:6.0f} MB  "
                f"{result['seconds']:7.1f} s  {result['size_mb']:7.1f} MB",
                flush=True,
            )
            results.append((format, rows, result))
    body = table(results)
    print(body)
    if args.results:
        write_results(args.results, body)


if __name__ == "__main__":
    main()
