"""HTML, a printable web page: one self-contained file (inline CSS and SVG; it fetches nothing).

Layout: the header as a list of label/value pairs, a chart of expenses (bars by local day,
bars by category, drawn as inline SVG from ``report.chart``), then each section: its title,
a table (``thead`` repeats on every printed page) and its totals under it.

The page is streamed: the head, the header and the chart are written first, then each table
row by row as it comes. Every value is HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from html import escape
from typing import BinaryIO

from detalka.models.enums import ReportFormat
from detalka.reports.report import (
    Cell,
    ColumnKind,
    ExpenseChart,
    Header,
    Progress,
    Report,
    Section,
)
from detalka.reports.writing import (
    NBSP,
    REPORT_TITLE,
    RowCounter,
    human_cell,
    human_date,
    human_header,
    human_money,
    report_title,
    row_function,
    total_kind,
)

_STYLE = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 13px;
  color: #1a1a1a; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 4px; font-weight: normal; color: #444; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dt { color: #555; }
dd { margin: 0; }
dl.totals { margin-top: 8px; justify-content: end; font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; border-bottom: 2px solid #999; }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.nowrap { white-space: nowrap; }
td.empty { color: #777; text-align: center; }
svg { display: block; width: 100%; max-width: 760px; height: auto; }
svg text { font-size: 11px; fill: #333; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10px; }
  thead { display: table-header-group; }
  tr, .chart { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""

_CHART_WIDTH = 760
_CELL_CLASSES = {
    ColumnKind.MONEY: ' class="num"',
    ColumnKind.INTEGER: ' class="num"',
    ColumnKind.DATETIME: ' class="nowrap"',
    ColumnKind.DATE: ' class="nowrap"',
    ColumnKind.PHONE: ' class="nowrap"',
    ColumnKind.TEXT: "",
}


class HtmlRenderer:
    format = ReportFormat.HTML
    content_type = "text/html; charset=utf-8"
    extension = "html"

    async def render(self, report: Report, out: BinaryIO, progress: Progress) -> int:
        def write(text: str) -> None:
            out.write(text.encode("utf-8"))

        write(_head(report.header))
        write(_header(report.header))
        write(_chart(report.chart))
        counter = RowCounter(progress)
        for section in report.sections:
            write(_table_start(section))
            written = counter.count
            row_html = _row_writer(tuple(column.kind for column in section.columns))
            async for row in section.rows:
                write(row_html(row))
                await counter.add()
            if counter.count == written:
                write(_no_rows(section))
            write("</tbody></table>\n")
            write(_totals(section))
            write("</section>\n")
        write("</main>\n</body>\n</html>\n")
        return await counter.finish()


def _head(header: Header) -> str:
    title = escape(report_title(header))
    return (
        '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
    )


def _header(header: Header) -> str:
    lines = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in human_header(header)
    )
    return f'<header>\n<h1>{REPORT_TITLE}</h1>\n<dl class="header">{lines}</dl>\n</header>\n'


def _table_start(section: Section) -> str:
    titles = "".join(f"<th>{escape(column.title)}</th>" for column in section.columns)
    return (
        f'<section class="report-section">\n<h2>{escape(section.title)}</h2>\n'
        f"<table>\n<thead><tr>{titles}</tr></thead>\n<tbody>\n"
    )


# Each cell's usual type written inline, anything else the general way (human_cell, then
# escaped). A date and time, an int and Decimal money come out as digits, separators and no
# markup, so they skip html.escape; text is escaped as it is (human_cell gives str(text)).
_CELLS = {
    ColumnKind.DATETIME: (
        "{v}.strftime('%d.%m.%Y %H:%M:%S') if type({v}) is datetime else _general({v}, {k})"
    ),
    ColumnKind.TEXT: "_escape({v}) if type({v}) is str else _general({v}, {k})",
    ColumnKind.PHONE: "_escape({v}) if type({v}) is str else _general({v}, {k})",
    ColumnKind.INTEGER: (
        "format({v}, ',').replace(',', NBSP) if type({v}) is int else _general({v}, {k})"
    ),
    ColumnKind.MONEY: (
        "format({v}, ',.2f').replace(',', NBSP).replace('.', ',') + _RUBLES"
        " if type({v}) is Decimal else _general({v}, {k})"
    ),
    ColumnKind.DATE: "_general({v}, {k})",
}


def _general(value: Cell, kind: ColumnKind) -> str:
    return escape(human_cell(value, kind))


_SCOPE = {
    "datetime": datetime,
    "Decimal": Decimal,
    "NBSP": NBSP,
    "_RUBLES": f"{NBSP}₽",
    "_escape": escape,
    "_general": _general,
}


@cache
def _row_writer(kinds: tuple[ColumnKind, ...]) -> Callable[[tuple[Cell, ...]], str]:
    """The ``<tr>`` of a row of these columns (see writing.row_function)."""
    cells = "".join(f"<td{_CELL_CLASSES[kind]}>%s</td>" for kind in kinds)
    scope = {**_SCOPE, "_tr": f"<tr>{cells}</tr>\n"}
    return row_function(kinds, _CELLS, "_tr % ({cells})", scope)


def _no_rows(section: Section) -> str:
    return f'<tr><td class="empty" colspan="{len(section.columns)}">Нет записей</td></tr>\n'


def _totals(section: Section) -> str:
    if not section.totals:
        return ""
    pairs = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(human_cell(value, total_kind(value)))}</dd>"
        for label, value in section.totals
    )
    return f'<dl class="totals">{pairs}</dl>\n'


def _chart(chart: ExpenseChart) -> str:
    return (
        '<section class="chart">\n'
        f"<h2>Расходы за период: {escape(human_money(chart.total))}</h2>\n"
        f"<h3>По дням</h3>\n{_day_bars(chart.by_day)}\n"
        f"<h3>По категориям</h3>\n{_category_bars(chart.by_category)}\n"
        "</section>\n"
    )


def _peak(amounts: Sequence[Decimal]) -> Decimal:
    return max([*amounts, Decimal(0)]) or Decimal(1)


def _day_bars(by_day: list[tuple[date, Decimal]]) -> str:
    if not by_day:
        return "<p>Расходов за период нет.</p>"
    width, height, left, right, top, bottom = _CHART_WIDTH, 220, 90, 10, 10, 24
    plot_width, plot_height = width - left - right, height - top - bottom
    base = top + plot_height
    peak = _peak([amount for _, amount in by_day])
    step = plot_width / len(by_day)
    label_every = math.ceil(len(by_day) / 16)
    parts = [_svg_open(width, height, "Расходы по дням")]
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = top + plot_height * (1 - float(fraction))
        parts.append(
            f'<line stroke="#e3e3e3" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(human_money(peak * fraction))}</text>"
        )
    for index, (day, amount) in enumerate(by_day):
        bar_height = plot_height * float(max(amount, Decimal(0)) / peak)
        x = left + index * step + step * 0.1
        parts.append(
            f'<rect fill="#3f72c4" x="{x:.1f}" y="{base - bar_height:.1f}" '
            f'width="{step * 0.8:.1f}" height="{bar_height:.1f}">'
            f"<title>{human_date(day)}: {escape(human_money(amount))}</title></rect>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + step * 0.4:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{day.strftime('%d.%m')}</text>"
            )
    parts.append(f'<line stroke="#999" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _category_bars(by_category: list[tuple[str, Decimal]]) -> str:
    if not by_category:
        return "<p>Расходов за период нет.</p>"
    width, row_height, label_width, value_width = _CHART_WIDTH, 24, 210, 120
    bar_room = width - label_width - value_width
    peak = _peak([amount for _, amount in by_category])
    parts = [_svg_open(width, row_height * len(by_category) + 4, "Расходы по категориям")]
    for index, (name, amount) in enumerate(by_category):
        y = 2 + index * row_height
        bar_width = bar_room * float(max(amount, Decimal(0)) / peak)
        shown = name if len(name) <= 30 else name[:29] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(shown)}'
            f"<title>{escape(name)}</title></text>"
            f'<rect fill="#3f72c4" x="{label_width}" y="{y + 4}" width="{bar_width:.1f}" '
            f'height="{row_height - 8}"/>'
            f'<text x="{label_width + bar_width + 6:.1f}" y="{y + 16}">'
            f"{escape(human_money(amount))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
    )
