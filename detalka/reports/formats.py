"""``renderer_for``: the writer of a report format.

A format's module is imported on first use, so a worker that renders only CSV never loads
reportlab or openpyxl. This registry imports its members and holds nothing they import
(what they share is in ``writing``), so there is no cycle.
"""

from __future__ import annotations

from detalka.models.enums import ReportFormat
from detalka.reports.report import Renderer


def renderer_for(format: ReportFormat) -> Renderer:
    if format is ReportFormat.CSV:
        from detalka.reports.render_csv import CsvRenderer

        return CsvRenderer()
    if format is ReportFormat.XLSX:
        from detalka.reports.render_xlsx import XlsxRenderer

        return XlsxRenderer()
    if format is ReportFormat.HTML:
        from detalka.reports.render_html import HtmlRenderer

        return HtmlRenderer()
    if format is ReportFormat.PDF:
        from detalka.reports.render_pdf import PdfRenderer

        return PdfRenderer()
    raise ValueError(f"no renderer for {format!r}")
