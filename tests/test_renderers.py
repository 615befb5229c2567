"""The four report formats, read back with real readers (DESIGN.md section 5, file rules)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import openpyxl
import pytest
from pypdf import PdfReader
from reportlab.lib.colors import black  # type: ignore[import-untyped]

from detalka.models.enums import ReportFormat, ReportSection
from detalka.reports import render_csv, render_html, render_pdf, render_xlsx
from detalka.reports.formats import renderer_for
from detalka.reports.pdf_text import fitted
from detalka.reports.render_csv import CsvRenderer
from detalka.reports.render_html import HtmlRenderer
from detalka.reports.render_pdf import PdfRenderer
from detalka.reports.render_xlsx import XlsxRenderer
from detalka.reports.report import (
    Cell,
    Column,
    ColumnKind,
    ExpenseChart,
    Header,
    Renderer,
    Report,
    Section,
)
from detalka.reports.writing import human_cell

MOSCOW = ZoneInfo("Europe/Moscow")
FORMULA = '=HYPERLINK("http://evil.example/","Нажмите")'
SCRIPT = "<script>alert('взлом')</script>"
CALL_COLUMNS = [
    Column("Дата и время", ColumnKind.DATETIME),
    Column("Номер", ColumnKind.PHONE),
    Column("Описание", ColumnKind.TEXT),
    Column("Длительность, с", ColumnKind.INTEGER),
    Column("Стоимость", ColumnKind.MONEY),
]
CALLS = [
    (
        datetime(2026, 10, 3, 9, 15, tzinfo=MOSCOW),
        "+79031112233",
        "Исходящий, Москва",
        125,
        Decimal("12.50"),
    ),
    (
        datetime(2026, 10, 7, 18, 0, 5, tzinfo=MOSCOW),
        "+74951234567",
        FORMULA,
        3600,
        Decimal("1234.56"),
    ),
    (datetime(2026, 10, 31, 23, 30, tzinfo=MOSCOW), "+79161234567", SCRIPT, 5, Decimal("0.00")),
]
MESSAGES = [
    (datetime(2026, 10, 4, 8, 0, tzinfo=MOSCOW), "+79261234567", "-скидка 10%", Decimal("2.00")),
    (datetime(2026, 10, 5, 8, 0, tzinfo=MOSCOW), "+79261234567", "@всем привет", Decimal("2.00")),
]
PAYMENTS = [
    (date(2026, 10, 5), "+100 бонусов", Decimal("1500.00")),
    (date(2026, 10, 20), "Банковская карта", Decimal("250.50")),
]


class OnceRows:
    """Rows that may be iterated once: a second ``async for`` fails the test."""

    def __init__(self, rows: list[tuple[Cell, ...]]) -> None:
        self._rows = iter(rows)
        self.started = False

    def __aiter__(self) -> AsyncIterator[tuple[Cell, ...]]:
        assert not self.started, "a section's rows were iterated twice"
        self.started = True
        return self

    async def __anext__(self) -> tuple[Cell, ...]:
        try:
            return next(self._rows)
        except StopIteration:
            raise StopAsyncIteration from None


def make_report(calls: list[tuple[Cell, ...]] | None = None) -> Report:
    header = Header(
        msisdn="+79161234567",
        full_name="Иванова Мария Петровна",
        region_name="Москва и Московская область",
        tariff_name="Всё просто",
        period_from=date(2026, 10, 1),
        period_to=date(2026, 10, 31),
        time_zone="Europe/Moscow",
        generated_at=datetime(2026, 11, 1, 9, 5, 7, tzinfo=MOSCOW),
    )
    sections = [
        Section(
            ReportSection.CALLS,
            "Звонки",
            CALL_COLUMNS,
            OnceRows(CALLS if calls is None else calls),
            totals=[("Итого", Decimal("1247.06")), ("Звонков", 3)],
        ),
        Section(
            ReportSection.MESSAGES,
            "Сообщения",
            [
                Column("Дата и время", ColumnKind.DATETIME),
                Column("Номер", ColumnKind.PHONE),
                Column("Текст", ColumnKind.TEXT),
                Column("Стоимость", ColumnKind.MONEY),
            ],
            OnceRows(MESSAGES),
            totals=[("Итого", Decimal("4.00"))],
        ),
        Section(
            ReportSection.PAYMENTS,
            "Платежи",
            [
                Column("Дата", ColumnKind.DATE),
                Column("Способ", ColumnKind.TEXT),
                Column("Сумма", ColumnKind.MONEY),
            ],
            OnceRows(PAYMENTS),
            totals=[("Итого", Decimal("1750.50"))],
        ),
    ]
    chart = ExpenseChart(
        by_day=[(date(2026, 10, day), Decimal(day) * Decimal("1.25")) for day in range(1, 32)],
        by_category=[("Звонки", Decimal("1247.06")), ("Сообщения", Decimal("4.00"))],
        total=Decimal("1251.06"),
    )
    return Report(header, sections, chart, estimated_rows=7)


class ProgressLog:
    def __init__(self) -> None:
        self.calls: list[int] = []

    async def __call__(self, rows: int) -> None:
        self.calls.append(rows)


async def render(renderer: Renderer, report: Report) -> bytes:
    out = io.BytesIO()
    await renderer.render(report, out, ProgressLog())
    return out.getvalue()


def spaced(text: str) -> str:
    """Human formats keep «1 234,56 ₽» together with no-break spaces."""
    return text.replace("\u00a0", " ")


ALL_RENDERERS = [CsvRenderer(), XlsxRenderer(), HtmlRenderer(), PdfRenderer()]


# Every format


@pytest.mark.parametrize("renderer", ALL_RENDERERS, ids=lambda r: r.format.value)
async def test_every_renderer_returns_the_row_count_and_reports_progress(
    renderer: Renderer,
) -> None:
    # given 2,500 calls, 2 messages and 2 payments
    call = CALLS[0]
    report = make_report(calls=[call] * 2500)
    progress = ProgressLog()

    # when
    written = await renderer.render(report, io.BytesIO(), progress)

    # then
    assert written == 2504
    assert progress.calls == [1000, 2000, 2504]


@pytest.mark.parametrize("renderer", ALL_RENDERERS, ids=lambda r: r.format.value)
async def test_every_renderer_reads_each_sections_rows_once(renderer: Renderer) -> None:
    # given
    report = make_report()

    # when
    await render(renderer, report)

    # then (a second iteration would have failed inside the renderer)
    assert all(section.rows.started for section in report.sections)  # type: ignore[attr-defined]


@pytest.mark.parametrize("renderer", ALL_RENDERERS, ids=lambda r: r.format.value)
async def test_every_renderer_accepts_a_section_without_rows(renderer: Renderer) -> None:
    # given
    report = make_report(calls=[])

    # when
    written = await renderer.render(report, io.BytesIO(), ProgressLog())

    # then
    assert written == len(MESSAGES) + len(PAYMENTS)


@pytest.mark.parametrize("format", list(ReportFormat))
def test_renderer_for_gives_a_renderer_of_each_format(format: ReportFormat) -> None:
    # when
    renderer = renderer_for(format)

    # then
    assert renderer.format is format
    assert renderer.extension == format.value.lower()
    assert renderer.content_type


# CSV


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_csv_is_utf8_with_a_bom_and_crlf_line_endings() -> None:
    # when
    data = await render(CsvRenderer(), make_report())

    # then
    assert data.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "Иванова Мария Петровна".encode() in data


async def test_csv_layout_is_the_header_then_each_section_with_columns_rows_and_totals() -> None:
    # when
    lines = read_csv(await render(CsvRenderer(), make_report()))

    # then
    assert lines[:9] == [
        ["Номер", "+79161234567"],
        ["Абонент", "Иванова Мария Петровна"],
        ["Регион", "Москва и Московская область"],
        ["Тариф", "Всё просто"],
        ["Период с", "2026-10-01"],
        ["Период по", "2026-10-31"],
        ["Часовой пояс", "Europe/Moscow"],
        ["Сформирован", "2026-11-01T09:05:07+03:00"],
        [],
    ]
    calls = lines[9:18]
    assert calls[0] == ["Раздел", "Звонки"]
    assert calls[1] == [column.title for column in CALL_COLUMNS]
    assert calls[2] == [
        "2026-10-03T09:15:00+03:00",
        "+79031112233",
        "Исходящий, Москва",
        "125",
        "12.50",
    ]
    assert calls[4][1:] == ["+79161234567", SCRIPT, "5", "0.00"]
    assert calls[5:] == [[], ["Итого", "1247.06"], ["Звонков", "3"], []]
    assert lines[18] == ["Раздел", "Сообщения"]
    assert lines[-3:] == [[], ["Итого", "1750.50"], []]


async def test_csv_neutralises_formula_like_text_but_keeps_phone_numbers_and_money_plain() -> None:
    # when
    lines = read_csv(await render(CsvRenderer(), make_report()))

    # then
    rows = {line[2]: line for line in lines if len(line) >= 4}
    assert "'" + FORMULA in rows
    assert rows["'" + FORMULA][1] == "+74951234567"
    assert rows["'" + FORMULA][4] == "1234.56"
    assert "'-скидка 10%" in rows
    assert "'@всем привет" in rows
    payment = next(line for line in lines if line[:1] == ["2026-10-05"])
    assert payment == ["2026-10-05", "'+100 бонусов", "1500.00"]
    assert not any(field.startswith("'+7") for line in lines for field in line)


# XLSX


def load_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet: object) -> list[tuple[object, ...]]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]  # type: ignore[attr-defined]


async def test_xlsx_has_a_summary_sheet_then_each_section_on_its_own_sheet() -> None:
    # when
    book = load_xlsx(await render(XlsxRenderer(), make_report()))

    # then
    assert book.sheetnames == ["Сводка", "Звонки", "Сообщения", "Платежи"]
    summary = values(book["Сводка"])
    assert summary[0][0] == "Детализация счёта"
    assert ("Номер", "+79161234567") in summary
    assert ("Период", "с 01.10.2026 по 31.10.2026") in summary
    assert ("Часовой пояс", "Europe/Moscow (UTC+03:00)") in summary
    assert ("Сформирован", "01.11.2026 09:05:07") in summary
    assert ("Звонков", 3) in summary
    calls = values(book["Звонки"])
    assert calls[0] == tuple(column.title for column in CALL_COLUMNS)
    assert calls[1][:4] == (datetime(2026, 10, 3, 9, 15), "+79031112233", "Исходящий, Москва", 125)
    assert len(calls) == 1 + len(CALLS)


async def test_xlsx_text_and_phone_cells_are_strings_never_formulas() -> None:
    # when
    sheet = load_xlsx(await render(XlsxRenderer(), make_report()))["Звонки"]

    # then
    formula_row = sheet[3]
    assert formula_row[2].value == FORMULA
    assert formula_row[2].data_type == "s"
    assert formula_row[1].value == "+74951234567"
    assert formula_row[1].data_type == "s"
    assert sheet[4][2].value == SCRIPT


async def test_xlsx_money_is_an_exact_number_with_a_ruble_format() -> None:
    # when
    book = load_xlsx(await render(XlsxRenderer(), make_report()))

    # then
    cost = book["Звонки"]["E3"]
    assert cost.data_type == "n"
    assert Decimal(str(cost.value)) == Decimal("1234.56")
    assert cost.number_format == '#,##0.00 "₽"'
    total = next(row[1] for row in book["Сводка"].iter_rows() if row[0].value == "Итого")
    assert Decimal(str(total.value)) == Decimal("1247.06")
    assert total.number_format == '#,##0.00 "₽"'


async def test_xlsx_section_past_the_row_limit_continues_on_numbered_sheets() -> None:
    # given 12 calls and room for 5 rows a sheet
    calls = [(None, "+79031112233", f"Звонок {n}", n, Decimal(n)) for n in range(1, 13)]
    report = make_report(calls=calls)

    # when
    book = load_xlsx(await render(XlsxRenderer(max_rows_per_sheet=5), report))

    # then
    parts = ["Звонки", "Звонки (2)", "Звонки (3)"]
    assert book.sheetnames == ["Сводка", *parts, "Сообщения", "Платежи"]
    header = tuple(column.title for column in CALL_COLUMNS)
    rows = []
    for title in parts:
        sheet = values(book[title])
        assert sheet[0] == header
        assert len(sheet) <= 1 + 5
        rows += [row[2] for row in sheet[1:]]
    assert rows == [f"Звонок {n}" for n in range(1, 13)]


async def test_xlsx_sheet_titles_are_short_unique_and_free_of_forbidden_characters() -> None:
    # given two sections with one long title full of characters Excel refuses
    report = make_report()
    title = "Звонки [межгород]: входящие/исходящие * ? \\ за октябрь"
    report.sections[1].title = title
    report.sections[2].title = title

    # when
    book = load_xlsx(await render(XlsxRenderer(), report))

    # then
    names = book.sheetnames[2:]
    assert len(set(names)) == 2
    for name in names:
        assert len(name) <= 31
        assert not set(name) & set("[]:*?/\\")


# HTML


def parse_html(data: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(data)


async def test_html_is_one_self_contained_printable_page() -> None:
    # when
    page = parse_html(await render(HtmlRenderer(), make_report()))

    # then
    assert page.get("lang") == "ru"
    assert page.xpath("//meta[@charset='utf-8']")
    assert "@media print" in page.xpath("string(//style)")
    assert not page.xpath("//script | //link | //img | //iframe | //*[@src] | //*[@href]")
    assert "url(" not in page.xpath("string(//style)")


async def test_html_shows_the_header_tables_with_thead_and_totals() -> None:
    # when
    page = parse_html(await render(HtmlRenderer(), make_report()))

    # then
    text = spaced(page.text_content())
    for shown in ["Детализация счёта", "Иванова Мария Петровна", "Всё просто"]:
        assert shown in text
    assert "с 01.10.2026 по 31.10.2026" in text
    assert "Europe/Moscow" in text
    assert [h.text_content() for h in page.xpath("//section/h2")][1:] == [
        "Звонки",
        "Сообщения",
        "Платежи",
    ]
    tables = page.xpath("//table")
    assert len(tables) == 3
    assert tables[0].xpath("thead/tr/th")[0].text_content() == "Дата и время"
    first = [spaced(td.text_content()) for td in tables[0].xpath("tbody/tr[1]/td")]
    assert first == ["03.10.2026 09:15:00", "+79031112233", "Исходящий, Москва", "125", "12,50 ₽"]
    assert spaced(tables[0].xpath("tbody/tr[2]/td[5]")[0].text_content()) == "1 234,56 ₽"
    assert "Итого" in text and "1 247,06 ₽" in text


async def test_html_escapes_every_value() -> None:
    # when
    data = await render(HtmlRenderer(), make_report())

    # then
    assert b"<script>" not in data
    assert b"&lt;script&gt;" in data
    page = parse_html(data)
    assert SCRIPT in page.text_content()
    assert not page.xpath("//script")


async def test_html_draws_expenses_by_day_and_by_category_as_inline_svg() -> None:
    # when
    page = parse_html(await render(HtmlRenderer(), make_report()))

    # then
    charts = page.xpath("//svg")
    assert len(charts) == 2
    by_day, by_category = charts
    assert len(by_day.xpath(".//rect")) == 31
    assert "31.10.2026: 38,75 ₽" in spaced(by_day.text_content())
    assert len(by_category.xpath(".//rect")) == 2
    assert "Сообщения" in by_category.text_content()
    assert "1 251,06 ₽" in spaced(page.text_content())


# PDF


def pdf_text(data: bytes) -> str:
    return spaced("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


async def test_pdf_shows_the_cyrillic_header_rows_and_totals_with_the_ruble_sign() -> None:
    # when
    data = await render(PdfRenderer(), make_report())

    # then
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for shown in [
        "Детализация счёта",
        "Иванова Мария Петровна",
        "с 01.10.2026 по 31.10.2026",
        "Europe/Moscow",
        "Звонки",
        "Исходящий, Москва",
        "1 234,56 ₽",
        "1 247,06 ₽",
        "1 750,50 ₽",
        SCRIPT,
    ]:
        assert shown in text


async def test_pdf_is_a4_and_embeds_dejavu_sans() -> None:
    # when
    reader = PdfReader(io.BytesIO(await render(PdfRenderer(), make_report())))

    # then
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    embedded = [font for font in fonts if "DejaVuSans" in font["/BaseFont"]]
    assert embedded
    assert all("/FontFile2" in font["/FontDescriptor"] for font in embedded)


async def test_pdf_page_streams_are_compressed_binary_without_ascii85() -> None:
    # when
    data = await render(PdfRenderer(), make_report(calls=varied_calls(200)))

    # then every page's stream is Flate alone, and the document reads back
    reader = PdfReader(io.BytesIO(data), strict=True)
    filters = {tuple(page["/Contents"].get_object()["/Filter"]) for page in reader.pages}
    assert filters == {("/FlateDecode",)}
    assert b"ASCII85Decode" not in data
    assert "+79160000199" in pdf_text(data)


async def test_pdf_saved_in_many_chunks_is_one_document_with_every_row_in_order() -> None:
    # given 300 calls, drawn one page a chunk
    calls = [(None, "+79031112233", f"Звонок №{n}", n, Decimal(n)) for n in range(1, 301)]
    report = make_report(calls=calls)

    # when
    data = await render(PdfRenderer(pages_per_chunk=1), report)

    # then
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) > 3
    text = pdf_text(data)
    positions = [re.search(rf"Звонок №{n}\b", text) for n in (1, 150, 300)]
    assert all(positions)
    assert [match.start() for match in positions] == sorted(match.start() for match in positions)
    assert f"Страница {len(reader.pages)}" in text
    assert "Звонки (продолжение)" in text


async def test_pdf_turns_to_landscape_when_a_section_has_many_columns() -> None:
    # given the call columns the real report uses: eight of them, three of free text
    columns = [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Направление", ColumnKind.TEXT),
        Column("Номер", ColumnKind.PHONE),
        Column("Длительность, с", ColumnKind.INTEGER),
        Column("Из пакета, мин", ColumnKind.INTEGER),
        Column("Зона", ColumnKind.TEXT),
        Column("Описание", ColumnKind.TEXT),
        Column("Стоимость, ₽", ColumnKind.MONEY),
    ]
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=MOSCOW)
    row = (moment, "исходящий", "+79031112233", 125, 3, "Домашний регион", "Звонок", Decimal(9))
    report = make_report()
    report.sections[0].columns = columns
    report.sections[0].rows = OnceRows([row])

    # when
    data = await render(PdfRenderer(), report)

    # then
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    assert "31.10.2026 23:30:00" in pdf_text(data)


def varied_calls(count: int) -> list[tuple[Cell, ...]]:
    """Calls whose cells put the PDF's text drawing through its corners: more distinct characters
    than one font subset holds (256), characters DejaVu has no glyph for, control characters,
    PDF string delimiters, the no-break space, texts too wide for their column, empty cells."""
    scripts = [(0x391, 0x3CA), (0x531, 0x557), (0x10D0, 0x10F1), (0x2190, 0x2200), (0x2500, 0x2580)]
    alphabet = "".join(chr(code) for first, end in scripts for code in range(first, end))
    texts = [
        "Исходящий вызов, Москва",
        "(скобки) и \\ обратная черта",
        "строка\nперевод\tтабуляция\x7f",
        "漢字: в шрифте нет таких знаков",
        "очень длинное описание, которое не поместится в колонку, " * 3,
        "",
        "\u00a0неразрывный пробел\u00a0",
        FORMULA,
    ]
    start = datetime(2026, 10, 1, tzinfo=MOSCOW)
    return [
        (
            None if n % 17 == 0 else start + n * timedelta(minutes=13),
            f"+7916{n:07d}",
            alphabet[n * 7 % len(alphabet) :][:20] if n % 3 == 0 else texts[n % len(texts)],
            None if n % 11 == 0 else n * 37 + (10**9 if n % 5 == 0 else 0),
            (Decimal(n) / 7).quantize(Decimal("0.01")) * (-1 if n % 4 == 0 else 1),
        )
        for n in range(count)
    ]


def reference_row(table: Any, pages: Any, row: tuple[Cell, ...]) -> None:
    """A table row drawn with reportlab's text object, a ``textOut`` a cell: what
    ``render_pdf`` writes straight into the page's operators (or repeats) must be exactly this."""
    if not pages.room(render_pdf.ROW):
        pages.next_page()
        pages.line(f"{table.section.title} (продолжение)", render_pdf.BOLD, 9, 14)
        reference_titles(table, pages)
    canvas, x, y = pages.canvas, render_pdf.MARGIN, pages.y
    if table.shaded:
        canvas.setFillColor(render_pdf.ZEBRA)
        canvas.rect(render_pdf.MARGIN, y - render_pdf.ROW, table.width, render_pdf.ROW, 0, 1)
        canvas.setFillColor(black)
    table.shaded = not table.shaded
    text_object = canvas.beginText()
    text_object.setFont(render_pdf.FONT, render_pdf.SIZE)
    for value, column, width in zip(row, table.columns, table.widths, strict=True):
        shown = human_cell(value, column.kind)
        text, text_width = fitted(shown, width - 2 * render_pdf.PAD)
        pad = render_pdf.PAD
        right = column.kind in (ColumnKind.MONEY, ColumnKind.INTEGER)
        text_object.setTextOrigin(x + width - pad - text_width if right else x + pad, y - 8)
        text_object.textOut(text)
        x += width
    canvas.drawText(text_object)
    pages.y -= render_pdf.ROW


