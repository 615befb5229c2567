"""Realistic, deterministic demo data: the same seed and ``now`` write the same rows.

``seed_database`` plans subscribers, generates each one's history in memory (a pure
function of its plan: :mod:`detalka.seed.history`) and writes them in batches of raw rows.
Both functions run inside an open Tortoise context, on its ``default`` connection.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain

from tortoise import connections
from tqdm import tqdm

from detalka.models import Subscriber
from detalka.seed.history import History, generate_history
from detalka.seed.population import DEMO_MSISDN, SubscriberSpec, demo_spec, plan_subscribers
from detalka.seed.reference import ReferenceIds, upsert_reference_data
from detalka.seed.writer import BulkWriter

__all__ = ["SeedReport", "ensure_demo_data", "seed_database"]

DEMO_SUBSCRIBERS = 25
DEMO_MONTHS = 12
DEMO_SEED = 2024
# Usage records a transaction: big enough to amortise a commit, small enough to stay light.
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class SeedReport:
    """Rows written per table (reference rows: only those created) and the time it took."""

    subscribers: int
    usage_records: int
    payments: int
    promised_payments: int
    statements: int
    balances: int
    regions: int
    stores: int
    tariffs: int
    seconds: float
    subscriber_ids: tuple[int, ...]
    demo_created: bool

    def __str__(self) -> str:
        rate = self.usage_records / self.seconds if self.seconds else 0.0
        demo = " (the demo account among them)" if self.demo_created else ""
        return (
            f"{self.subscribers} subscribers{demo}: {self.usage_records:,} usage records, "
            f"{self.payments:,} payments, {self.promised_payments:,} promised payments, "
            f"{self.statements:,} monthly statements in {self.seconds:.1f} s "
            f"({rate:,.0f} usage records/s)"
        )


async def seed_database(
    subscribers: int,
    months: int,
    seed: int,
    *,
    now: datetime | None = None,
    progress: bool = True,
    demo: bool = True,
) -> SeedReport:
    """Write the catalog, the demo account (if missing) and ``subscribers`` new subscribers
    with ``months`` full months of history before the month of ``now``, plus that month."""
    if subscribers < 0 or months < 1:
        raise ValueError("subscribers must be >= 0 and months >= 1")
    started = time.perf_counter()
    now = _utc(now)
    refs = await upsert_reference_data()
    taken = {row["msisdn"] for row in await Subscriber.all().values("msisdn")}
    with_demo = demo and DEMO_MSISDN not in taken
    specs: Iterator[SubscriberSpec] = plan_subscribers(seed, subscribers, months, now, taken)
    if with_demo:
        specs = chain([demo_spec(months, now)], specs)

    writer = BulkWriter(connections.get("default"))
    counts = _Counts()
    bar = tqdm(
        total=subscribers + with_demo, unit=" subscribers", file=sys.stderr, disable=not progress
    )
    batch: list[History] = []
    with bar:
        for spec in specs:
            batch.append(generate_history(spec))
            if sum(len(h.usage) for h in batch) >= BATCH_ROWS:
                await counts.write(writer, batch, refs)
                bar.update(len(batch))
                bar.set_postfix_str(f"{counts.usage:,} usage records")
                batch = []
        await counts.write(writer, batch, refs)
        bar.update(len(batch))
        bar.set_postfix_str(f"{counts.usage:,} usage records")
    return SeedReport(
        subscribers=len(counts.ids),
        usage_records=counts.usage,
        payments=counts.payments,
        promised_payments=counts.promises,
        statements=counts.statements,
        balances=counts.balances,
        regions=refs.created_regions,
        stores=refs.created_stores,
        tariffs=refs.created_tariffs,
        seconds=time.perf_counter() - started,
        subscriber_ids=tuple(counts.ids),
        demo_created=with_demo,
    )


async def ensure_demo_data(*, now: datetime | None = None) -> SeedReport | None:
    """Seed the catalog, the demo account and a small crowd into an empty database.

    Returns None, touching nothing, when the database already has a subscriber.
    """
    if await Subscriber.exists():
        return None
    return await seed_database(
        DEMO_SUBSCRIBERS, DEMO_MONTHS, DEMO_SEED, now=now, progress=sys.stderr.isatty()
    )


class _Counts:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.usage = self.payments = self.promises = self.statements = self.balances = 0

    async def write(self, writer: BulkWriter, batch: list[History], refs: ReferenceIds) -> None:
        if not batch:
            return
        self.ids.extend(await writer.write(batch, refs))
        for h in batch:
            self.usage += len(h.usage)
            self.payments += len(h.payments)
            self.promises += len(h.promises)
            self.statements += len(h.statements)
            self.balances += 1 + (h.spec.bonus is not None)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC).replace(microsecond=0)
