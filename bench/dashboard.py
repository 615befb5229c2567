"""The dashboard and a usage page over GraphQL against a hand-written endpoint (same JSON).

A seeded database (``seed_database``); the heaviest subscriber signs in (a session row) and
has a few orders. Both apps run in this process through ``httpx.ASGITransport``, so neither
pays for HTTP parsing and the ratio is the API's own cost (parse, validation, resolvers,
ORM, serialization) against the bare driver's. Before timing, both answers are compared and
must be equal. Project and baseline then alternate round by round:
- one client: the request's CPU time (``time.process_time``), median;
- C concurrent clients (8, 32): requests a second over the round, median of the rounds;
- a usage page of 100, deep in a heavy period (each page after the one before).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.dashboard_baseline import create_app as baseline_app
from bench.render_from_db import _drop_postgres, _fresh_postgres, _settings
from bench.suite import Measure, median

MONEY = "{ amount currency }"
USAGE_NODE = f"""{{ id occurredAt kind direction counterparty durationSeconds volumeKb quantity
  zone roaming description cost {MONEY} fromPackage }}"""
DASHBOARD = f"""query($p: PeriodInput!) {{ viewer {{
  balances {{ main {{ kind name amount {MONEY} }}
    additional {{ kind name amount {MONEY} expiresAt }} state }}
  expenses(period: $p) {{ total {MONEY} byCategory {{ category amount {MONEY} count }}
    byDay {{ date amount {MONEY} }} }}
  usage(period: $p, first: 50) {{ edges {{ cursor node {USAGE_NODE} }}
    pageInfo {{ hasNextPage endCursor }} }}
  detailOrders(first: 10) {{ edges {{ node {{ id status format createdAt }} }} }}
}} }}"""
USAGE_PAGE = f"""query($p: PeriodInput!, $after: String) {{ viewer {{
  usage(period: $p, first: 100, after: $after) {{ edges {{ cursor node {USAGE_NODE} }}
    pageInfo {{ hasNextPage endCursor }} }}
}} }}"""
Post = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _prepare(settings: Any, subscribers: int, months: int) -> tuple[str, int]:
    """Seed, then a session for the subscriber with most records and three orders of its own."""
    from tortoise import connections

    from detalka.models import DetailOrder, Session, Subscriber
    from detalka.seed import seed_database

    await seed_database(subscribers, months, 7, progress=False, demo=False)
    _, rows = await connections.get("default").execute_query(
        "SELECT subscriber_id, COUNT(*) AS n FROM usage_record GROUP BY subscriber_id"
        " ORDER BY n DESC LIMIT 1"
    )
    sid = int(rows[0][0])
    subscriber = await Subscriber.get(id=sid)
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await Session.create(
        subscriber_id=sid,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    for fmt in ("CSV", "PDF", "XLSX"):
        await DetailOrder.create(
            subscriber_id=sid,
            region_id=subscriber.home_region_id,
            period_from=date(2026, 1, 1),
            period_to=date(2026, 1, 31),
            format=fmt,
            delivery="ARCHIVE",
            sections=["CALLS"],
            status="CANCELED",
        )
    return token, sid


def _last_month() -> dict[str, str]:
    today = datetime.now(UTC).date()
    last = today.replace(day=1) - timedelta(days=1)
    return {"from": last.replace(day=1).isoformat(), "to": last.isoformat()}


def _client(app: Any, token: str) -> Post:
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"authorization": f"Bearer {token}"},
    )

    async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and "errors" not in body, response.text[:2000]
        return body

    return post


async def _cpu_per_request(post: Post, query: str, variables: dict[str, Any], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        await post(query, variables)
    return (time.process_time() - started) / n * 1000


async def _rate(post: Post, query: str, variables: dict[str, Any], clients: int, n: int) -> float:
    async def one() -> None:
        for _ in range(n):
            await post(query, variables)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return clients * n / (time.perf_counter() - started)


async def _pages(
    post: Post, period: dict[str, str], pages: int | None
) -> tuple[list[str | None], str]:
    """The cursors of the first ``pages`` pages of 100 (None for the first; every page when
    ``pages`` is None), and what they are: "all 61 pages" or "the first 12 pages"."""
    cursors: list[str | None] = [None]
    while pages is None or len(cursors) < pages:
        body = await post(USAGE_PAGE, {"p": period, "after": cursors[-1]})
        info = body["data"]["viewer"]["usage"]["pageInfo"]
        if not info["hasNextPage"]:
            return cursors, f"all {len(cursors)} pages"
        cursors.append(info["endCursor"])
    return cursors, f"the first {len(cursors)} pages"


async def _compare(
    project: Post, baseline: Post, period: dict[str, str], cursors: list[str | None]
) -> None:
    mine, theirs = await project(DASHBOARD, {"p": period}), await baseline(DASHBOARD, {"p": period})
    # The same data; the project's answer also carries extensions.cost (#14), which the
    # hand-written endpoint does not compute: that work stays in the project's time.
    assert mine["data"] == theirs["data"], f"the answers differ:\n{mine}\n{theirs}"
    assert "cost" in mine.get("extensions", {}) and "errors" not in mine
    assert len(mine["data"]["viewer"]["usage"]["edges"]) == 50
    for cursor in cursors[-2:]:
        variables = {"p": period, "after": cursor}
        page, same = await project(USAGE_PAGE, variables), await baseline(USAGE_PAGE, variables)
        assert page["data"] == same["data"]


async def _run(settings: Any, url: str, rounds: int, quick: bool) -> list[Measure]:
    from tortoise import connections
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from detalka.db import apply_migrations, open_database
    from detalka.web.app import create_app

    EXECUTOR_CACHE.clear()  # cached by connection name: one backend's SQL for the other
    await apply_migrations(settings)
    ctx = await open_database(settings)
    try:
        token, _ = await _prepare(settings, 6 if quick else 40, 2 if quick else 12)
        if not url:  # the roll-up and the table's statistics, as after any long-lived seed
            await connections.get("default").execute_script("ANALYZE")
        base = baseline_app(url, str(settings.data_dir / "detalka.sqlite3"))
        async with base.router.lifespan_context(base):
            project = _client(create_app(settings, open_db=False), token)
            baseline = _client(base, token)
            period = _last_month()
            year = {
                "from": (date.fromisoformat(period["to"]) - timedelta(days=364)).isoformat(),
                "to": period["to"],
            }
            cursors, which = await _pages(project, year, 12 if quick else None)
            await _compare(project, baseline, period, cursors)
            return await _timed(project, baseline, period, year, (cursors, which), rounds, url)
    finally:
        await ctx.close_connections()


async def _timed(
    project: Post,
    baseline: Post,
    period: dict[str, str],
    year: dict[str, str],
    pages_of_year: tuple[list[str | None], str],
    rounds: int,
    url: str,
) -> list[Measure]:
    cursors, which = pages_of_year
    backend = "PostgreSQL" if url else "SQLite"
    cpu: dict[str, list[float]] = {"p": [], "b": []}
    rates: dict[tuple[str, int], list[float]] = {}
    pages: dict[str, list[float]] = {"p": [], "b": []}
    dash = {"p": period}
    for _ in range(rounds):
        for key, post in (("p", project), ("b", baseline)):
            cpu[key].append(await _cpu_per_request(post, DASHBOARD, dash, 5))
            for clients in (8, 32):
                rates.setdefault((key, clients), []).append(
                    await _rate(post, DASHBOARD, dash, clients, 2)
                )
            started = time.process_time()
            for cursor in cursors:
                await post(USAGE_PAGE, {"p": year, "after": cursor})
            pages[key].append((time.process_time() - started) / len(cursors) * 1000)
    out = [
        Measure(
            f"dashboard, 1 client, {backend}: CPU a request",
            "ms",
            median(cpu["p"]),
            median(cpu["b"]),
            2.0,
            "Starlette + raw driver, same SQL and JSON",
        )
    ]
    for clients in (8, 32):
        out.append(
            Measure(
                f"dashboard, {clients} clients, {backend}: throughput",
                "req/s",
                median(rates[("p", clients)]),
                median(rates[("b", clients)]),
                2.0,
                "the same endpoint; ratio = baseline/project",
                higher_is_better=True,
            )
        )
    out.append(
        Measure(
            f"usage page of 100 ({which} of a year), {backend}: CPU a page",
            "ms",
            median(pages["p"]),
            median(pages["b"]),
            2.0,
            "the same endpoint",
        )
    )
    return out


def measure(backend: str, rounds: int, quick: bool) -> list[Measure]:
    with tempfile.TemporaryDirectory() as tmp:
        db_name, url = asyncio.run(_fresh_postgres()) if backend == "postgres" else ("", "")
        try:
            return asyncio.run(_run(_settings(Path(tmp), url), url, rounds, quick))
        finally:
            if db_name:
                asyncio.run(_drop_postgres(db_name))