def reference_titles(table: Any, pages: Any) -> None:
    """A table's column titles drawn with a ``drawString`` each, at every page."""
    canvas, x, y = pages.canvas, render_pdf.MARGIN, pages.y
    canvas.setFillColor(render_pdf.LIGHT)
    canvas.rect(render_pdf.MARGIN, y - table.header_height, table.width, table.header_height, 0, 1)
    canvas.setFillColor(black)
    canvas.setFont(render_pdf.BOLD, render_pdf.SIZE)
    for column, lines, width in zip(table.columns, table.titles, table.widths, strict=True):
        for index, text in enumerate(lines):
            at = y - 8 - index * render_pdf.ROW
            if column.kind in (ColumnKind.MONEY, ColumnKind.INTEGER):
                canvas.drawRightString(x + width - render_pdf.PAD, at, text)
            else:
                canvas.drawString(x + render_pdf.PAD, at, text)
        x += width
    canvas.setFont(render_pdf.FONT, render_pdf.SIZE)
    pages.y -= table.header_height
    table.shaded = False


def without_creation_date(data: bytes) -> bytes:
    return re.sub(rb"/CreationDate \(D:\d{14}Z\)", b"", data)


async def test_pdf_rows_titles_and_footers_are_the_bytes_reportlab_would_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given 1,500 varied calls, drawn in chunks of 3 pages (each chunk its own font subsets)
    calls = varied_calls(1500)

    # when the renderer draws them, and reportlab's text object draws them
    written = await render(PdfRenderer(pages_per_chunk=3), make_report(calls=calls))
    monkeypatch.setattr(render_pdf._Table, "row", reference_row)
    monkeypatch.setattr(render_pdf._Table, "_column_titles", reference_titles)
    monkeypatch.setattr(render_pdf._Pages, "repeat", lambda pages, key, draw: draw())
    drawn = await render(PdfRenderer(pages_per_chunk=3), make_report(calls=calls))

    # then the documents are the same, byte for byte, and show the rows
    assert without_creation_date(written) == without_creation_date(drawn)
    reader = PdfReader(io.BytesIO(written), strict=True)
    assert len(reader.pages) > 12
    text = pdf_text(written)
    for shown in ["(скобки) и \\ обратная черта", "+79160001499", "-213,71 ₽", "1 000 000 185"]:
        assert shown in text
    assert "очень длинное описание, которое не" in text
    assert "…" in text


