"""Fill a Report for an order from the model-level queries (the numbers of ``expenses``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from detalka.models import (
    Balance,
    DetailOrder,
    PackageAllowance,
    PromisedPayment,
    Store,
    Subscriber,
)
from detalka.models.enums import ExpenseCategory, ReportSection, UsageKind
from detalka.models.expenses import ExpensesView, expenses
from detalka.models.money import from_kopecks
from detalka.models.queries import (
    BalanceMovement,
    balance_movement,
    count_payments,
    package_units_used,
)
from detalka.models.row_pages import PAGE, moment_parser, payment_rows, usage_pages
from detalka.periods import Period, month_of
from detalka.reports.report import Cell, Column, ColumnKind, ExpenseChart, Header, Report, Section
from detalka.reports.usage_cells import USAGE_READS

CATEGORY_TITLES = {
    ExpenseCategory.CALLS: "Звонки",
    ExpenseCategory.MESSAGES: "Сообщения",
    ExpenseCategory.MOBILE_INTERNET: "Мобильный интернет",
    ExpenseCategory.SUBSCRIPTION: "Абонентская плата",
    ExpenseCategory.ONE_TIME: "Разовые списания",
    ExpenseCategory.ROAMING: "Роуминг",
}
SECTION_TITLES = {
    ReportSection.SUMMARY: "Сводка расходов",
    ReportSection.BALANCES: "Основной баланс",
    ReportSection.PACKAGES: "Пакеты",
    ReportSection.PROMISED_PAYMENTS: "Обещанные платежи",
    ReportSection.CALLS: "Звонки",
    ReportSection.MESSAGES: "Сообщения",
    ReportSection.MOBILE_INTERNET: "Мобильный интернет",
    ReportSection.CHARGES: "Начисления",
    ReportSection.PAYMENTS: "Платежи",
}
_KINDS = {
    ReportSection.CALLS: (UsageKind.CALL,),
    ReportSection.MESSAGES: (UsageKind.SMS, UsageKind.MMS),
    ReportSection.MOBILE_INTERNET: (UsageKind.DATA,),
    ReportSection.CHARGES: (UsageKind.SUBSCRIPTION_FEE, UsageKind.ONE_TIME, UsageKind.ROAMING),
}
# Up to this many rows in the chosen usage sections, one read of usage_record feeds them all
# (kept in memory, a few MiB at most); above it each section streams its own keyset read,
# so memory stays flat whatever the period. A small report of every section read the table
# four times (27 statements a render in all, issue #16).
ONE_SCAN_ROWS = 5_000
_USAGE_COLUMNS = {
    ReportSection.CALLS: [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Направление", ColumnKind.TEXT),
        Column("Номер", ColumnKind.PHONE),
        Column("Длительность, с", ColumnKind.INTEGER),
        Column("Из пакета, мин", ColumnKind.INTEGER),
        Column("Зона", ColumnKind.TEXT),
        Column("Описание", ColumnKind.TEXT),
        Column("Стоимость, ₽", ColumnKind.MONEY),
    ],
    ReportSection.MESSAGES: [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Направление", ColumnKind.TEXT),
        Column("Номер", ColumnKind.PHONE),
        Column("Вид", ColumnKind.TEXT),
        Column("Из пакета, шт", ColumnKind.INTEGER),
        Column("Зона", ColumnKind.TEXT),
        Column("Описание", ColumnKind.TEXT),
        Column("Стоимость, ₽", ColumnKind.MONEY),
    ],
    ReportSection.MOBILE_INTERNET: [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Объём, КБ", ColumnKind.INTEGER),
        Column("Из пакета, МБ", ColumnKind.INTEGER),
        Column("Зона", ColumnKind.TEXT),
        Column("Описание", ColumnKind.TEXT),
        Column("Стоимость, ₽", ColumnKind.MONEY),
    ],
    ReportSection.CHARGES: [
        Column("Дата и время", ColumnKind.DATETIME),
        Column("Описание", ColumnKind.TEXT),
        Column("Списано с баланса", ColumnKind.TEXT),
        Column("Стоимость, ₽", ColumnKind.MONEY),
    ],
}


async def build_report(order: DetailOrder, generated_at: datetime) -> Report:
    subscriber = await Subscriber.get(id=order.subscriber_id).select_related(
        "home_region", "tariff"
    )
    zone = ZoneInfo(subscriber.home_region.time_zone)
    period = Period(order.period_from, order.period_to, zone)
    spent = await expenses(subscriber.id, period)
    chosen = [ReportSection(s) for s in order.sections]
    movement = await _movement(subscriber.id, period, chosen)
    counts = _row_counts(spent, movement.payments if movement else 0)
    scanned = await _one_scan(subscriber.id, period, chosen, counts)
    sections = [
        await _section(code, subscriber, period, spent, counts, movement, scanned)
        for code in chosen
    ]
    store = await Store.get_or_none(id=order.store_id) if order.store_id is not None else None
    return Report(
        header=Header(
            msisdn=subscriber.msisdn,
            full_name=subscriber.full_name,
            region_name=subscriber.home_region.name,
            tariff_name=subscriber.tariff.name,
            period_from=period.first,
            period_to=period.last,
            time_zone=zone.key,
            generated_at=generated_at.astimezone(zone),
            pickup_store=f"{store.name}, {store.address}" if store is not None else None,
        ),
        sections=sections,
        chart=ExpenseChart(
            by_day=spent.by_day,
            by_category=[(CATEGORY_TITLES[c.category], c.amount) for c in spent.by_category],
            total=spent.total,
        ),
        estimated_rows=max(1, sum(counts.get(code, 0) for code in chosen)),
    )


async def estimate_rows(subscriber_id: int, period: Period, sections: Sequence[str]) -> int:
    chosen = [ReportSection(s) for s in sections]
    payments = 0
    if ReportSection.PAYMENTS in chosen:
        payments = await count_payments(subscriber_id, period.start, period.end)
    counts = _row_counts(await expenses(subscriber_id, period), payments)
    return sum(counts.get(code, 0) for code in chosen)


def _row_counts(spent: ExpensesView, payments: int) -> dict[ReportSection, int]:
    by_kind: dict[UsageKind, int] = {}
    for total in spent.totals:
        by_kind[total.kind] = by_kind.get(total.kind, 0) + total.count
    counts = {code: sum(by_kind.get(k, 0) for k in kinds) for code, kinds in _KINDS.items()}
    counts[ReportSection.PAYMENTS] = payments
    counts[ReportSection.SUMMARY] = len(spent.by_category)
    counts[ReportSection.BALANCES] = 4
    return counts


async def _movement(
    subscriber_id: int, period: Period, chosen: Sequence[ReportSection]
) -> BalanceMovement | None:
    """The money of the balances and payments sections, in one statement (None: neither)."""
    if ReportSection.BALANCES in chosen:
        # Walk back from today's balance: opening = now - (payments - charges since the start).
        far_future = period.end.replace(year=period.end.year + 100)
        return await balance_movement(subscriber_id, period.start, period.end, far_future)
    if ReportSection.PAYMENTS in chosen:
        return await balance_movement(subscriber_id, period.start, period.end)
    return None


async def _one_scan(
    subscriber_id: int,
    period: Period,
    chosen: Sequence[ReportSection],
    counts: dict[ReportSection, int],
) -> dict[ReportSection, list[tuple[Any, ...]]] | None:
    """The rows of every chosen usage section from one read, when they are few (None: each
    section reads its own): each section's rows as its own read gives them (``id,
    occurred_at, *its columns``), in the read's (occurred_at, id) order."""
    codes = [code for code in chosen if code in _KINDS]
    if len(codes) < 2 or sum(counts.get(code, 0) for code in codes) > ONE_SCAN_ROWS:
        return None
    shown = dict.fromkeys(c for code in codes for c in USAGE_READS[code][0])
    columns = [column for column in shown if column != "kind"]
    at = {column: i for i, column in enumerate(["id", "occurred_at", "kind", *columns])}
    picks = {code: [0, 1, *(at[c] for c in USAGE_READS[code][0])] for code in codes}
    section_of = {str(kind): code for code in codes for kind in _KINDS[code]}
    rows: dict[ReportSection, list[tuple[Any, ...]]] = {code: [] for code in codes}
    kinds = [kind for code in codes for kind in _KINDS[code]]
    async for page in usage_pages(
        subscriber_id, period.start, period.end, kinds, ["kind", *columns]
    ):
        for r in page:
            code = section_of[r[2]]
            rows[code].append(tuple(r[i] for i in picks[code]))
    return rows


