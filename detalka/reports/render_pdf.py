"""PDF, a printable document: reportlab on A4, with DejaVu Sans embedded (Cyrillic, «₽»).

Layout: the header and the expenses by category on the first page; then each section: its
title, a table whose column titles repeat at the top of every page, and its totals. Every
page has a footer with the number, the period and the page number.

Streaming: a reportlab canvas keeps every page in memory until it is saved, which for a
million rows is some 16,000 pages. So pages are drawn on a canvas that is saved every
``pages_per_chunk`` pages, and ``pdf_join.PdfJoiner`` copies each saved chunk into the output
at once: its objects renumbered, its page tree hung under one root. Memory holds one chunk,
plus one offset per object for the cross-reference table.

Speed: a table row is written straight as the operators reportlab's text object would write
(``pdf_text``); titles and footers drawn once per document, their operators repeated.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config  # type: ignore[import-untyped]
from reportlab.lib.colors import Color, black  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]
from reportlab.lib.utils import simpleSplit  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import (  # type: ignore[import-untyped]
    registerFont,
    stringWidth,
)
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import PATH_OPS, Canvas  # type: ignore[import-untyped]

from detalka.models.enums import ReportFormat
from detalka.reports.pdf_join import PdfJoiner
from detalka.reports.pdf_text import CACHED, FONT, SIZE, TEXT_FONT, BodyText, ColumnCells, fitted
from detalka.reports.report import Cell, Column, ColumnKind, Progress, Report, Section
from detalka.reports.writing import (
    REPORT_TITLE,
    RowCounter,
    human_cell,
    human_header,
    human_money,
    report_title,
    total_kind,
)

FONTS = Path(__file__).parent / "fonts"
BOLD = "DejaVuSans-Bold"
PAGES_PER_CHUNK = 200

MARGIN = 36.0
BOTTOM = MARGIN + 20  # the footer sits below
ROW = 11.0  # a table row's height (its text: pdf_text.FONT, SIZE)
PAD = 3.0
GREY, LIGHT, ZEBRA = Color(0.4, 0.4, 0.4), Color(0.9, 0.9, 0.9), Color(0.965, 0.965, 0.965)

# The widest value each kind usually shows; TEXT columns share what is left, and the pages
# turn to landscape when a section's columns leave less than _MIN_TEXT_WIDTH to each of them.
_SAMPLES = {
    ColumnKind.DATETIME: "00.00.0000 00:00:00",
    ColumnKind.DATE: "00.00.0000",
    ColumnKind.PHONE: "+700000000000",
    ColumnKind.MONEY: "-00 000,00 ₽",
    ColumnKind.INTEGER: "000 000",
}
_MIN_TEXT_WIDTH = 90.0
_NARROWEST_TEXT = 40.0
_RIGHT_ALIGNED = {ColumnKind.MONEY, ColumnKind.INTEGER}
_ROW_START = f"BT 1 0 0 1 {fp_str(0, 0)} Tm"  # a text object begun at the origin


@functools.cache
def set_up_reportlab() -> None:
    """The fonts, and page streams written as Flate-compressed binary only: reportlab's
    default wraps them in ASCII85 too, for 7-bit channels a downloaded file never crosses,
    at a quarter of a render's CPU and a fifth more bytes. ``rl_config`` is process-wide:
    this module is the project's only user of reportlab."""
    rl_config.useA85 = 0
    registerFont(TTFont(FONT, str(FONTS / "DejaVuSans.ttf")))
    registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))


