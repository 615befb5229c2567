"""No cell of a CSV or XLSX report runs as a formula, whatever billing wrote into it (#11).

The columns are not listed here: every TEXT and PHONE column of every section that
``build_report`` makes (and every text line of the header) gets each OWASP payload, so a
column added later is covered by itself.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
from collections.abc import AsyncIterator
from decimal import Decimal

import openpyxl
import pytest

from detalka.models import Subscriber, UsageRecord
from detalka.models.enums import DeliveryMethod, ReportFormat
from detalka.reports.build import build_report
from detalka.reports.render_csv import CsvRenderer
from detalka.reports.render_xlsx import XlsxRenderer
from detalka.reports.report import Cell, Column, ColumnKind, Report
from detalka.resolvers import orders
from detalka.settings import Settings
from tests.ordering import NOW, subscriber_with_history

# OWASP CSV injection: a cell starting with any of these may run as a formula.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")
# What may start with + or - and stay as it is: a validated number, an amount.
PLAIN = re.compile(r"\+[0-9]{7,15}|-?[0-9]+(\.[0-9]+)?")
TEXT_KINDS = {ColumnKind.TEXT, ColumnKind.PHONE}


async def _enqueue(_order_id: int) -> None:
    return None


async def _report(db: Settings) -> Report:
    """A real report of every section, on history whose counterparty billing filled with a
    formula, every text column and header line then poisoned with each payload in turn."""
    subscriber = await subscriber_with_history()
    await UsageRecord.filter(subscriber_id=subscriber.id, counterparty__not_isnull=True).update(
        counterparty=PAYLOADS[0]
    )
    row = await Subscriber.get(id=subscriber.id).select_related("home_region")
    request = orders.OrderRequest(
        NOW.date().replace(month=10, day=1),
        NOW.date().replace(month=10, day=31),
        ReportFormat.CSV,
        DeliveryMethod.ARCHIVE,
        None,
        None,
        None,
        None,
    )
    order, _ = await orders.place_order(request, row, NOW, 3, _enqueue)
    report = await build_report(order, NOW)
    report.header = dataclasses.replace(
        report.header,
        full_name=PAYLOADS[0],
        region_name=PAYLOADS[1],
        tariff_name=PAYLOADS[3],
        pickup_store=PAYLOADS[2],
    )
    for section in report.sections:
        section.rows = _poisoned(section.rows, section.columns)
    return report


async def _poisoned(
    rows: AsyncIterator[tuple[Cell, ...]], columns: list[Column]
) -> AsyncIterator[tuple[Cell, ...]]:
    index = 0
    async for row in rows:
        poisoned: list[Cell] = []
        for value, column in zip(row, columns, strict=True):
            if column.kind in TEXT_KINDS:
                poisoned.append(PAYLOADS[index % len(PAYLOADS)])
                index += 1
            else:
                poisoned.append(value)
        yield tuple(poisoned)
    # a section with too few rows still meets every payload in every text column
    for payload in PAYLOADS:
        yield tuple(
            payload
            if c.kind in TEXT_KINDS
            else (Decimal("-1.00") if c.kind is ColumnKind.MONEY else None)
            for c in columns
        )


async def _rendered(renderer: CsvRenderer | XlsxRenderer, report: Report) -> bytes:
    out = io.BytesIO()

    async def progress(_rows: int) -> None:
        return None

    await renderer.render(report, out, progress)
    return out.getvalue()


async def test_no_csv_field_starts_like_a_formula_unless_it_is_a_number(db: Settings) -> None:
    data = await _rendered(CsvRenderer(), await _report(db))
    text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    fields = [field for line in csv.reader(io.StringIO(text, newline="")) for field in line]
    risky = [f for f in fields if f.startswith(STARTS) and not PLAIN.fullmatch(f)]
    assert risky == []
    # and each payload is there, neutralised, not dropped
    for payload in PAYLOADS:
        assert "'" + payload in fields, payload


async def test_no_xlsx_cell_is_a_formula_or_reads_as_one_when_edited(db: Settings) -> None:
    data = await _rendered(XlsxRenderer(), await _report(db))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                value = cell.value
                if isinstance(value, str) and value.startswith(STARTS):
                    seen.add(value)
                    if PLAIN.fullmatch(value):
                        continue  # a validated number: edited, a number at worst
                    # a text cell Excel keeps as text when someone edits it (quotePrefix)
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, value)
    assert {p.replace("\r", "") for p in PAYLOADS} <= {v.replace("\r", "") for v in seen}


@pytest.mark.parametrize("number", ["+79161234567", "+74951234567"])
async def test_a_validated_phone_number_stays_as_it_is_in_csv(number: str) -> None:
    from detalka.reports.render_csv import _field

    assert _field(number, ColumnKind.PHONE) == number
    assert _field("=1+" + number, ColumnKind.PHONE) == "'=1+" + number


@pytest.mark.parametrize("number", ["+79161234567", "+74951234567"])
async def test_a_validated_phone_number_is_a_plain_string_cell_in_xlsx(number: str) -> None:
    from detalka.reports.render_xlsx import _data_cell

    # a plain value: openpyxl writes it as a string, without the quotePrefix style
    assert _data_cell(None, number, ColumnKind.PHONE) == number
    # while a formula in a phone column (not a validated number) keeps its quotePrefix
    assert _data_cell(None, "=1+" + number, ColumnKind.PHONE).quotePrefix
    assert _data_cell(None, number, ColumnKind.TEXT).quotePrefix