async def _section(
    code: ReportSection,
    subscriber: Subscriber,
    period: Period,
    spent: ExpensesView,
    counts: dict[ReportSection, int],
    movement: BalanceMovement | None,
    scanned: dict[ReportSection, list[tuple[Any, ...]]] | None,
) -> Section:
    title = SECTION_TITLES[code]
    if code in _KINDS:
        kinds = _KINDS[code]
        total = from_kopecks(sum(t.kopecks for t in spent.totals if t.kind in kinds))
        pages = (
            usage_pages(subscriber.id, period.start, period.end, kinds, USAGE_READS[code][0])
            if scanned is None
            else _listed(scanned.pop(code))
        )
        return Section(
            code,
            title,
            _USAGE_COLUMNS[code],
            _usage_rows(code, period, pages),
            [("Итого", total), ("Записей", counts.get(code, 0))],
        )
    if code == ReportSection.SUMMARY:
        return Section(
            code,
            title,
            [
                Column("Категория", ColumnKind.TEXT),
                Column("Количество", ColumnKind.INTEGER),
                Column("Сумма, ₽", ColumnKind.MONEY),
            ],
            _rows([(CATEGORY_TITLES[c.category], c.count, c.amount) for c in spent.by_category]),
            [("Итого расходов", spent.total)],
        )
    if code == ReportSection.BALANCES:
        assert movement is not None
        return await _balances(subscriber, movement)
    if code == ReportSection.PAYMENTS:
        assert movement is not None
        return Section(
            code,
            title,
            [
                Column("Дата и время", ColumnKind.DATETIME),
                Column("Способ", ColumnKind.TEXT),
                Column("Описание", ColumnKind.TEXT),
                Column("Сумма, ₽", ColumnKind.MONEY),
            ],
            _payment_rows(subscriber.id, period),
            [("Итого", movement.paid)],
        )
    if code == ReportSection.PACKAGES:
        return await _packages(subscriber, period)
    return await _promised(subscriber, period)