class PdfRenderer:
    format = ReportFormat.PDF
    content_type = "application/pdf"
    extension = "pdf"

    def __init__(self, pages_per_chunk: int = PAGES_PER_CHUNK) -> None:
        self.pages_per_chunk = pages_per_chunk

    async def render(self, report: Report, out: BinaryIO, progress: Progress) -> int:
        set_up_reportlab()
        title = report_title(report.header)
        page_size = _page_size(report.sections)
        pages = _Pages(PdfJoiner(out), page_size, title, self.pages_per_chunk)
        _draw_header(pages, report)
        counter = RowCounter(progress)
        for section in report.sections:
            table = _Table(section, pages.width)
            table.start(pages)
            written = counter.count
            async for row in section.rows:
                table.row(pages, row)
                await counter.add()
            if counter.count == written:
                pages.line("Нет записей", FONT, SIZE, ROW, colour=GREY)
            _draw_totals(pages, section)
        pages.finish(title)
        return await counter.finish()


def _draw_header(pages: _Pages, report: Report) -> None:
    pages.line(REPORT_TITLE, BOLD, 16, 24)
    lines = [*human_header(report.header), ("Расходы за период", human_money(report.chart.total))]
    lines += [(f"  {name}", human_money(amount)) for name, amount in report.chart.by_category]
    for label, value in lines:
        pages.pair(label, value)


def _draw_totals(pages: _Pages, section: Section) -> None:
    pages.y -= 4
    for label, value in section.totals:
        pages.total(label, human_cell(value, total_kind(value)))


class _Table:
    """Column widths, the column titles (repeated on each page) and the rows of one section."""

    def __init__(self, section: Section, width: float) -> None:
        self.section = section
        self.columns = section.columns
        self.width = width
        self.widths = _column_widths(section.columns, width)
        self.titles = [
            simpleSplit(column.title, BOLD, SIZE, width - 2 * PAD) or [""]
            for column, width in zip(self.columns, self.widths, strict=True)
        ]
        self.header_height = max(len(lines) for lines in self.titles) * ROW + 2
        self.shaded = False
        self._cells: list[ColumnCells] = []
        x = MARGIN
        for column, column_width in zip(self.columns, self.widths, strict=True):
            right = x + column_width - PAD if column.kind in _RIGHT_ALIGNED else None
            self._cells.append(ColumnCells(column.kind, x + PAD, right, column_width - 2 * PAD))
            x += column_width
        self._at: dict[float, tuple[str, list[str]]] = {}
        self._text: BodyText | None = None

    def start(self, pages: _Pages) -> None:
        if not pages.room(24 + self.header_height + ROW):
            pages.next_page()
        pages.y -= 8
        pages.line(self.section.title, BOLD, 12, 16)
        self._column_titles(pages)

    def row(self, pages: _Pages, row: tuple[Cell, ...]) -> None:
        if not pages.room(ROW):
            pages.next_page()
            pages.line(f"{self.section.title} (продолжение)", BOLD, 9, 14)
            self._column_titles(pages)
        y = pages.y
        code = pages.canvas._code  # the page's operators, joined by reportlab at showPage
        at = self._at.get(y) or self._place(y, pages.canvas)
        if self.shaded:
            code += at[1]
        self.shaded = not self.shaded
        # The operators a text object writes for a textOut a cell (see pdf_text), written here.
        text = pages.text
        if text is not self._text:
            self._new_document(text)
        y_text = at[0]
        parts = [_ROW_START]
        current = -1  # the font subset selected in the row's text object
        for value, cell in zip(row, self._cells, strict=True):
            shown = cell.shown.get(value) if type(value) in cell.keyed else None
            if shown is None:
                shown = cell.show(value, text)
            x, subset, shows = shown
            if subset == current or not shows:
                parts.append(f"1 0 0 1 {x} {y_text} Tm {shows}")
            elif subset >= 0:
                font = text.subset_name(subset)
                parts.append(f"1 0 0 1 {x} {y_text} Tm {font} {TEXT_FONT} {shows}")
                current = subset
            else:
                shows, current = text.runs(shows, current)
                parts.append(f"1 0 0 1 {x} {y_text} Tm {shows}")
        parts.append("ET")
        code.append(" ".join(parts))
        pages.y -= ROW

    def _place(self, y: float, canvas: Canvas) -> tuple[str, list[str]]:
        """A row's baseline at ``y`` and the operators of its zebra stripe there."""
        if len(self._at) >= CACHED:
            self._at.clear()
        stripe = [
            f"{fp_str(ZEBRA.red, ZEBRA.green, ZEBRA.blue)} rg",
            f"n {fp_str(MARGIN, y - ROW, self.width, ROW)} re {PATH_OPS[0, 1, canvas._fillMode]}",
            f"{fp_str(black.red, black.green, black.blue)} rg",
        ]
        at = self._at[y] = (fp_str(y - 8), stripe)
        return at

    def _new_document(self, text: BodyText) -> None:
        """A new canvas, a new PDF document: its font subsets start anew, and the cells
        remembered in the last one are forgotten."""
        self._text = text
        for cell in self._cells:
            cell.shown.clear()

    def _column_titles(self, pages: _Pages) -> None:
        pages.repeat((self, pages.y), lambda: self._draw_column_titles(pages))
        pages.canvas.setFont(FONT, SIZE)  # for the rows below, until the next titles
        pages.y -= self.header_height
        self.shaded = False

    def _draw_column_titles(self, pages: _Pages) -> None:
        canvas, x, y = pages.canvas, MARGIN, pages.y
        canvas.setFillColor(LIGHT)
        canvas.rect(
            MARGIN, y - self.header_height, self.width, self.header_height, stroke=0, fill=1
        )
        canvas.setFillColor(black)
        canvas.setFont(BOLD, SIZE)
        for column, lines, width in zip(self.columns, self.titles, self.widths, strict=True):
            for index, text in enumerate(lines):
                if column.kind in _RIGHT_ALIGNED:
                    canvas.drawRightString(x + width - PAD, y - 8 - index * ROW, text)
                else:
                    canvas.drawString(x + PAD, y - 8 - index * ROW, text)
            x += width
        canvas.setFont(FONT, SIZE)


