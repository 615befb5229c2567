"""Each usage section of a report: the columns it reads from ``usage_record`` and how a page
of those rows (``row_pages.usage_pages``: id, occurred_at, then the columns) becomes its cells,
one list comprehension a page, the moment parsed and moved to the report's zone once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from detalka.models.enums import ReportSection
from detalka.models.money import from_kopecks
from detalka.reports.report import Cell

_DIRECTION = {"IN": "входящий", "OUT": "исходящий"}

# Each usage section's cells from a page of ``usage_pages`` (id, occurred_at, *its columns):
# one list comprehension a page, the moment parsed and moved to the report's zone once.
Parse = Callable[[Any], datetime]
Cells = Callable[[Sequence[Any], Parse, ZoneInfo], list[tuple[Cell, ...]]]


def _call_cells(page: Sequence[Any], parse: Parse, zone: ZoneInfo) -> list[tuple[Cell, ...]]:
    direction = _DIRECTION.get
    return [
        (
            parse(r[1]).astimezone(zone),
            direction(r[2] or "", ""),
            r[3],
            r[4],
            r[5],
            r[6] or "",
            r[7],
            from_kopecks(r[8]),
        )
        for r in page
    ]


def _data_cells(page: Sequence[Any], parse: Parse, zone: ZoneInfo) -> list[tuple[Cell, ...]]:
    return [
        (parse(r[1]).astimezone(zone), r[2], r[3], r[4] or "", r[5], from_kopecks(r[6]))
        for r in page
    ]


def _charge_cells(page: Sequence[Any], parse: Parse, zone: ZoneInfo) -> list[tuple[Cell, ...]]:
    return [
        (
            parse(r[1]).astimezone(zone),
            r[2],
            "бонусный" if r[3] == "BONUS" else "основной",
            from_kopecks(r[4]),
        )
        for r in page
    ]


USAGE_READS: dict[ReportSection, tuple[tuple[str, ...], Cells]] = {
    ReportSection.CALLS: (
        ("direction", "counterparty", "duration_s", "package_units", "zone", "description", "cost"),
        _call_cells,
    ),
    ReportSection.MESSAGES: (  # a call's cells, the message's kind in place of a duration
        ("direction", "counterparty", "kind", "package_units", "zone", "description", "cost"),
        _call_cells,
    ),
    ReportSection.MOBILE_INTERNET: (
        ("volume_kb", "package_units", "zone", "description", "cost"),
        _data_cells,
    ),
    ReportSection.CHARGES: (("description", "charged_from", "cost"), _charge_cells),
}