def empty_sections_report() -> Report:
    report = make_report(calls=[])
    for section in report.sections:
        section.rows = OnceRows([])
    return report


async def test_pdf_repeated_lines_are_the_bytes_reportlab_would_write_at_each_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given three empty sections: «Нет записей» under each, the same line at three heights
    # when the renderer draws them, and reportlab draws every line anew
    written = await render(PdfRenderer(), empty_sections_report())
    monkeypatch.setattr(render_pdf._Pages, "repeat", lambda pages, key, draw: draw())
    drawn = await render(PdfRenderer(), empty_sections_report())

    # then the documents are the same, byte for byte
    assert without_creation_date(written) == without_creation_date(drawn)
    assert pdf_text(written).count("Нет записей") == 3


CSV_VALUES = [
    None,
    "",
    "text",
    "=SUM(A1)",
    "+79161234567",
    "-1",
    "@x",
    0,
    -42,
    1234567,
    Decimal("0"),
    Decimal("-12.5"),
    Decimal("1234.56"),
    datetime(2026, 10, 3, 9, 15, 0, 250_000, tzinfo=ZoneInfo("Europe/Moscow")),
    datetime(2026, 10, 3, 9, 15),
    date(2026, 10, 3),
]


def _csv_line(fields: list[Cell]) -> str:
    text = io.StringIO()
    csv.writer(text).writerow(fields)
    return text.getvalue()


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_csv_row_writers_write_every_value_as_the_general_field_writer(kind: ColumnKind) -> None:
    # the row writer made once per section writes what _field writes, whatever comes
    for value in CSV_VALUES:
        fields = render_csv._row_writer((kind,))((value,))
        assert _csv_line(fields) == _csv_line([render_csv._field(value, kind)]), (kind, value)


