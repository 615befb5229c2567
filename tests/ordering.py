"""Shared by the order tests: a subscriber with October history, the API and a worker."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import Balance, Payment, Region, Subscriber, Tariff, UsageRecord
from detalka.passwords import hash_password
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.signin_fixtures import MovableClock, unique_msisdn

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
PASSWORD = "orders-password"
ORDER_FIELDS = """
  id status format delivery deliveryStatus progress rowCount sections failureReason
  period { from to timeZone } email store { name address }
  document { fileName contentType sizeBytes sha256 downloadUrl expiresAt }
"""
CREATE = f"""
mutation($input: DetailOrderInput!) {{
  detailOrderCreate(input: $input) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
PREVIEW = """
mutation($input: DetailOrderInput!) {
  detailOrderPreview(input: $input) {
    preview { period { from to } format delivery sections email estimatedRows store { name } }
    userErrors { field code message }
  }
}
"""
CANCEL = """
mutation($id: ID!) { detailOrderCancel(input: {id: $id}) { order { status } userErrors { code } } }
"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on DetailOrder {{ {ORDER_FIELDS} }} }} }}"
EXPENSES = "query($p: PeriodInput!) { viewer { expenses(period: $p) { total { amount } } } }"


@dataclass
class Ordering:
    http: httpx.AsyncClient
    subscriber: Subscriber
    token: str
    clock: MovableClock
    settings: Settings
    jobs: Jobs

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def create(self, **input: Any) -> Any:
        return (await self.call(CREATE, {"input": order_input(**input)}))["detailOrderCreate"]

    async def preview(self, **input: Any) -> Any:
        return (await self.call(PREVIEW, {"input": order_input(**input)}))["detailOrderPreview"]

    async def order(self, order_id: str) -> Any:
        return (await self.call(NODE, {"id": order_id}))["node"]

    async def wait_for(self, order_id: str, *statuses: str, deadline_s: float = 60) -> Any:
        deadline = time.monotonic() + deadline_s
        while True:
            order = await self.order(order_id)
            if order["status"] in statuses:
                return order
            final = {"READY", "FAILED", "CANCELED", "EXPIRED"} - set(statuses)
            assert order["status"] not in final, order
            assert time.monotonic() < deadline, f"order still {order['status']}"
            await asyncio.sleep(0.05)

    async def expenses_total(self) -> Decimal:
        data = await self.call(EXPENSES, {"p": OCTOBER})
        return Decimal(data["viewer"]["expenses"]["total"]["amount"])

    async def download(self, url: str) -> httpx.Response:
        return await self.http.get(url.replace(self.settings.public_url, ""))


def order_input(**given: Any) -> dict[str, Any]:
    return {"period": OCTOBER, "format": "CSV", "delivery": "ARCHIVE", **given}


async def subscriber_with_history() -> Subscriber:
    region, _ = await Region.get_or_create(
        code="MOW", defaults={"name": "Москва", "time_zone": "Europe/Moscow"}
    )
    tariff = await Tariff.create(
        name=f"Заказы {uuid.uuid4().hex[:8]}",
        monthly_fee=Decimal("500.00"),
        minute_price=Decimal("2.00"),
        sms_price=Decimal("2.00"),
        mms_price=Decimal("7.00"),
        megabyte_price=Decimal("1.00"),
    )
    subscriber = await Subscriber.create(
        msisdn=unique_msisdn(),
        full_name="Смирнов Пётр Ильич",
        home_region=region,
        tariff=tariff,
        email="petr@example.com",
        password_hash=hash_password(PASSWORD),
        activated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    await Balance.create(
        subscriber=subscriber, kind="MAIN", name="Основной", amount=Decimal("321.09")
    )
    start = datetime(2026, 9, 30, 21, 0, tzinfo=UTC)  # 1 October, 00:00 in Moscow
    kinds = ["CALL", "SMS", "DATA", "ONE_TIME"]
    for i in range(120):
        kind = kinds[i % 4]
        await UsageRecord.create(
            subscriber=subscriber,
            occurred_at=start + timedelta(hours=6 * i),
            kind=kind,
            direction="OUT" if kind in {"CALL", "SMS"} else None,
            counterparty="+79161234567" if kind in {"CALL", "SMS"} else None,
            duration_s=95 if kind == "CALL" else None,
            volume_kb=4096 if kind == "DATA" else None,
            description='=HYPERLINK("http://evil")' if i == 3 else "Исходящий вызов",
            cost=Decimal(f"{i % 9}.{i % 100:02d}"),
        )
    await UsageRecord.create(
        subscriber=subscriber,
        occurred_at=start - timedelta(minutes=1),
        kind="CALL",
        description="До периода",
        cost=Decimal("1000.00"),
    )
    for day in (3, 17):
        await Payment.create(
            subscriber=subscriber,
            occurred_at=start + timedelta(days=day),
            amount=Decimal("300.00"),
            method="CARD",
            description="Пополнение картой",
        )
    return subscriber


async def open_ordering(
    settings: Settings, subscriber: Subscriber, clock: MovableClock, jobs: Jobs
) -> AsyncIterator[Ordering]:
    app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as http:
        signed = await http.post(
            "/graphql",
            json={
                "query": "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }",
                "variables": {
                    "i": {"msisdn": subscriber.msisdn, "password": PASSWORD, "regionCode": "MOW"}
                },
            },
        )
        token = signed.json()["data"]["sessionCreate"]["token"]
        yield Ordering(http, subscriber, token, clock, settings, jobs)


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


@asynccontextmanager
async def working(settings: Settings) -> AsyncIterator[Ordering]:
    """A subscriber with October history, the API and a real worker on ``settings``' broker."""
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    with WorkerProcess(jobs.broker):
        async for opened in open_ordering(settings, subscriber, clock, jobs):
            yield opened
    jobs.broker.close()