def _page_size(sections: list[Section]) -> tuple[float, float]:
    portrait = A4[0] - 2 * MARGIN
    crowded = any(_natural_width(section.columns) > portrait for section in sections)
    width, height = landscape(A4) if crowded else A4
    return float(width), float(height)


def _natural_width(columns: list[Column]) -> float:
    fixed = _fixed_widths(columns)
    return sum(fixed.values()) + (len(columns) - len(fixed)) * _MIN_TEXT_WIDTH


def _fixed_widths(columns: list[Column]) -> dict[int, float]:
    """Widths of the columns that are not free text, by index: their sample or title."""
    return {
        index: max(stringWidth(_SAMPLES[column.kind], FONT, SIZE), _longest_word(column.title))
        + 2 * PAD
        for index, column in enumerate(columns)
        if column.kind in _SAMPLES
    }


def _column_widths(columns: list[Column], width: float) -> list[float]:
    fixed = _fixed_widths(columns)
    texts = len(columns) - len(fixed)
    room = width - sum(fixed.values())
    if texts and room / texts >= _NARROWEST_TEXT:
        return [fixed.get(index, room / texts) for index in range(len(columns))]
    # No free text to take the room, or too little room: scale every column to the line.
    widths = [fixed.get(index, _NARROWEST_TEXT) for index in range(len(columns))]
    return [column * width / sum(widths) for column in widths]


def _longest_word(title: str) -> float:
    """Column titles wrap between words, never inside one."""
    return max((stringWidth(word, BOLD, SIZE) for word in title.split()), default=0.0)


def _fit(text: str, width: float, font: str, size: float) -> str:
    return fitted(text, width, font, size)[0]


