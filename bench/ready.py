"""A small order from the create mutation to READY on the socket, against the render alone
and against the stack's floor.

    .venv/bin/python -m bench.ready [--rounds 7] [--calls 300] [--format CSV] [--sections CALLS]

The embedded mode as ``detalka serve`` runs it: a SQLite file, the in-process broker and event
bus, the app's own worker, served by uvicorn on loopback with its lifespan. One subscriber
with a month of usage signs in (a session row); a client in a process of its own (as a phone
or a browser is; ``--in-process-client`` puts it in the server's process, where its CPU
competes for the GIL) keeps a ``detailOrderUpdated`` subscription open over
graphql-transport-ws, and each project round POSTs ``detailOrderCreate`` over HTTP; the
clock, in the client, stops when READY for that order arrives on the socket. The baseline
is the render alone: an order row of the same request placed directly, then ``render_order``
on it (what the worker runs, as bench/render_from_db.py times it), in the server's process on
the API's loop. The floor (bench/ready_floor.py) is the same flow written by hand as small as
strawberry, starlette, uvicorn and tortoise allow, with the same render, served by a second
uvicorn in this process and on this loop and timed by the same client code: floor / render
is what the stack itself costs, and what the project costs beyond it is Detalka's own. A
fourth contender is that floor with what DESIGN.md requires of any version of this flow
(``ready_floor.Required``): a session looked up for the request and the socket, the render
sent as a Dramatiq job to the app's own embedded worker, events as wake-ups that the
subscription answers with a read of the order's row (PENDING announced too): the least a
design-conforming implementation does on this stack.
Rounds interleave the four, who goes first rotating; wall-time medians.

Besides time it counts, for one order of each contender, the round trips to the database
(each statement, BEGIN and COMMIT: calls into aiosqlite's thread) and the statements tortoise
logs (``tortoise.db_client``), so the work between the mutation and the event is visible.
It runs in a fresh process (``measure`` below): the app's event bus and broker are process-wide.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.ready_client import Flow, One
from bench.ready_client import in_process as in_process_client
from bench.ready_client import own_process as own_process_client
from bench.ready_trips import Trips
from bench.render_from_db import _settings, bench_subscriber
from bench.suite import Measure, run_child

ZONE = ZoneInfo("Europe/Moscow")
TTL = timedelta(hours=72)
EVERY_SECTION = [
    "SUMMARY",
    "BALANCES",
    "PACKAGES",
    "PROMISED_PAYMENTS",
    "CALLS",
    "MESSAGES",
    "MOBILE_INTERNET",
    "CHARGES",
    "PAYMENTS",
]
PROJECT = Flow(
    create="""mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) { order { id status } userErrors { code message } } }""",
    created=("detailOrderCreate", "order"),
    user_errors=("detailOrderCreate", "userErrors"),
    follow="""subscription { detailOrderUpdated {
  id status progress deliveryStatus document { downloadUrl sizeBytes } } }""",
    updated="detailOrderUpdated",
)


def measure(rounds: int, calls: int = 300) -> list[Measure]:
    """The suite's rows: create -> READY against the render alone, the SQL of each, and the
    stack's floor against the same render (a reference: how low this stack goes)."""
    got = run_child("bench.ready", "--rounds", str(rounds), "--calls", str(calls), timeout=600)
    order = f"{got['rows']} calls, {got['format']}, SQLite, embedded"
    note = "the render alone (render_order on the same order)"
    return [
        Measure(
            f"small order create -> READY on the socket ({order}): wall",
            "ms",
            got["project_ms"],
            got["baseline_ms"],
            1.5,
            note,
        ),
        Measure(
            f"small order create -> READY ({order}): database round trips",
            "trips",
            got["project_trips"],
            got["baseline_trips"],
            None,
            "the render alone; both count BEGIN/COMMIT. A render of every section:"
            f" {got['every_section_statements']} statements, {got['every_section_trips']} trips",
        ),
        Measure(
            "small order create -> READY, the stack's floor (a minimal strawberry mutation"
            " + subscription, no auth/ORM reads/broker)",
            "ms",
            got["floor_ms"],
            got["baseline_ms"],
            None,
            f"{note}; the project's ratio is {got['project_ms'] / got['baseline_ms']:.2f}x",
        ),
        Measure(
            "small order create -> READY, the floor with what the design requires (sessions,"
            " the render as a Dramatiq job, events as wake-ups with a re-read)",
            "ms",
            got["required_ms"],
            got["baseline_ms"],
            None,
            f"{note}; the least a design-conforming version does on this stack",
        ),
    ]


def _last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