def test_a_csv_row_writer_of_many_columns_writes_each_by_its_kind_and_refuses_other_lengths() -> (
    None
):
    kinds = tuple(ColumnKind) * 2
    cells = render_csv._row_writer(kinds)
    for first, second in zip(CSV_VALUES, reversed(CSV_VALUES), strict=True):
        row = tuple([first, second] * len(ColumnKind))[: len(kinds)]
        expected = [render_csv._field(v, k) for v, k in zip(row, kinds, strict=True)]
        assert _csv_line(cells(row)) == _csv_line(expected), row
    with pytest.raises(ValueError):
        cells(("too", "short"))
    assert render_csv._row_writer(())(()) == []


HTML_VALUES: list[Cell] = [
    *CSV_VALUES,
    '<b>Tom & Jerry\'s "show"</b>',
    ReportSection.CALLS,  # a str that is not exactly a str
    True,
    Decimal("-1234567.891"),
    -1234567,
    datetime(2026, 10, 3, 9, 15, 0, tzinfo=ZoneInfo("Asia/Vladivostok")),
]


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_html_row_writers_write_every_value_as_the_general_cell_writer(kind: ColumnKind) -> None:
    # the row writer made once per section writes the escaped human_cell, whatever comes
    cls = render_html._CELL_CLASSES[kind]
    for value in HTML_VALUES:
        expected = f"<tr><td{cls}>{escape(human_cell(value, kind))}</td></tr>\n"
        assert render_html._row_writer((kind,))((value,)) == expected, (kind, value)


