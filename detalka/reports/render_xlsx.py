"""XLSX, a spreadsheet: openpyxl in write-only mode, so rows go to disk as they come.

Layout: the first sheet, «Сводка», holds the header (label, value) and then every section's
title with its totals. Each section follows on a sheet of its own: one row of column titles,
then the rows. A section longer than ``max_rows_per_sheet`` data rows continues on
«<title> (2)», «<title> (3)», … each starting with the column titles again.

Cells are typed: money is a number with a ruble format, datetimes are Excel datetimes in the
report's zone (Excel has no zones), and text, phone numbers included, is always a string cell,
never a formula or a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from detalka.models.enums import ReportFormat
from detalka.reports.report import Cell, ColumnKind, Progress, Report, Section
from detalka.reports.writing import REPORT_TITLE, RowCounter, human_header, total_kind

MAX_ROWS_PER_SHEET = 1_048_575  # Excel's 1,048,576 rows, less the column titles
MAX_TEXT = 32_767  # characters Excel keeps in one cell
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_PLAIN_STARTS = ("#", *_FORMULA_STARTS)
# A validated number in a phone column («+79161234567»): edited, Excel reads it as a number at
# worst, never a call, so it is plain text like in the CSV (render_csv._E164).
_E164 = re.compile(r"\+[0-9]{7,15}")
MAX_SHEET_TITLE = 31
SUMMARY_TITLE = "Сводка"

MONEY_FORMAT = '#,##0.00 "₽"'
DATETIME_FORMAT = "DD.MM.YYYY HH:MM:SS"
DATE_FORMAT = "DD.MM.YYYY"
_WIDTHS = {
    ColumnKind.TEXT: 45,
    ColumnKind.PHONE: 16,
    ColumnKind.MONEY: 15,
    ColumnKind.INTEGER: 12,
    ColumnKind.DATETIME: 20,
    ColumnKind.DATE: 12,
}
_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_NOT_IN_SHEET_TITLES = str.maketrans({char: " " for char in "[]:*?/\\"})

Sheet = Any  # openpyxl's WriteOnlyWorksheet, untyped


class XlsxRenderer:
    format = ReportFormat.XLSX
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    extension = "xlsx"

    def __init__(self, max_rows_per_sheet: int = MAX_ROWS_PER_SHEET) -> None:
        self.max_rows_per_sheet = max_rows_per_sheet

    async def render(self, report: Report, out: BinaryIO, progress: Progress) -> int:
        workbook = Workbook(write_only=True)
        titles = _SheetTitles()
        _write_summary(workbook.create_sheet(titles.claim(SUMMARY_TITLE)), report)
        counter = RowCounter(progress)
        for section in report.sections:
            sheet: Sheet = None
            on_sheet = parts = 0
            async for row in section.rows:
                if sheet is None or on_sheet == self.max_rows_per_sheet:
                    parts += 1
                    sheet = _table_sheet(workbook, titles.claim(section.title, parts), section)
                    cells = _TableCells(sheet, section)
                    on_sheet = 0
                sheet.append(cells.of(row))
                on_sheet += 1
                await counter.add()
            if sheet is None:  # no rows: the sheet still shows the columns
                _table_sheet(workbook, titles.claim(section.title), section)
        workbook.save(out)
        return await counter.finish()


def _write_summary(sheet: Sheet, report: Report) -> None:
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 45
    sheet.append([_styled(sheet, REPORT_TITLE, _TITLE_FONT)])
    for label, value in human_header(report.header):
        sheet.append([_cell(sheet, label, ColumnKind.TEXT), _cell(sheet, value, ColumnKind.TEXT)])
    for section in report.sections:
        sheet.append([])
        sheet.append([_styled(sheet, section.title, _BOLD)])
        for label, total in section.totals:
            value_cell = _cell(sheet, total, total_kind(total))
            sheet.append([_cell(sheet, label, ColumnKind.TEXT), value_cell])


def _table_sheet(workbook: Any, title: str, section: Section) -> Sheet:
    sheet = workbook.create_sheet(title)
    sheet._values_to_row = partial(_row_cells, sheet)  # see _row_cells
    for index, column in enumerate(section.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS[column.kind]
    sheet.freeze_panes = "A2"
    sheet.append([_styled(sheet, column.title, _BOLD) for column in section.columns])
    return sheet


def _row_cells(sheet: Sheet, values: list[Any], row_idx: int) -> Iterator[Any]:
    """A table row's cells for openpyxl's writer: its ``_values_to_row`` (3.1) without the
    failed bind of each cell object.

    openpyxl first assigns every appended item as a cell's value; a cell object of ours
    (dates, money, quoted text) fails that with a ValueError whose message formats the
    cell's repr, and the next column then gets a fresh cell: about a sixteenth of an XLSX
    render. Here a cell object is yielded as it is, and a plain value (int, str) is bound to
    one reused cell, as openpyxl does; rows have no hyperlinks. The XML is the same
    (tests/test_renderers.py).
    """
    plain = WriteOnlyCell(sheet)
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, XlCell):
            cell = value
        else:
            cell = plain
            cell.value = value
        cell.column = col_idx
        cell.row = row_idx
        yield cell
        if cell is plain and cell.has_style:
            plain = WriteOnlyCell(sheet)


def _styled(sheet: Sheet, text: str, font: Any) -> Any:
    cell = _cell(sheet, text, ColumnKind.TEXT)
    cell.font = font
    return cell


class _TableCells:
    """The cells of one table sheet's rows, styled ones made once per column and reused.

    openpyxl's write-only sheet writes each appended row before ``append`` returns, so a cell
    object can take the next row's value: one styled cell per date or money column instead of
    a new cell and two style lookups per value (openpyxl 3.1, _write_only._write_rows; the
    XML is compared with fresh cells in tests/test_renderers.py).
    """

    def __init__(self, sheet: Sheet, section: Section) -> None:
        self.sheet = sheet
        self.kinds = [column.kind for column in section.columns]
        self.dates = [_cell(sheet, datetime(2000, 1, 1), kind) for kind in self.kinds]
        self.money = [_cell(sheet, Decimal(0), kind) for kind in self.kinds]
        # Text that starts like a formula is a string cell with quotePrefix (_cell): one such
        # cell per column too (a validated phone number, «+7…», is plain text).
        self.quoted = [_cell(sheet, "=", kind) for kind in self.kinds]

    def of(self, row: tuple[Cell, ...]) -> list[Any]:
        cells: list[Any] = []
        for index, (value, kind) in enumerate(zip(row, self.kinds, strict=True)):
            if type(value) is datetime:
                cell = self.dates[index]
                cell.value = value.replace(tzinfo=None)
            elif type(value) is Decimal and kind is ColumnKind.MONEY:
                cell = self.money[index]
                cell.value = value
            elif type(value) is str:
                text = _text(value)
                if not text.startswith(_NOT_PLAIN_STARTS) or _phone(text, kind):
                    cell = text
                elif text.startswith(_FORMULA_STARTS):
                    cell = self.quoted[index]
                    cell.value = text
                    cell.data_type = "s"  # after the value, as in _cell
                else:
                    cell = _cell(self.sheet, value, kind)
            else:
                cell = _data_cell(self.sheet, value, kind)
            cells.append(cell)
        return cells


def _data_cell(sheet: Sheet, value: Cell, kind: ColumnKind) -> Any:
    """A table cell: the value itself when openpyxl writes it as ``_cell`` would, else a cell.

    openpyxl binds an appended value to one reused cell, while a cell object of ours costs
    its construction plus a failed bind (``_values_to_row`` tries it as a value first): about
    half of the per-cell time. Plain values are integers, and text that openpyxl cannot take
    for a formula or an error code (it types those by their first character); the rest,
    styled cells included, go through ``_cell``.
    """
    if type(value) is int:
        return value
    if type(value) is str:
        text = _text(value)
        # (text that starts like a formula needs _cell's quotePrefix: tests/test_report_injection)
        if not text.startswith(_NOT_PLAIN_STARTS) or _phone(text, kind):
            return text
    return _cell(sheet, value, kind)


def _cell(sheet: Sheet, value: Cell, kind: ColumnKind) -> Any:
    if isinstance(value, str):
        # Set the value, then the type: openpyxl reads "=..." as a formula otherwise.
        text = _text(value)
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        if text.startswith(_FORMULA_STARTS) and not _phone(text, kind):
            # A string cell never runs, but once someone edits it Excel parses it again:
            # quotePrefix keeps it text then too (OWASP's CSV injection, in a spreadsheet).
            cell.quotePrefix = True
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal) and kind is ColumnKind.MONEY:
        cell.number_format = MONEY_FORMAT
    return cell


def _phone(text: str, kind: ColumnKind) -> bool:
    return kind is ColumnKind.PHONE and _E164.fullmatch(text) is not None


def _text(value: str) -> str:
    """Text as a cell holds it: without the control characters XML cannot carry, cut to
    Excel's limit."""
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
    return text


class _SheetTitles:
    """Sheet titles Excel accepts: at most 31 characters, none of []:*?/\\, unique."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, title: str, part: int = 1) -> str:
        base = title.translate(_NOT_IN_SHEET_TITLES).strip().strip("'") or "Раздел"
        number = part
        candidate = base[:MAX_SHEET_TITLE] if part == 1 else _with_suffix(base, part)
        while candidate.casefold() in self._taken:
            number += 1
            candidate = _with_suffix(base, number)
        self._taken.add(candidate.casefold())
        return candidate


def _with_suffix(base: str, number: int) -> str:
    suffix = f" ({number})"
    return base[: MAX_SHEET_TITLE - len(suffix)] + suffix
