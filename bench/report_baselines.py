"""Hand-written report writers, the floor each renderer is measured against.

Each reads the same CALLS rows as the project's report through the bare driver (a
``sqlite3`` cursor, or an ``asyncpg`` server-side cursor), formats them the same way and
writes them with the plainest use of the library: ``csv.writer``; ``html.escape`` into
table rows; openpyxl write-only appending plain values; xlsxwriter ``constant_memory``
(for reference, when installed); one reportlab canvas with a ``drawString`` a row.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Moscow")
FONT = Path(__file__).resolve().parent.parent / "detalka/reports/fonts/DejaVuSans.ttf"
NBSP = "\u00a0"
KOPECK = Decimal("0.01")
_SELECT = (
    "SELECT occurred_at, direction, counterparty, duration_s, package_units, zone,"
    " description, cost FROM usage_record WHERE subscriber_id = {0} AND kind = 'CALL'"
    " AND occurred_at >= {1} AND occurred_at < {2} ORDER BY occurred_at, id"
)
_DIRECTION = {"IN": "входящий", "OUT": "исходящий"}
Row = tuple[datetime, str, str, int, int, str, str, Any]


async def rows(
    url: str, sqlite_path: Path, subscriber_id: int, start: datetime, end: datetime
) -> AsyncIterator[Row]:
    """The CALLS rows, datetimes aware in the report's zone, money as Decimal."""
    if url:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():
                query = _SELECT.format("$1", "$2", "$3")
                async for r in conn.cursor(query, subscriber_id, start, end, prefetch=1000):
                    yield _row(r[0], r)
        finally:
            await conn.close()
        return
    db = sqlite3.connect(sqlite_path)
    try:
        bounds = (subscriber_id, start.isoformat(" "), end.isoformat(" "))
        parse = datetime.fromisoformat
        for r in db.execute(_SELECT.format("?", "?", "?"), bounds):
            yield _row(parse(r[0]), r)
    finally:
        db.close()


# The project's formatting (detalka.reports.writing), copied so that this process imports
# neither tortoise nor the models: its peak RSS is the floor of the bare driver and library.
def from_kopecks(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def human_datetime(value: datetime) -> str:
    return value.strftime("%d.%m.%Y %H:%M:%S")


def human_number(value: int | Decimal, places: int | None = None) -> str:
    text = f"{value:,.{places}f}" if places is not None else f"{value:,}"
    return text.replace(",", NBSP).replace(".", ",")


def human_money(value: Decimal | int) -> str:
    return f"{human_number(value, 2)}{NBSP}₽"


def _row(at: datetime, r: Any) -> Row:
    return (
        at.astimezone(ZONE),
        _DIRECTION.get(r[1] or "", ""),
        r[2],
        r[3],
        r[4],
        r[5] or "",
        r[6],
        from_kopecks(r[7]),
    )


class _Utf8:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode())


async def write_csv(source: AsyncIterator[Row], out: BinaryIO) -> int:
    writer = csv.writer(_Utf8(out))
    n = 0
    async for at, direction, phone, seconds, units, zone, text, cost in source:
        if text[:1] in ("=", "+", "-", "@"):
            text = "'" + text
        writer.writerow(
            [at.isoformat(), direction, phone, seconds, units, zone, text, f"{cost:.2f}"]
        )
        n += 1
    return n


async def write_html(source: AsyncIterator[Row], out: BinaryIO) -> int:
    n = 0
    out.write(b"<table>\n")
    async for at, direction, phone, seconds, units, zone, text, cost in source:
        cells = (
            human_datetime(at),
            direction,
            phone,
            human_number(seconds),
            human_number(units),
            zone,
            text,
            human_money(cost),
        )
        out.write(("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>\n").encode())
        n += 1
    out.write(b"</table>\n")
    return n


async def write_openpyxl(source: AsyncIterator[Row], out: BinaryIO) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Звонки")
    n = 0
    async for at, *rest in source:
        sheet.append([at.replace(tzinfo=None), *rest])
        n += 1
    workbook.save(out)
    return n


async def write_xlsxwriter(source: AsyncIterator[Row], out: BinaryIO) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("Звонки")
    when = workbook.add_format({"num_format": "DD.MM.YYYY HH:MM:SS"})
    n = 0
    async for at, direction, phone, seconds, units, zone, text, cost in source:
        sheet.write_datetime(n, 0, at.replace(tzinfo=None), when)
        sheet.write_string(n, 1, direction)
        sheet.write_string(n, 2, phone)
        sheet.write_number(n, 3, seconds)
        sheet.write_number(n, 4, units)
        sheet.write_string(n, 5, zone)
        sheet.write_string(n, 6, text)
        sheet.write_number(n, 7, float(cost))
        n += 1
    workbook.close()
    return n


async def write_pdf(source: AsyncIterator[Row], out: BinaryIO) -> int:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    font = FONT
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    width, height = landscape(A4)
    canvas = Canvas(out, pagesize=(width, height))
    canvas.setFont("DejaVuSans", 8)
    y = height - 40
    n = 0
    async for at, direction, phone, seconds, units, zone, text, cost in source:
        canvas.drawString(
            30,
            y,
            f"{human_datetime(at)}  {direction}  {phone}  {seconds}  {units}  {zone}  {text}"
            f"  {human_money(cost)}",
        )
        y -= 11
        if y < 40:
            canvas.showPage()
            canvas.setFont("DejaVuSans", 8)
            y = height - 40
        n += 1
    canvas.save()
    return n


WRITERS: dict[str, Callable[[AsyncIterator[Row], BinaryIO], Any]] = {
    "CSV": write_csv,
    "HTML": write_html,
    "XLSX": write_openpyxl,
    "XLSX-xlsxwriter": write_xlsxwriter,
    "PDF": write_pdf,
}
