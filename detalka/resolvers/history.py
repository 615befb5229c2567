"""The account's history: charge events and payments, by keyset page or by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import Payment as Payment
from detalka.models import UsageRecord as UsageRecord
from detalka.models import row_pages
from detalka.models.enums import UsageKind
from detalka.models.row_pages import PaymentRow as PaymentRow
from detalka.models.row_pages import UsageRow as UsageRow
from detalka.periods import Period

Cursor = tuple[datetime, int]  # (occurred_at, id) of the last row of the page before


async def usage_page(
    subscriber_id: int,
    period: Period,
    kinds: Sequence[UsageKind] | None,
    after: Cursor | None,
    limit: int,
) -> list[UsageRow]:
    """Charge events of the period in (occurred_at, id) order, after the cursor."""
    return await row_pages.usage_page(
        subscriber_id, period.start, period.end, kinds=kinds, after=after, limit=limit
    )


async def payments_page(
    subscriber_id: int, period: Period, after: Cursor | None, limit: int
) -> list[PaymentRow]:
    """Payments of the period in (occurred_at, id) order, after the cursor."""
    return await row_pages.payments_page(
        subscriber_id, period.start, period.end, after=after, limit=limit
    )


async def usage_records(subscriber_id: int, ids: list[int]) -> list[UsageRecord]:
    """Those of the records that are the subscriber's own."""
    return await UsageRecord.filter(id__in=ids, subscriber_id=subscriber_id)


async def payments(subscriber_id: int, ids: list[int]) -> list[Payment]:
    """Those of the payments that are the subscriber's own."""
    return await Payment.filter(id__in=ids, subscriber_id=subscriber_id)
