"""Detail orders end to end: review, place, a real Dramatiq worker renders, download, expire."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import redis

from detalka.adapters.storage import FileStorage
from detalka.jobs.actors import Jobs, create_jobs
from detalka.jobs.rendering import orders_to_resend, purge_expired_documents
from detalka.jobs.runtime import WorkerProcess
from detalka.models import (
    Balance,
    DetailOrder,
    Document,
    IdempotencyKey,
    Payment,
    Region,
    Store,
    Subscriber,
    Tariff,
    UsageRecord,
)
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
        return (await self.call(CREATE, {"input": _input(**input)}))["detailOrderCreate"]

    async def preview(self, **input: Any) -> Any:
        return (await self.call(PREVIEW, {"input": _input(**input)}))["detailOrderPreview"]

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


def _input(**given: Any) -> dict[str, Any]:
    return {"period": OCTOBER, "format": "CSV", "delivery": "ARCHIVE", **given}


async def _subscriber_with_history() -> Subscriber:
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


async def _open(
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


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    """A subscriber with October history, the API, and a real worker on the stub broker."""
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = create_jobs(settings, clock)
    subscriber = await _subscriber_with_history()
    with WorkerProcess(jobs.broker):
        async for opened in _open(settings, subscriber, clock, jobs):
            yield opened


# --- every format, end to end -----------------------------------------------------------


def _money(text: str) -> Decimal:
    return Decimal(text.replace("\u00a0", "").replace(" ", "").replace(",", ".").replace("₽", ""))


async def test_a_csv_order_is_rendered_and_its_totals_equal_expenses(ordering: Ordering) -> None:
    # given an order for October in CSV
    created = await ordering.create(format="CSV")
    assert created["userErrors"] == []
    order = created["order"]
    assert order["status"] in {"PENDING", "RENDERING", "READY"}
    # when the worker has rendered it
    ready = await ordering.wait_for(order["id"], "READY")
    document = ready["document"]
    response = await ordering.download(document["downloadUrl"])
    # then the file is the CSV it claims, and its totals are the expenses of the period
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert len(response.content) == document["sizeBytes"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    total_rows = [r for r in rows if r and r[0] == "Итого расходов"]
    assert total_rows, rows[:20]
    assert Decimal(total_rows[0][1]) == await ordering.expenses_total()
    assert any("+79161234567" in r for r in rows)
    assert any(cell.startswith("'=HYPERLINK") for r in rows for cell in r)
    assert ready["rowCount"] >= 120 and ready["progress"] == 1.0


async def test_an_xlsx_order_opens_in_openpyxl_with_the_same_totals(ordering: Ordering) -> None:
    import openpyxl

    order = (await ordering.create(format="XLSX"))["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    response = await ordering.download(ready["document"]["downloadUrl"])
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    labels = [i for i, c in enumerate(cells) if c.value == "Итого расходов"]
    assert labels
    total = cells[labels[0] + 1].value
    assert Decimal(str(total)).quantize(Decimal("0.01")) == await ordering.expenses_total()
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPER")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    phones = [c for c in cells if c.value == "+79161234567"]
    assert phones and all(c.data_type == "s" for c in phones)


async def test_a_pdf_order_has_the_header_and_the_total_in_cyrillic(ordering: Ordering) -> None:
    from pypdf import PdfReader

    order = (await ordering.create(format="PDF"))["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    response = await ordering.download(ready["document"]["downloadUrl"])
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert ordering.subscriber.msisdn in text
    assert "Europe/Moscow" in text
    total = await ordering.expenses_total()
    human = f"{total:,.2f}".replace(",", " ").replace(".", ",")
    assert human in text.replace("\u00a0", " ")


async def test_an_html_order_is_one_printable_page_with_a_chart(ordering: Ordering) -> None:
    from lxml import html

    order = (await ordering.create(format="HTML"))["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    response = await ordering.download(ready["document"]["downloadUrl"])
    assert response.headers["content-type"].startswith("text/html")
    page = html.fromstring(response.content)
    assert page.xpath("//svg | //*[local-name()='svg']")
    assert not page.xpath("//script[@src] | //link[@href] | //img[@src]")
    text = page.text_content().replace("\u00a0", " ")
    total = await ordering.expenses_total()
    assert f"{total:,.2f}".replace(",", " ").replace(".", ",") in text


# --- the rules of an order --------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"period": {"from": "2026-10-31", "to": "2026-10-01"}}, "PERIOD_REVERSED", "from"),
        ({"period": {"from": "2026-11-01", "to": "2026-11-25"}}, "PERIOD_IN_FUTURE", "to"),
        ({"period": {"from": "2023-01-01", "to": "2023-02-01"}}, "PERIOD_BEFORE_HORIZON", "from"),
        ({"sections": []}, "NO_SECTIONS", "sections"),
        ({"delivery": "EMAIL", "email": "not-an-address"}, "EMAIL_INVALID", "email"),
        ({"delivery": "PAPER"}, "STORE_REQUIRED", "storeId"),
        ({"delivery": "PAPER", "storeId": "U3RvcmU6OTk5OTk5"}, "STORE_NOT_FOUND", "storeId"),
    ],
)
async def test_each_rule_is_a_user_error_with_its_own_code(
    ordering: Ordering, given: dict[str, Any], code: str, field: str
) -> None:
    for payload in (await ordering.preview(**given), await ordering.create(**given)):
        errors = payload["userErrors"]
        assert [e["code"] for e in errors] == [code]
        assert errors[0]["field"][-1] == field
        assert errors[0]["message"]
    assert await DetailOrder.filter(subscriber_id=ordering.subscriber.id).count() == 0


async def test_an_email_order_needs_an_address_given_or_on_file(ordering: Ordering) -> None:
    await Subscriber.filter(id=ordering.subscriber.id).update(email=None)
    assert [e["code"] for e in (await ordering.preview(delivery="EMAIL"))["userErrors"]] == [
        "EMAIL_REQUIRED"
    ]
    await Subscriber.filter(id=ordering.subscriber.id).update(email="petr@example.com")
    preview = (await ordering.preview(delivery="EMAIL"))["preview"]
    assert preview["email"] == "petr@example.com"


async def test_paper_is_only_for_a_store_in_the_home_region(ordering: Ordering) -> None:
    far, _ = await Region.get_or_create(
        code="PRI", defaults={"name": "Приморский край", "time_zone": "Asia/Vladivostok"}
    )
    away = await Store.create(
        region=far, name=f"Салон {uuid.uuid4().hex[:6]}", address="Владивосток"
    )
    home = await Store.create(
        region_id=ordering.subscriber.home_region_id,  # type: ignore[call-arg]
        name=f"Салон {uuid.uuid4().hex[:6]}",
        address="Москва, Тверская, 1",
    )
    away_id = _global("Store", away.id)
    errors = (await ordering.preview(delivery="PAPER", storeId=away_id))["userErrors"]
    assert [e["code"] for e in errors] == ["STORE_OUTSIDE_HOME_REGION"]
    created = await ordering.create(
        delivery="PAPER", format="XLSX", storeId=_global("Store", home.id)
    )
    order = created["order"]
    assert order["format"] == "PDF" and order["store"]["address"] == "Москва, Тверская, 1"
    done = await ordering.wait_for(order["id"], "READY")
    assert done["deliveryStatus"] == "AT_STORE"


async def test_a_preview_normalises_and_estimates_and_saves_nothing(ordering: Ordering) -> None:
    preview = (await ordering.preview(sections=["PAYMENTS", "CALLS", "CALLS"], format="XLSX"))[
        "preview"
    ]
    assert preview["sections"] == ["CALLS", "PAYMENTS"]
    assert preview["estimatedRows"] == 30 + 2
    assert await DetailOrder.filter(subscriber_id=ordering.subscriber.id).count() == 0


# --- idempotency and cancel -------------------------------------------------------------


async def test_the_same_idempotency_key_gives_the_same_order_even_fifty_at_once(
    ordering: Ordering,
) -> None:
    results = await asyncio.gather(*(ordering.create(idempotencyKey="key-1") for _ in range(50)))
    ids = {r["order"]["id"] for r in results}
    assert len(ids) == 1
    assert await DetailOrder.filter(subscriber_id=ordering.subscriber.id).count() == 1
    reused = await ordering.create(idempotencyKey="key-1", format="PDF")
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    # a key is kept 24 hours (aged here rather than by the clock: a session lasts only 12)
    await IdempotencyKey.filter(key="key-1").update(created_at=NOW - timedelta(hours=24, seconds=1))
    fresh = await ordering.create(idempotencyKey="key-1", format="PDF")
    assert fresh["userErrors"] == [] and fresh["order"]["id"] not in ids


async def test_only_an_unfinished_order_can_be_canceled(ordering: Ordering) -> None:
    order = (await ordering.create())["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    result = (await ordering.call(CANCEL, {"id": ready["id"]}))["detailOrderCancel"]
    assert [e["code"] for e in result["userErrors"]] == ["NOTHING_TO_CANCEL"]


async def test_a_pending_order_canceled_before_the_worker_gets_it_stays_canceled(
    db: Settings, tmp_path: Path
) -> None:
    # given no worker running yet
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = create_jobs(settings, clock)
    subscriber = await _subscriber_with_history()
    async for ordering in _open(settings, subscriber, clock, jobs):
        order = (await ordering.create())["order"]
        canceled = (await ordering.call(CANCEL, {"id": order["id"]}))["detailOrderCancel"]
        assert canceled["order"]["status"] == "CANCELED"
        # when a worker starts and takes the message
        with WorkerProcess(jobs.broker):
            # join blocks: off the event loop, which the worker's actors do not need anyway
            await asyncio.to_thread(jobs.broker.join, jobs.render.queue_name)  # type: ignore[attr-defined]
        # then it stays canceled, with no document
        assert (await ordering.order(order["id"]))["status"] == "CANCELED"
        assert await Document.filter(order_id=_pk(order["id"])).count() == 0


# --- downloads, expiry and the reaper -----------------------------------------------------


async def test_a_download_names_the_file_in_cyrillic_and_unknown_tokens_are_404(
    ordering: Ordering,
) -> None:
    order = (await ordering.create(format="PDF"))["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    response = await ordering.download(ready["document"]["downloadUrl"])
    disposition = response.headers["content-disposition"]
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert encoded and unquote(encoded.group(1)) == ready["document"]["fileName"]
    assert ready["document"]["fileName"].startswith("Детализация")
    token = ready["document"]["downloadUrl"].rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits, URL-safe base64
    assert (await ordering.http.get("/files/" + "x" * 32)).status_code == 404


async def test_a_document_is_kept_72_hours_then_deleted_and_the_order_expires(
    ordering: Ordering,
) -> None:
    order = (await ordering.create())["order"]
    ready = await ordering.wait_for(order["id"], "READY")
    url = ready["document"]["downloadUrl"]
    row = await Document.get(order_id=_pk(order["id"]))
    path = FileStorage(ordering.settings.files_dir).path(row.storage_key)
    assert path.exists()
    storage = FileStorage(ordering.settings.files_dir)
    # 71 hours on: still there
    ordering.clock.advance(hours=71)
    await purge_expired_documents(storage, ordering.clock.now())
    assert path.exists() and (await Document.get(id=row.id)).deleted_at is None
    assert (await ordering.download(url)).status_code == 200
    # 72 hours on: gone (other tests' documents in the shared database may go too)
    ordering.clock.advance(hours=1)
    assert (await ordering.download(url)).status_code == 410
    assert await purge_expired_documents(storage, ordering.clock.now()) >= 1
    assert not path.exists() and (await Document.get(id=row.id)).deleted_at is not None
    # (the 12-hour session is long over: read the row itself)
    assert (await DetailOrder.get(id=_pk(order["id"]))).status == "EXPIRED"
    assert (await ordering.download(url)).status_code == 410


async def test_a_message_lost_between_commit_and_send_is_resent_by_the_reaper(
    db: Settings, tmp_path: Path
) -> None:
    # given a broker that fails the first send
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = create_jobs(settings, clock)
    real_send = jobs.enqueue_render

    async def broken_send(order_id: int) -> None:
        raise ConnectionError("broker down")

    jobs.enqueue_render = broken_send  # type: ignore[method-assign]
    subscriber = await _subscriber_with_history()
    async for ordering in _open(settings, subscriber, clock, jobs):
        order = (await ordering.create())["order"]
        assert order["status"] == "PENDING"
        jobs.enqueue_render = real_send  # type: ignore[method-assign]
        # when the reaper runs after the grace period
        assert await orders_to_resend(clock.now()) == []
        clock.advance(minutes=3)
        assert _pk(order["id"]) in await orders_to_resend(clock.now())
        with WorkerProcess(jobs.broker):
            jobs.reap.send()
            # then the order is rendered after all
            assert (await ordering.wait_for(order["id"], "READY"))["document"] is not None


async def test_another_subscriber_never_sees_this_order(ordering: Ordering) -> None:
    order = (await ordering.create())["order"]
    other = await _subscriber_with_history()
    async for stranger in _open(ordering.settings, other, ordering.clock, ordering.jobs):
        assert (await stranger.call(NODE, {"id": order["id"]}))["node"] is None
        result = (await stranger.call(CANCEL, {"id": order["id"]}))["detailOrderCancel"]
        assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]


# --- the real broker ----------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("DETALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis is not reachable at {url}: {exc}")
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    redis.Redis.from_url(url).flushdb()
    yield url


async def test_an_order_is_rendered_through_the_redis_broker(
    db: Settings, tmp_path: Path, redis_url: str
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path, "broker_url": redis_url})
    clock = MovableClock(NOW)
    jobs = create_jobs(settings, clock)
    subscriber = await _subscriber_with_history()
    with WorkerProcess(jobs.broker):
        async for ordering in _open(settings, subscriber, clock, jobs):
            order = (await ordering.create(format="CSV"))["order"]
            ready = await ordering.wait_for(order["id"], "READY")
            assert (await ordering.download(ready["document"]["downloadUrl"])).status_code == 200
    jobs.broker.close()


def _global(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _pk(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])
