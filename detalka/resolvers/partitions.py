"""History at scale: the housekeeping round keeps ``usage_record``'s monthly partitions made
ahead (PostgreSQL; nothing on SQLite)."""

from __future__ import annotations

from datetime import datetime

from detalka.models import partitions


async def ensure_usage_partitions(now: datetime) -> int:
    """The partitions of this month and the next few; how many were made."""
    return await partitions.ensure_usage_partitions(now.date())