async def _rows(rows: list[tuple[Cell, ...]]) -> AsyncIterator[tuple[Cell, ...]]:
    for row in rows:
        yield row


async def _listed(rows: list[tuple[Any, ...]]) -> AsyncIterator[Sequence[Any]]:
    for first in range(0, len(rows), PAGE):
        yield rows[first : first + PAGE]


async def _usage_rows(
    code: ReportSection, period: Period, pages: AsyncIterator[Sequence[Any]]
) -> AsyncIterator[tuple[Cell, ...]]:
    cells = USAGE_READS[code][1]
    parse, zone = moment_parser(), period.zone
    async for page in pages:
        for row in cells(page, parse, zone):
            yield row


async def _payment_rows(subscriber_id: int, period: Period) -> AsyncIterator[tuple[Cell, ...]]:
    async for p in payment_rows(subscriber_id, period.start, period.end):
        yield (p.occurred_at.astimezone(period.zone), p.method, p.description, p.amount)


async def _balances(subscriber: Subscriber, movement: BalanceMovement) -> Section:
    main = await Balance.get_or_none(subscriber_id=subscriber.id, kind="MAIN")
    current = main.amount if main else Decimal("0.00")
    paid, charged = movement.paid, movement.charged
    opening = current - movement.paid_since + movement.charged_since
    closing = opening + paid - charged
    return Section(
        ReportSection.BALANCES,
        SECTION_TITLES[ReportSection.BALANCES],
        [Column("Показатель", ColumnKind.TEXT), Column("Сумма, ₽", ColumnKind.MONEY)],
        _rows(
            [
                ("Баланс на начало периода", opening),
                ("Поступления", paid),
                ("Списания с основного баланса", charged),
                ("Баланс на конец периода", closing),
            ]
        ),
        [("Начало + поступления − списания = конец", closing)],
    )


async def _packages(subscriber: Subscriber, period: Period) -> Section:
    allowances = await PackageAllowance.filter(tariff_id=subscriber.tariff_id).order_by("kind")
    usage_of = {"VOICE": UsageKind.CALL, "SMS": UsageKind.SMS, "DATA": UsageKind.DATA}
    rows: list[tuple[Cell, ...]] = []
    month = month_of(period.start, period.zone)
    while month.first <= period.last:
        used = await package_units_used(subscriber.id, month.start, month.end)
        for a in allowances:
            taken = used.get(usage_of[str(a.kind)], 0)
            rows.append(
                (f"{month.first:%m.%Y}", a.name, a.included, taken, max(a.included - taken, 0))
            )
        month = month_of(month.end, period.zone)
    return Section(
        ReportSection.PACKAGES,
        SECTION_TITLES[ReportSection.PACKAGES],
        [
            Column("Месяц", ColumnKind.TEXT),
            Column("Пакет", ColumnKind.TEXT),
            Column("Включено", ColumnKind.INTEGER),
            Column("Использовано", ColumnKind.INTEGER),
            Column("Остаток", ColumnKind.INTEGER),
        ],
        _rows(rows),
    )


async def _promised(subscriber: Subscriber, period: Period) -> Section:
    taken = await PromisedPayment.filter(
        subscriber_id=subscriber.id, taken_at__gte=period.start, taken_at__lt=period.end
    ).order_by("taken_at", "id")
    rows: list[tuple[Cell, ...]] = [
        (
            p.taken_at.astimezone(period.zone),
            p.due_at.astimezone(period.zone),
            p.amount,
            p.fee,
            p.repaid,
            p.amount + p.fee - p.repaid,
        )
        for p in taken
    ]
    return Section(
        ReportSection.PROMISED_PAYMENTS,
        SECTION_TITLES[ReportSection.PROMISED_PAYMENTS],
        [
            Column("Взят", ColumnKind.DATETIME),
            Column("Срок", ColumnKind.DATETIME),
            Column("Сумма, ₽", ColumnKind.MONEY),
            Column("Комиссия, ₽", ColumnKind.MONEY),
            Column("Погашено, ₽", ColumnKind.MONEY),
            Column("Долг, ₽", ColumnKind.MONEY),
        ],
        _rows(rows),
        [("Долг", sum((p.amount + p.fee - p.repaid for p in taken), Decimal("0.00")))],
    )