def test_an_html_row_writer_of_many_columns_writes_each_by_its_kind_and_refuses_other_lengths() -> (
    None
):
    kinds = tuple(ColumnKind) * 2
    row_html = render_html._row_writer(kinds)
    for first, second in zip(HTML_VALUES, reversed(HTML_VALUES), strict=True):
        row = tuple([first, second] * len(ColumnKind))[: len(kinds)]
        cells = "".join(
            f"<td{render_html._CELL_CLASSES[k]}>{escape(human_cell(v, k))}</td>"
            for v, k in zip(row, kinds, strict=True)
        )
        assert row_html(row) == f"<tr>{cells}</tr>\n", row
    with pytest.raises(ValueError):
        row_html(("too", "short"))


XLSX_VALUES: list[Cell] = [
    "text",
    "",
    "=SUM(A1)",
    "#N/A",
    "#hash",
    "+79161234567",
    "bad\x01char",
    0,
    42,
    -7,
    Decimal("12.50"),
    datetime(2026, 10, 3, 9, 15, tzinfo=MOSCOW),
    date(2026, 10, 3),
    None,
]


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_xlsx_plain_data_cells_write_the_same_xml_as_cell_objects(kind: ColumnKind) -> None:
    # given one sheet of cell objects and one of what the table rows append
    workbook = openpyxl.Workbook(write_only=True)
    objects, plain = workbook.create_sheet("a"), workbook.create_sheet("b")
    for value in XLSX_VALUES:
        objects.append([render_xlsx._cell(objects, value, kind)])
        plain.append([render_xlsx._data_cell(plain, value, kind)])
    out = io.BytesIO()
    workbook.save(out)
    # then both sheets are the same XML
    with zipfile.ZipFile(out) as files:
        first, second = (files.read(f"xl/worksheets/sheet{n}.xml") for n in (1, 2))
    assert first == second