class _Pages:
    """The page being drawn, its cursor ``y`` and footer; saves a chunk every so many pages."""

    def __init__(
        self,
        joiner: PdfJoiner,
        page_size: tuple[float, float],
        footer: str,
        pages_per_chunk: int,
    ) -> None:
        self._joiner = joiner
        self._page_size = page_size
        self.width: float = page_size[0] - 2 * MARGIN
        self.top: float = page_size[1] - MARGIN
        self._footer = footer
        self._pages_per_chunk = pages_per_chunk
        self._number = 1
        self._in_chunk = 0
        self._buffer = io.BytesIO()
        self.canvas = self._new_canvas()
        self.y = self.top

    def _new_canvas(self) -> Canvas:
        self._buffer = io.BytesIO()
        canvas = Canvas(
            self._buffer, pagesize=self._page_size, pageCompression=1, initialFontName=FONT
        )
        self.text = BodyText(canvas)
        self._drawn: dict[tuple[object, ...], list[str]] = {}  # see repeat
        return canvas

    def room(self, height: float) -> bool:
        return self.y - height >= BOTTOM

    def next_page(self) -> None:
        self._draw_footer()
        self.canvas.showPage()
        self._number += 1
        self._in_chunk += 1
        if self._in_chunk == self._pages_per_chunk:
            self._save_chunk()
            self.canvas = self._new_canvas()
            self._in_chunk = 0
        self.y = self.top

    def repeat(self, key: tuple[object, ...], draw: Callable[[], None]) -> None:
        """Runs ``draw`` once per document for ``key`` and repeats the operators it wrote
        after that: the same canvas calls at the same place write the same operators. The
        caller sets the canvas's font again after (a TTF font writes no operator for it);
        every ``draw`` here ends in black, as the canvas was."""
        code = self.canvas._code
        drawn = self._drawn.get(key)
        if drawn is not None:
            code += drawn
            return
        if len(self._drawn) >= CACHED:
            self._drawn.clear()
        start = len(code)
        draw()
        self._drawn[key] = code[start:]

    def line(self, text: str, font: str, size: float, height: float, colour: Color = black) -> None:
        if not self.room(height):
            self.next_page()
        y = self.y

        def draw() -> None:
            self.canvas.setFillColor(colour)
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN, y - size, _fit(text, self.width, font, size))
            self.canvas.setFillColor(black)

        self.repeat(("line", text, font, size, colour, y), draw)
        self.canvas.setFont(font, size)
        self.y -= height

    def pair(self, label: str, value: str) -> None:
        """A header line: a grey label and its value beside it."""
        if not self.room(14):
            self.next_page()
        self.canvas.setFillColor(GREY)
        self.canvas.setFont(FONT, 9)
        self.canvas.drawString(MARGIN, self.y - 9, _fit(label, 125, FONT, 9))
        self.canvas.setFillColor(black)
        self.canvas.drawString(MARGIN + 130, self.y - 9, _fit(value, self.width - 130, FONT, 9))
        self.y -= 14

    def total(self, label: str, value: str) -> None:
        """A totals line under a table: label and value, flush right."""
        if not self.room(13):
            self.next_page()
        self.canvas.setFont(BOLD, 9)
        value_width = stringWidth(value, BOLD, 9)
        self.canvas.drawRightString(MARGIN + self.width, self.y - 9, value)
        right = MARGIN + self.width - value_width - 12
        self.canvas.drawRightString(right, self.y - 9, _fit(label, right - MARGIN, BOLD, 9))
        self.y -= 13

    def finish(self, title: str) -> None:
        self._draw_footer()
        self._save_chunk()
        self._joiner.finish(title)

    def _draw_footer(self) -> None:
        canvas = self.canvas

        def draw() -> None:  # the same on every page, but for the page's number
            canvas.setFillColor(GREY)
            canvas.setFont(FONT, 7)
            canvas.drawString(MARGIN, MARGIN, _fit(self._footer, self.width - 80, FONT, 7))

        self.repeat(("footer",), draw)
        canvas.setFont(FONT, 7)
        canvas.drawRightString(MARGIN + self.width, MARGIN, f"Страница {self._number}")
        canvas.setFillColor(black)

    def _save_chunk(self) -> None:
        self.canvas.save()
        self._joiner.add(self._buffer.getvalue())
