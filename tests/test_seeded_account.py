"""The overview and a report on seeded data: the demo account, a whole billing month."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import MonthlyStatement, Subscriber, UsageRecord
from detalka.seed import SeedReport
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.conftest import SEED_NOW
from tests.factories import MovableClock
from tests.polling import eventually

FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
USAGE = """
query($p: PeriodInput!, $after: String) { viewer {
  usage(period: $p, first: 100, after: $after) {
    edges { node { id cost { amount } } } pageInfo { hasNextPage endCursor }
  }
} }
"""
EXPENSES = "query($p: PeriodInput!) { viewer { expenses(period: $p) { total { amount } } } }"
CREATE = """
mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) { order { id } userErrors { code } }
}
"""
ORDER = (
    "query($id: ID!) { node(id: $id) { ... on DetailOrder { status document { downloadUrl } } } }"
)


@pytest.fixture
async def demo(seeded: SeedReport, db: Settings, tmp_path: Path) -> AsyncIterator[GraphQL]:
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(SEED_NOW)
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async with asgi_http(app, settings.public_url) as http:
            token = await GraphQL(http).sign_in("+79001234567", "demo-password")
            yield GraphQL(http, token)


async def test_a_month_of_expenses_equals_the_usage_connection_paged_through(demo: GraphQL) -> None:
    # given a whole seeded month of the demo account
    seen: list[str] = []
    costs = Decimal(0)
    after = None
    # when its usage is paged through
    while True:
        page = (await demo.data(USAGE, {"p": FEBRUARY, "after": after}))["viewer"]["usage"]
        seen += [e["node"]["id"] for e in page["edges"]]
        costs += sum((Decimal(e["node"]["cost"]["amount"]) for e in page["edges"]), Decimal(0))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then every record came once, and expenses say the same total
    total = (await demo.data(EXPENSES, {"p": FEBRUARY}))["viewer"]["expenses"]["total"]
    subscriber = await Subscriber.get(msisdn="+79001234567")
    rows = await UsageRecord.filter(subscriber=subscriber).count()
    assert len(seen) == len(set(seen)) > 100 and len(seen) < rows
    assert Decimal(total["amount"]) == costs


async def test_the_balances_section_matches_the_billing_statement_of_the_month(
    demo: GraphQL,
) -> None:
    # given the statement billing wrote for February
    subscriber = await Subscriber.get(msisdn="+79001234567")
    statement = await MonthlyStatement.get(subscriber=subscriber, month=date(2026, 2, 1))
    # when February is ordered as CSV and rendered by the worker
    variables = {
        "input": {
            "period": FEBRUARY,
            "format": "CSV",
            "delivery": "ARCHIVE",
            "sections": ["SUMMARY", "BALANCES"],
        }
    }
    created = (await demo.data(CREATE, variables))["detailOrderCreate"]
    assert created["userErrors"] == []

    async def ready() -> Any:
        order = (await demo.data(ORDER, {"id": created["order"]["id"]}))["node"]
        assert order["status"] in {"PENDING", "READY", "RENDERING"}, order
        return order if order["status"] == "READY" else None

    order = await eventually(ready, explain="the order is not ready")
    url = order["document"]["downloadUrl"]
    text = (await demo.http.get(httpx.URL(url).path)).text
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if len(r) >= 2}
    # then opening and closing are the statement's, and they balance to the kopeck
    opening = Decimal(rows["Баланс на начало периода"])
    paid = Decimal(rows["Поступления"])
    charged = Decimal(rows["Списания с основного баланса"])
    closing = Decimal(rows["Баланс на конец периода"])
    assert (opening, paid, charged, closing) == (
        statement.opening,
        statement.payments,
        statement.charges,
        statement.closing,
    )
    assert opening + paid - charged == closing
    total = (await demo.data(EXPENSES, {"p": FEBRUARY}))["viewer"]["expenses"]["total"]
    assert Decimal(rows["Итого расходов"]) == Decimal(total["amount"])