async def _prepare(settings: Any, calls: int, first: date, last: date) -> tuple[str, int]:
    """A subscriber with ``calls`` calls (and some messages and data) in [first, last] and a
    session; its token."""
    from detalka.db import apply_migrations, open_database
    from detalka.models import Balance, Session, UsageRecord

    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        subscriber, _ = await bench_subscriber("+79160000001", "Бенчмарков Иван")
        await Balance.create(subscriber=subscriber, kind="MAIN", name="Основной", amount="100")
        start = datetime.combine(first, datetime.min.time(), ZONE)
        span = datetime.combine(last + timedelta(days=1), datetime.min.time(), ZONE) - start
        step = span / (calls * 1.5)
        records = [
            UsageRecord(
                subscriber_id=subscriber.id,
                occurred_at=start + step * n,
                kind=("CALL", "CALL", "SMS", "DATA")[n % 4] if n % 2 else "CALL",
                direction="OUT" if n % 3 else "IN",
                counterparty=f"+7916{n:07d}",
                duration_s=n % 600 + 1,
                volume_kb=n * 7 % 50_000 + 1,
                quantity=1,
                zone="Москва",
                description="Исходящий вызов, Москва",
                cost="1.50",
            )
            for n in range(int(calls * 1.5))
        ]
        await UsageRecord.bulk_create(records, batch_size=1000)
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await Session.create(
            subscriber_id=subscriber.id,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
        count = await UsageRecord.filter(subscriber_id=subscriber.id, kind="CALL").count()
        return token, count
    finally:
        await ctx.close_connections()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def _serving(app: Any) -> AsyncIterator[str]:
    """uvicorn on loopback with the app's lifespan (database, worker, housekeeping)."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60
    while not server.started:
        if serving.done() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


Contender = Callable[[], Awaitable[tuple[float, float, list[str]]]]


def _timed(one: One) -> Contender:
    """A client's round with this process's CPU meanwhile (the server and its worker)."""

    async def timed() -> tuple[float, float, list[str]]:
        cpu = time.process_time()
        elapsed, statuses = await one()
        return elapsed, (time.process_time() - cpu) * 1000, statuses

    return timed


@dataclass
class _Baseline:
    """The render alone: an order row placed directly, then ``render_order`` on it, timed."""

    subscriber_id: int
    region_id: int | None
    first: date
    last: date
    fmt: str
    storage: Any
    clock: Any

    async def __call__(
        self, chosen: list[str], trips: Trips | None = None
    ) -> tuple[float, float, list[str]]:
        from bench.ready_floor import insert_order
        from detalka.resolvers.rendering import render_order

        order_id = await insert_order(
            self.subscriber_id, self.region_id, self.first, self.last, self.fmt, "ARCHIVE", chosen
        )
        cpu = time.process_time()
        started = time.perf_counter()
        with trips.counting() if trips else nullcontext():
            made = await render_order(
                order_id, storage=self.storage, clock=self.clock, document_ttl=TTL
            )
        elapsed = (time.perf_counter() - started) * 1000
        assert made, "the baseline order was not rendered"
        return elapsed, (time.process_time() - cpu) * 1000, []


async def _counts(
    contenders: dict[str, Contender], baseline: _Baseline, sections: list[str], trips: Trips
) -> dict[str, Any]:
    """Every path warmed up (first imports, the renderers' fonts and caches), then the round
    trips and statements of one order of each contender."""
    for contender in contenders.values():
        await contender()
    got: dict[str, Any] = {}
    for name in ("project", "floor", "required"):
        with trips.counting():
            got[f"{name}_statuses"] = (await contenders[name]())[2]
            await asyncio.sleep(0.2)  # the subscription's re-read after READY, if any
        got[name] = trips.trips, trips.statements
    await baseline(sections, trips)
    got["baseline"] = trips.trips, trips.statements
    # The count: one small render of every section (27 statements then).
    await baseline(EVERY_SECTION, trips)
    got["every_section"] = trips.trips, trips.statements
    return got


async def _rounds(contenders: dict[str, Contender], rounds: int) -> dict[str, Any]:
    """Interleaved rounds, wall and CPU medians of each contender."""
    names = list(contenders)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for n in range(rounds):
        # Rotate who goes first: none always runs on another's leftovers.
        for name in names[n % len(names) :] + names[: n % len(names)]:
            elapsed, used, _ = await contenders[name]()
            wall[name].append(elapsed)
            cpu[name].append(used)
    return (
        {f"{name}_ms": statistics.median(wall[name]) for name in names}
        | {f"{name}_cpu_ms": statistics.median(cpu[name]) for name in names}
        | {f"{name}_rounds": [round(x, 1) for x in wall[name]] for name in names}
    )


async def _contenders(
    stack: AsyncExitStack,
    settings: Any,
    token: str,
    request: dict[str, Any],
    period: tuple[date, date],
    in_process: bool,
) -> tuple[dict[str, Contender], _Baseline]:
    """Detalka and the floors served on the same loop, a client of each; the render alone."""
    from bench import ready_floor
    from detalka.adapters.storage import FileStorage
    from detalka.clock import SystemClock
    from detalka.jobs.app import Jobs
    from detalka.models import Subscriber
    from detalka.web.app import create_app

    client = in_process_client if in_process else own_process_client
    storage, clock = FileStorage(settings.files_dir), SystemClock()
    jobs = Jobs.for_settings(settings, clock)
    floor = ready_floor.Floor(storage, clock, TTL)
    required = ready_floor.Floor(storage, clock, TTL)
    required.required = ready_floor.Required(
        sessions=True, reread=True, send=_queued(jobs, required)
    )
    # The app's worker starts with the lifespan: the floor's actor is declared before.
    address = await stack.enter_async_context(_serving(create_app(settings, jobs=jobs)))
    floor_address = await stack.enter_async_context(_serving(ready_floor.app(floor)))
    required_address = await stack.enter_async_context(_serving(ready_floor.app(required)))
    subscriber = await Subscriber.get(msisdn="+79160000001")
    baseline = _Baseline(
        subscriber.id, subscriber.home_region_id, *period, request["format"], storage, clock
    )
    floor_request = ready_floor.request(
        baseline.subscriber_id, baseline.region_id, *period, baseline.fmt, request["sections"]
    )
    project = await stack.enter_async_context(client(PROJECT, address, token, request))
    floor_one = await stack.enter_async_context(
        client(ready_floor.FLOW, floor_address, "", floor_request)
    )
    required_one = await stack.enter_async_context(
        client(ready_floor.FLOW, required_address, token, floor_request)
    )
    sections = request["sections"]
    contenders = {
        "project": _timed(project),
        "baseline": lambda: baseline(sections),
        "floor": _timed(floor_one),
        "required": _timed(required_one),
    }
    return contenders, baseline


def _queued(jobs: Any, floor: Any) -> Callable[[int], Awaitable[None]]:
    """The durable queue of the floor with the design's requirements: an actor of the app's
    own broker (its embedded worker, its database context), sent to as Detalka sends."""
    import dramatiq

    from detalka.jobs.runtime import in_worker_database, send

    async def floor_render(order_id: int) -> None:
        await floor.render_in_worker(order_id)

    actor = dramatiq.actor(
        broker=jobs.broker, actor_name="floor_render", queue_name="render", max_retries=0
    )(in_worker_database(jobs.broker, floor_render))

    async def queued(order_id: int) -> None:
        await send(actor, order_id)

    return queued


async def _run(
    rounds: int, calls: int, fmt: str, sections: list[str], in_process: bool = False
) -> dict[str, Any]:
    trips = Trips()
    trips.install()
    first, last = _last_month(datetime.now(ZONE).date())
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), "")
        token, rows = await _prepare(settings, calls, first, last)
        request = {
            "period": {"from": first.isoformat(), "to": last.isoformat()},
            "format": fmt,
            "delivery": "ARCHIVE",
            "sections": sections,
        }
        async with AsyncExitStack() as stack:
            contenders, baseline = await _contenders(
                stack, settings, token, request, (first, last), in_process
            )
            counts = await _counts(contenders, baseline, sections, trips)
            times = await _rounds(contenders, rounds)
    result: dict[str, Any] = {**times, "rows": rows, "format": fmt, "sections": sections}
    result["statuses"] = counts.pop("project_statuses")
    result["floor_statuses"] = counts.pop("floor_statuses")
    result["required_statuses"] = counts.pop("required_statuses")
    for name, (trip_count, statements) in counts.items():
        result[f"{name}_trips"] = trip_count
        result[f"{name}_statements"] = sum(statements.values())
        result[f"{name}_sql"] = statements.most_common()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--format", default="CSV")
    parser.add_argument("--sections", nargs="+", default=["CALLS"])
    parser.add_argument("--verbose", action="store_true", help="the statements, to stderr")
    parser.add_argument(
        "--in-process-client", action="store_true", help="the client in the server's process"
    )
    args = parser.parse_args()
    result = asyncio.run(
        _run(args.rounds, args.calls, args.format, args.sections, args.in_process_client)
    )
    for key in ("project_sql", "floor_sql", "required_sql", "baseline_sql", "every_section_sql"):
        statements = result.pop(key)
        if args.verbose:
            print(f"-- {key}", file=sys.stderr)
            for text, n in statements:
                print(f"{n:3d}  {text}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
