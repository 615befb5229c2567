"""CSV, for machines: RFC 4180 (comma, CRLF, quoted as needed), UTF-8 with a BOM (Excel then
shows Cyrillic).

Layout: blocks of lines separated by one empty line.

    Номер,+79161234567                     the header, one "label,value" line each:
    Абонент,Иванова Мария                  Номер, Абонент, Регион, Тариф, Период с,
    ...                                    Период по, Часовой пояс, Сформирован
    Сформирован,2026-10-31T23:30:00+03:00
                                           empty line
    Раздел,Звонки                          then per section: "Раздел,<title>",
    Дата и время,Номер,Описание,Стоимость  the column titles,
    2026-10-03T09:15:00+03:00,...          the rows (as many fields as columns),
                                           an empty line,
    Итого,1234.56                          its totals, "label,value" (maybe none),
                                           and an empty line.

A data row never makes an empty line (a lone empty field is written as ``""``), so a reader
may split on empty lines. Values are for machines: money ``1234.56`` (a point, two places, no
grouping), datetimes ISO 8601 with the zone's offset, dates ISO 8601, phone numbers exactly as
in E.164 (``+79161234567``). Any other text that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, BinaryIO

from detalka.models.enums import ReportFormat
from detalka.reports.report import Cell, ColumnKind, Header, Progress, Report, Section
from detalka.reports.writing import RowCounter, row_function, total_kind

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[0-9]{7,15}")


class CsvRenderer:
    format = ReportFormat.CSV
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    async def render(self, report: Report, out: BinaryIO, progress: Progress) -> int:
        out.write(codecs.BOM_UTF8)
        # Text in, UTF-8 bytes out through the C text layer, which buffers and encodes in
        # chunks; detached (never closed) at the end, so ``out`` stays the caller's.
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
        try:
            return await self._write(report, csv.writer(text), progress)
        finally:
            text.flush()
            text.detach()

    async def _write(self, report: Report, writer: Any, progress: Progress) -> int:
        writer.writerows(_header_lines(report.header))
        writer.writerow([])
        counter = RowCounter(progress)
        for section in report.sections:
            writer.writerow(["Раздел", section.title])
            writer.writerow([column.title for column in section.columns])
            cells = _row_writer(tuple(column.kind for column in section.columns))
            writerow = writer.writerow
            async for row in section.rows:
                writerow(cells(row))
                await counter.add()
            writer.writerow([])
            writer.writerows(_total_lines(section))
            writer.writerow([])
        return await counter.finish()


def _header_lines(header: Header) -> list[list[str]]:
    return [
        ["Номер", header.msisdn],
        ["Абонент", _neutralised(header.full_name)],
        ["Регион", _neutralised(header.region_name)],
        ["Тариф", _neutralised(header.tariff_name)],
        ["Период с", header.period_from.isoformat()],
        ["Период по", header.period_to.isoformat()],
        ["Часовой пояс", header.time_zone],
        ["Сформирован", header.generated_at.isoformat(timespec="seconds")],
    ]


def _total_lines(section: Section) -> list[list[str]]:
    return [[label, _field(value, total_kind(value))] for label, value in section.totals]


def _field(value: Cell, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}" if kind is ColumnKind.MONEY else f"{value:f}"
    if isinstance(value, int):
        return str(value)
    # A phone number in E.164 ("+7...") stays as it is; anything else in a phone column (a
    # counterparty is billing's free text: "=cmd|..." came through) is neutralised.
    return value if kind is ColumnKind.PHONE and _E164.fullmatch(value) else _neutralised(value)


# Each cell's usual type is written inline (an aware datetime, text, a phone number, an int,
# Decimal money), anything else the general way (_field), so the text is _field's whatever
# comes. An int goes to csv.writer as it is, which writes str(int) like _field.
_CELLS = {
    ColumnKind.DATETIME: (
        "{v}.isoformat(timespec='seconds') if type({v}) is datetime else _field({v}, {k})"
    ),
    ColumnKind.TEXT: (
        '("\'" + {v} if {v}.startswith(_FORMULA_STARTS) else {v})'
        " if type({v}) is str else _field({v}, {k})"
    ),
    ColumnKind.PHONE: "{v} if type({v}) is str and _e164({v}) else _field({v}, {k})",
    ColumnKind.INTEGER: "{v} if type({v}) is int else _field({v}, {k})",
    ColumnKind.MONEY: "format({v}, '.2f') if type({v}) is Decimal else _field({v}, {k})",
    ColumnKind.DATE: "_field({v}, {k})",
}
_SCOPE = {
    "datetime": datetime,
    "Decimal": Decimal,
    "_FORMULA_STARTS": _FORMULA_STARTS,
    "_e164": _E164.fullmatch,
    "_field": _field,
}


@cache
def _row_writer(kinds: tuple[ColumnKind, ...]) -> Callable[[tuple[Cell, ...]], list[Cell]]:
    """The fields of a row of these columns, for csv.writer (see writing.row_function)."""
    return row_function(kinds, _CELLS, "[{cells}]", _SCOPE)


def _neutralised(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
