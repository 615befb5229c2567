"""The input pipeline's refusals (#11): how long a hostile document takes to be refused, and
what it does to the process's memory, against what strawberry's alias limiter cost.

    .venv/bin/python bench/edge_limits.py [--repeat 5]

Each line is the median of ``--repeat`` runs of ``schema.execute`` (or an HTTP request
through the ASGI app, no network) in this process, with the resident set size (RSS, from
/proc/self/statm) before the first and after the last. The "old" lines run the same
documents through a schema with strawberry's ``MaxAliasesLimiter(30)``, as ``main`` had it
before #11, at fewer levels (each two more levels cost it about four times as much).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import httpx
import strawberry
from graphql import parse, validate
from strawberry.extensions import AddValidationRules
from strawberry.extensions.max_aliases import create_validator

from detalka.schema import Mutation, Subscription, _query_type, build_schema
from detalka.schema.guard import Guard
from detalka.schema.limits import LIMITS
from detalka.schema.shape import OverLimit, measure_operations
from detalka.settings import Settings
from detalka.web.app import create_app


def doubling(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "{ ...F0 }\n" + "\n".join(fragments)


def stores_with_regions(stores: int) -> str:
    """101 fields per store (20 regions of 5 fields): few aliases, keys repeated 20 times."""
    regions = "region { id code name timeZone } " * 20
    fields = " ".join(f's{i}: stores(regionCode: "MOW") {{ ...S }}' for i in range(stores))
    return f"{{ {fields} }} fragment S on Store {{ {regions} }}"


def fresh(text: str, run: int) -> str:
    """The same document with another comment: a text the guard's cache has not seen."""
    return f"# run {run}\n{text}"


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def timed(
    run: Callable[[int], Awaitable[Any]], repeat: int
) -> tuple[float, float, float, Any]:
    """Median wall and CPU milliseconds (CPU: this process's, which other load on the
    machine disturbs less), the RSS change over all runs, the last result."""
    before = rss_mib()
    walls, cpus, last = [], [], None
    for i in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        last = await run(i)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    wall_ms, cpu_ms = statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3
    return wall_ms, cpu_ms, rss_mib() - before, last


def code_of(result: Any) -> str:
    errors = getattr(result, "errors", None) or []
    if errors:
        return str((errors[0].extensions or {}).get("code", "no code"))
    return "accepted"


def old_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=_query_type(),
        mutation=Mutation,
        subscription=Subscription,
        extensions=[lambda: AddValidationRules([create_validator(30)])],
    )


def visits(text: str) -> int:
    try:
        return measure_operations(parse(text), LIMITS)[1]
    except OverLimit as over:
        return over.visits


async def main(repeat: int) -> None:
    schema, old = build_schema(), old_schema()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"strawberry {version('strawberry-graphql')}, graphql-core {version('graphql-core')}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; median of {repeat}"
    )
    lines: list[tuple[str, Callable[[int], Awaitable[Any]]]] = []
    for levels in (22, 30):
        text = doubling(levels)
        lines.append(
            (
                f"new  doubling {levels} levels ({len(text)} B, {visits(text)} visits)",
                lambda i, t=text: schema.execute(fresh(t, i)),
            )
        )
    guard_only = doubling(30)

    async def prepare(i: int) -> Any:
        return type("R", (), {"errors": [Guard().prepare(fresh(guard_only, i)).error]})()

    lines.append(("new  doubling 30 levels, the guard alone", prepare))
    under = stores_with_regions(9)

    async def validate_under(i: int) -> Any:
        text = fresh(under, i)
        assert Guard().prepare(text).error is None
        return type("R", (), {"errors": validate(schema._schema, parse(text))})()

    lines.append(
        (
            f"new  909 fields just under the limits ({len(under)} B): validation",
            validate_under,
        )
    )
    for levels in (12, 14, 16):
        text = doubling(levels)
        lines.append(
            (
                f"old  doubling {levels} levels ({len(text)} B)",
                lambda i, t=text: old.execute(fresh(t, i)),
            )
        )
    ten_mb = "{ " + "regions { code } " * (10 * 2**20 // 17) + "}"
    lines.append(("new  10 MiB document, schema.execute", lambda i: schema.execute(ten_mb)))
    tokens = "{ regions { " + "code " * (LIMITS.tokens + 1) + "} }"
    lines.append(
        (
            f"new  {LIMITS.tokens + 1} tokens ({len(tokens)} B)",
            lambda i: schema.execute(fresh(tokens, i)),
        )
    )
    fields = "{ " + "regions { code } " * 24_000 + "}"  # the 400 KB document
    lines.append(("new  400 KB of repeated fields", lambda i: schema.execute(fresh(fields, i))))
    app = create_app(Settings(captcha="disabled", _env_file=None), open_db=False)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        body = ('{"query": "' + "x" * (10 * 2**20) + '"}').encode()

        async def post(_: int) -> Any:
            response = await http.post(
                "/graphql", content=body, headers={"content-type": "application/json"}
            )
            return type(
                "R",
                (),
                {
                    "errors": [
                        type(
                            "E",
                            (),
                            {
                                "extensions": {
                                    "code": response.json()["errors"][0]["extensions"]["code"]
                                }
                            },
                        )()
                    ]
                },
            )()

        lines.append(("new  10 MiB body over HTTP (ASGI)", post))
        for label, run in lines:
            wall, cpu, rss, result = await timed(run, 1 if label.startswith("old") else repeat)
            print(
                f"{label:<62} {wall:8.1f} ms wall {cpu:8.1f} ms CPU  RSS {rss:+5.1f} MiB  "
                f"{code_of(result)}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
