"""Benchmark: what pricing an operation (docs/aggregators.md, "Query cost") adds to a request.

For each of the cabinet's documents and the standard introspection query: the median time
to price it before execution (``Pricing.requested``, a fresh pricing each time as a request
makes) and, for the introspection query, to price what it returned (``Pricing.actual``),
next to the median of a whole request for it through the ASGI app on an empty migrated
SQLite database (anonymous: auth, parsing, validation, execution, the bucket, JSON).
The bucket is in memory here; Redis adds a round trip or two on loopback (about 0.1 ms).

    .venv/bin/python bench/query_cost.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from graphql import get_introspection_query, parse

from detalka.db import apply_migrations, open_database
from detalka.schema import build_schema
from detalka.schema.cost import Pricing
from detalka.settings import Settings
from detalka.web.app import create_app

DOCUMENTS = Path(__file__).parents[1] / "detalka" / "web" / "static" / "app" / "graphql"


def _document(path: Path) -> str:
    text = path.read_text()
    for imported in re.findall(r'#import "\./(.+)"', text):
        text += (DOCUMENTS / imported).read_text()
    return text


def _median_s(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def main(runs: int) -> None:
    schema = build_schema()._schema
    introspection = get_introspection_query(descriptions=True)
    documents = {p.stem: _document(p) for p in sorted(DOCUMENTS.glob("*.graphql"))}
    documents["introspection"] = introspection
    variables = {"first": 100, "period": {"from": "2026-01-01", "to": "2026-01-31"}}
    for name, text in documents.items():
        parsed = parse(text)
        cost = Pricing(schema, parsed, None, variables).requested()
        median = _median_s(lambda d=parsed: Pricing(schema, d, None, variables).requested(), runs)
        print(f"price {name:<22} cost {cost:4}  median {median * 1e6:8.1f} µs")

    with tempfile.TemporaryDirectory() as data_dir:
        # A bucket that refills at once: the bench times requests, it does not throttle them.
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=Path(data_dir), captcha="disabled", cost_restore_rate=1e6
        )
        await apply_migrations(settings)
        ctx = await open_database(settings)
        try:
            app = create_app(settings, open_db=False)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                body = (await http.post("/graphql", json={"query": introspection})).json()
                request_times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    await http.post("/graphql", json={"query": introspection})
                    request_times.append(time.perf_counter() - started)
        finally:
            await ctx.close_connections()
    parsed = parse(introspection)

    def price_both() -> None:  # as the extension does: one pricing, before and after
        pricing = Pricing(schema, parsed)
        pricing.requested()
        pricing.actual(body["data"])

    both = _median_s(price_both, runs)
    request = statistics.median(request_times)
    print(f"introspection request      median {request * 1000:8.2f} ms (whole, in-process)")
    print(f"  priced before and after   median {both * 1000:8.3f} ms")
    print(f"  ratio pricing/request     {both / request:8.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    asyncio.run(main(parser.parse_args().runs))