def test_xlsx_table_rows_with_reused_cells_write_the_same_xml_as_fresh_cells() -> None:
    # given a section of every column kind and rows of varied values, nulls included
    kinds = list(ColumnKind)
    section = Section(ReportSection.CALLS, "t", [Column(k.value, k) for k in kinds], OnceRows([]))
    rows: list[tuple[Cell, ...]] = [
        tuple(XLSX_VALUES[(n + i) % len(XLSX_VALUES)] for i in range(len(kinds)))
        for n in range(3 * len(XLSX_VALUES))
    ]
    workbook = openpyxl.Workbook(write_only=True)
    fresh, reused = workbook.create_sheet("a"), workbook.create_sheet("b")
    # (the method the renderer replaces is still openpyxl's, or the replacement is dead code)
    assert callable(getattr(type(reused), "_values_to_row", None))
    reused._values_to_row = partial(render_xlsx._row_cells, reused)  # as _table_sheet does
    cells = render_xlsx._TableCells(reused, section)
    # when one sheet gets fresh cells through openpyxl's own row conversion, and the other
    # the renderer's reused ones through the renderer's
    for row in rows:
        fresh.append([render_xlsx._cell(fresh, v, k) for v, k in zip(row, kinds, strict=True)])
        reused.append(cells.of(row))
    out = io.BytesIO()
    workbook.save(out)
    # then both sheets are the same XML
    with zipfile.ZipFile(out) as files:
        first, second = (files.read(f"xl/worksheets/sheet{n}.xml") for n in (1, 2))
    assert first == second
    assert b"<f>" not in second
