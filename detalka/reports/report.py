"""What a renderer gets: a header, the chosen sections as streams of rows, and totals.

Renderers know nothing of the database: ``build_report`` (``detalka.reports.build``)
fills this from the model-level queries, and every format writes the same numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import BinaryIO, Protocol

from detalka.models.enums import ReportFormat, ReportSection

Cell = str | int | Decimal | datetime | date | None


class ColumnKind(StrEnum):
    TEXT = "TEXT"  # free text from outside (descriptions, names): neutralised in CSV
    PHONE = "PHONE"  # a validated number: always a text cell, never a number
    MONEY = "MONEY"  # Decimal rubles, exact
    INTEGER = "INTEGER"
    DATETIME = "DATETIME"  # aware, already in the report's zone
    DATE = "DATE"


@dataclass(frozen=True)
class Column:
    title: str  # Russian
    kind: ColumnKind


@dataclass(frozen=True)
class Header:
    msisdn: str
    full_name: str
    region_name: str
    tariff_name: str
    period_from: date
    period_to: date
    time_zone: str  # IANA name, shown in the report
    generated_at: datetime  # aware, in the report's zone
    # PAPER: the store that prints and hands it over, «name, address».
    pickup_store: str | None = None


@dataclass
class Section:
    """One chosen section. ``rows`` is consumed once, in order; a renderer must stream it."""

    code: ReportSection
    title: str  # Russian, e.g. «Звонки»
    columns: list[Column]
    rows: AsyncIterator[tuple[Cell, ...]]
    # Label/value pairs shown under the table, e.g. («Итого», Decimal("123.45")).
    totals: list[tuple[str, Cell]] = field(default_factory=list)


@dataclass(frozen=True)
class ExpenseChart:
    """For the HTML chart: expenses by local day and by category (Russian labels)."""

    by_day: list[tuple[date, Decimal]]
    by_category: list[tuple[str, Decimal]]
    total: Decimal


@dataclass
class Report:
    header: Header
    sections: list[Section]
    chart: ExpenseChart
    estimated_rows: int  # for progress: rows all sections will yield, at least 1


Progress = Callable[[int], Awaitable[None]]  # called with rows written so far


class Renderer(Protocol):
    format: ReportFormat
    content_type: str
    extension: str

    async def render(self, report: Report, out: BinaryIO, progress: Progress) -> int:
        """Write the whole report to ``out``; return the number of data rows written."""
        ...
