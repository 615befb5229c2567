"""A small order from the create mutation to READY on the socket, against the render alone.

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
the API's loop.
Rounds alternate between the two; wall-time medians.

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
import logging
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.render_from_db import _settings, bench_subscriber
from bench.suite import Measure, run_child

ZONE = ZoneInfo("Europe/Moscow")
FOLLOW = """subscription { detailOrderUpdated {
  id status progress deliveryStatus document { downloadUrl sizeBytes } } }"""
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
CREATE = """mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) { order { id status } userErrors { code message } } }"""


def measure(rounds: int, calls: int = 300) -> list[Measure]:
    """The suite's rows: create -> READY against the render alone, and the SQL of each."""
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


class _Trips:
    """Counts calls into aiosqlite's thread (every statement, BEGIN, COMMIT, cursor close) and
    the statements tortoise logs, while ``counting`` is on."""

    def __init__(self) -> None:
        self.trips = 0
        self.statements: Counter[str] = Counter()
        self.on = False
        self._lock = threading.Lock()

    @contextmanager
    def counting(self) -> Iterator[_Trips]:
        self.trips = 0
        self.statements = Counter()
        self.on = True
        # DEBUG only meanwhile: a log record a statement costs the timed rounds CPU.
        logger = logging.getLogger("tortoise.db_client")
        level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            self.on = False
            logger.setLevel(level)

    def install(self) -> None:
        import aiosqlite

        original = aiosqlite.Connection._execute
        trips = self

        async def _execute(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            if trips.on:
                with trips._lock:
                    trips.trips += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.Connection._execute = _execute  # type: ignore[method-assign]

        class Statements(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if trips.on and isinstance(record.msg, str) and record.msg == "%s: %s":
                    text = str(record.args[0]) if record.args else ""
                    with trips._lock:
                        trips.statements[" ".join(text.split())[:90]] += 1

        logger = logging.getLogger("tortoise.db_client")
        logger.addHandler(Statements())
        logger.propagate = False


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


class _Socket:
    """graphql-transport-ws: one subscription to every order of the viewer."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def open(self, token: str) -> None:
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(
            json.dumps({"id": "all", "type": "subscribe", "payload": {"query": FOLLOW}})
        )

    async def until_ready(self, order_id: str) -> list[str]:
        """The statuses this order went through on the socket, up to READY."""
        seen: list[str] = []
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
            assert message["type"] == "next" and "errors" not in message["payload"], message
            order = message["payload"]["data"]["detailOrderUpdated"]
            if order["id"] != order_id:
                continue  # a baseline order the subscription's re-read timer came across
            if not seen or seen[-1] != order["status"]:
                seen.append(order["status"])
            if order["status"] in {"READY", "FAILED", "CANCELED"}:
                assert order["status"] == "READY", (order, seen)
                return seen


@asynccontextmanager
async def _in_process(
    address: str, token: str, request: dict[str, Any]
) -> AsyncIterator[Callable[[], Awaitable[tuple[float, list[str]]]]]:
    """The client in the server's process: its CPU competes with the server's for the GIL."""
    import websockets

    async with (
        httpx.AsyncClient(
            base_url=f"http://{address}", headers={"authorization": f"Bearer {token}"}
        ) as http,
        websockets.connect(
            f"ws://{address}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as ws,
    ):
        follow = _Socket(ws)
        await follow.open(token)

        async def one() -> tuple[float, list[str]]:
            started = time.perf_counter()
            response = await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": request}}
            )
            payload = response.json()["data"]["detailOrderCreate"]
            assert not payload["userErrors"], payload
            statuses = await follow.until_ready(payload["order"]["id"])
            return (time.perf_counter() - started) * 1000, statuses

        yield one


@asynccontextmanager
async def _own_process(
    address: str, token: str, request: dict[str, Any]
) -> AsyncIterator[Callable[[], Awaitable[tuple[float, list[str]]]]]:
    """The client in a process of its own, as a phone or a browser is: each round is asked
    for on its stdin and its time (taken there) read from its stdout."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.ready",
        "--client",
        address,
        token,
        json.dumps(request),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    stdin, stdout = child.stdin, child.stdout
    try:
        assert json.loads(await asyncio.wait_for(stdout.readline(), 120)) == "ready"

        async def one() -> tuple[float, list[str]]:
            stdin.write(b"go\n")
            await stdin.drain()
            done = json.loads(await asyncio.wait_for(stdout.readline(), 60))
            return float(done["ms"]), list(done["statuses"])

        yield one
    finally:
        stdin.close()
        await asyncio.wait_for(child.wait(), 30)


async def _client(address: str, token: str, request: dict[str, Any]) -> None:
    """The ``--client`` process: a round per line on stdin, its result a line on stdout."""
    loop = asyncio.get_running_loop()
    async with _in_process(address, token, request) as one:
        print(json.dumps("ready"), flush=True)
        while await loop.run_in_executor(None, sys.stdin.readline):
            ms, statuses = await one()
            print(json.dumps({"ms": ms, "statuses": statuses}), flush=True)


async def _run(
    rounds: int, calls: int, fmt: str, sections: list[str], in_process: bool = False
) -> dict[str, Any]:
    from detalka.adapters.storage import FileStorage
    from detalka.clock import SystemClock
    from detalka.models import DetailOrder, Subscriber
    from detalka.resolvers.rendering import render_order
    from detalka.web.app import create_app

    trips = _Trips()
    trips.install()
    first, last = _last_month(datetime.now(ZONE).date())
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), "")
        token, rows = await _prepare(settings, calls, first, last)
        app = create_app(settings)
        request = {
            "period": {"from": first.isoformat(), "to": last.isoformat()},
            "format": fmt,
            "delivery": "ARCHIVE",
            "sections": sections,
        }
        storage = FileStorage(settings.files_dir)
        clock = SystemClock()

        client = _in_process if in_process else _own_process
        async with _serving(app) as address, client(address, token, request) as one:
            cpu_ms: list[
                float
            ] = []  # this process: the API and its worker (and an in-process client)
            base_cpu_ms: list[float] = []
            subscriber = await Subscriber.get(msisdn="+79160000001")

            async def project() -> tuple[float, list[str]]:
                cpu = time.process_time()
                elapsed, statuses = await one()
                cpu_ms.append((time.process_time() - cpu) * 1000)
                return elapsed, statuses

            async def baseline(chosen: list[str] = sections, counted: bool = False) -> float:
                order = await DetailOrder.create(
                    subscriber_id=subscriber.id,
                    region_id=subscriber.home_region_id,
                    period_from=first,
                    period_to=last,
                    format=fmt,
                    delivery="ARCHIVE",
                    sections=chosen,
                    status="PENDING",
                )
                cpu = time.process_time()
                started = time.perf_counter()
                with trips.counting() if counted else nullcontext():
                    made = await render_order(
                        order.id, storage=storage, clock=clock, document_ttl=timedelta(hours=72)
                    )
                elapsed = (time.perf_counter() - started) * 1000
                base_cpu_ms.append((time.process_time() - cpu) * 1000)
                assert made, "the baseline order was not rendered"
                return elapsed

            # Warm both paths up (first imports, the renderers' fonts and caches).
            await project()
            await baseline()
            with trips.counting():
                _, statuses = await project()
                await asyncio.sleep(0.2)  # the subscription's re-read after READY, if any
            project_trips, project_statements = trips.trips, trips.statements
            await baseline(counted=True)
            baseline_trips, baseline_statements = trips.trips, trips.statements
            # The count: one small render of every section (27 statements then).
            await baseline(EVERY_SECTION, counted=True)
            every_trips, every_statements = trips.trips, trips.statements
            mine: list[float] = []
            theirs: list[float] = []
            for n in range(rounds):
                # Alternate who goes first: neither always runs on the other's leftovers.
                if n % 2:
                    theirs.append(await baseline())
                    mine.append((await project())[0])
                else:
                    mine.append((await project())[0])
                    theirs.append(await baseline())
    return {
        "project_ms": statistics.median(mine),
        "baseline_ms": statistics.median(theirs),
        "project_cpu_ms": statistics.median(cpu_ms),
        "baseline_cpu_ms": statistics.median(base_cpu_ms),
        "project_rounds": [round(x, 1) for x in mine],
        "baseline_rounds": [round(x, 1) for x in theirs],
        "rows": rows,
        "format": fmt,
        "sections": sections,
        "statuses": statuses,
        "project_trips": project_trips,
        "baseline_trips": baseline_trips,
        "project_statements": sum(project_statements.values()),
        "baseline_statements": sum(baseline_statements.values()),
        "every_section_trips": every_trips,
        "every_section_statements": sum(every_statements.values()),
        "every_section_sql": every_statements.most_common(),
        "project_sql": project_statements.most_common(),
        "baseline_sql": baseline_statements.most_common(),
    }


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
    parser.add_argument("--client", nargs=3, metavar=("ADDRESS", "TOKEN", "REQUEST"))
    args = parser.parse_args()
    if args.client:
        address, token, request = args.client
        asyncio.run(_client(address, token, json.loads(request)))
        return
    result = asyncio.run(
        _run(args.rounds, args.calls, args.format, args.sections, args.in_process_client)
    )
    if args.verbose:
        for key in ("project_sql", "baseline_sql", "every_section_sql"):
            print(f"-- {key}", file=sys.stderr)
            for text, n in result[key]:
                print(f"{n:3d}  {text}", file=sys.stderr)
    for key in ("project_sql", "baseline_sql", "every_section_sql"):
        result.pop(key)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
