"""Shared by the order tests: a subscriber with October history, the API and a worker."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import Subscriber
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.factories import NOW, OCTOBER, PASSWORD, MovableClock, subscriber_with_history
from tests.polling import eventually

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


class Ordering(GraphQL):
    """The API as one subscriber calls it (their session token by default), and the worker's
    jobs on the same broker."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        subscriber: Subscriber,
        token: str,
        clock: MovableClock,
        settings: Settings,
        jobs: Jobs,
    ) -> None:
        super().__init__(http, token)
        self.subscriber, self.clock, self.settings, self.jobs = subscriber, clock, settings, jobs

    async def create(self, **input: Any) -> Any:
        return (await self.data(CREATE, {"input": order_input(**input)}))["detailOrderCreate"]

    async def preview(self, **input: Any) -> Any:
        return (await self.data(PREVIEW, {"input": order_input(**input)}))["detailOrderPreview"]

    async def order(self, order_id: str) -> Any:
        return (await self.data(NODE, {"id": order_id}))["node"]

    async def wait_for(self, order_id: str, *statuses: str, timeout_s: float = 60) -> Any:
        """The order once its status is one of ``statuses``; another final one fails at once."""
        final = {"READY", "FAILED", "CANCELED", "EXPIRED"} - set(statuses)

        async def reached() -> Any:
            order = await self.order(order_id)
            assert order["status"] not in final, order
            return order if order["status"] in statuses else None

        return await eventually(reached, timeout_s=timeout_s, explain=f"order {order_id} waits")

    async def wait_for_delivery(self, order_id: str, *statuses: str) -> Any:
        """The order once its delivery status is one of ``statuses``."""

        async def reached() -> Any:
            order = await self.order(order_id)
            return order if order["deliveryStatus"] in statuses else None

        return await eventually(reached, explain=f"order {order_id}: delivery waits")

    async def expenses_total(self) -> Decimal:
        data = await self.data(EXPENSES, {"p": OCTOBER})
        return Decimal(data["viewer"]["expenses"]["total"]["amount"])

    async def download(self, url: str) -> httpx.Response:
        return await self.http.get(url.replace(self.settings.public_url, ""))


def order_input(**given: Any) -> dict[str, Any]:
    return {"period": OCTOBER, "format": "CSV", "delivery": "ARCHIVE", **given}


async def open_ordering(
    settings: Settings, subscriber: Subscriber, clock: MovableClock, jobs: Jobs
) -> AsyncIterator[Ordering]:
    app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
    async with asgi_http(app, settings.public_url) as http:
        token = await GraphQL(http).sign_in(subscriber.msisdn, PASSWORD)
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
    # A test's worker gives an actor still running at the end 20 s, not production's 10
    # minutes (an email render left mid-way once stalled a run for the whole 10; see
    # docs/decisions.md, "Test suite").
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async for opened in open_ordering(settings, subscriber, clock, jobs):
            yield opened
    jobs.broker.close()
