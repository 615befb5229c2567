"""The subscriber's own record, as the API shows it."""

from __future__ import annotations

# The rows these use cases return, re-exported: the schema names them from here.
from detalka.models import Subscriber as Subscriber


async def subscriber(subscriber_id: int) -> Subscriber | None:
    """The subscriber with its home region and tariff (what every view of it needs)."""
    query = Subscriber.filter(id=subscriber_id).select_related("home_region", "tariff")
    return await query.first()
