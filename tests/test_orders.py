"""Detail orders end to end: review, place, a real Dramatiq worker renders, download, expire."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from detalka.adapters.storage import FileStorage
from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import (
    DetailOrder,
    Document,
    IdempotencyKey,
    Store,
    Subscriber,
)
from detalka.resolvers.rendering import orders_to_resend, purge_expired_documents
from detalka.settings import Settings
from tests.factories import NOW, MovableClock, make_region, subscriber_with_history
from tests.ordering import (
    CANCEL,
    NODE,
    ORDER_FIELDS,
    Ordering,
    global_id,
    open_ordering,
    order_input,
    pk_of,
    working,
)


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    """A subscriber with October history, the API, and a real worker on the stub broker."""
    async with working(db.model_copy(update={"data_dir": tmp_path})) as opened:
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
    far = await make_region("PRI", "Приморский край", "Asia/Vladivostok")
    away = await Store.create(
        region=far, name=f"Салон {uuid.uuid4().hex[:6]}", address="Владивосток"
    )
    home = await Store.create(
        region_id=ordering.subscriber.home_region_id,  # type: ignore[call-arg]
        name=f"Салон {uuid.uuid4().hex[:6]}",
        address="Москва, Тверская, 1",
    )
    away_id = global_id("Store", away.id)
    errors = (await ordering.preview(delivery="PAPER", storeId=away_id))["userErrors"]
    assert [e["code"] for e in errors] == ["STORE_OUTSIDE_HOME_REGION"]
    created = await ordering.create(
        delivery="PAPER", format="XLSX", storeId=global_id("Store", home.id)
    )
    order = created["order"]
    assert order["format"] == "PDF" and order["store"]["address"] == "Москва, Тверская, 1"
    done = await ordering.wait_for(order["id"], "READY")
    assert done["deliveryStatus"] == "AT_STORE"
    assert done["store"]["name"] == home.name
    # and the print-ready PDF names the store that hands it over
    from pypdf import PdfReader

    response = await ordering.download(done["document"]["downloadUrl"])
    first_page = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Выдача в салоне" in first_page
    assert f"{home.name}, Москва, Тверская, 1" in first_page.replace("\n", " ")


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
    result = (await ordering.data(CANCEL, {"id": ready["id"]}))["detailOrderCancel"]
    assert [e["code"] for e in result["userErrors"]] == ["NOTHING_TO_CANCEL"]


async def test_a_pending_order_canceled_before_the_worker_gets_it_stays_canceled(
    db: Settings, tmp_path: Path
) -> None:
    # given no worker running yet
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async for ordering in open_ordering(settings, subscriber, clock, jobs):
        order = (await ordering.create())["order"]
        canceled = (await ordering.data(CANCEL, {"id": order["id"]}))["detailOrderCancel"]
        assert canceled["order"]["status"] == "CANCELED"
        # when a worker starts and takes the message
        async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
            # join blocks: off the event loop, which the worker's actors do not need anyway
            await asyncio.to_thread(jobs.broker.join, jobs.render.queue_name)  # type: ignore[attr-defined]
        # then it stays canceled, with no document
        assert (await ordering.order(order["id"]))["status"] == "CANCELED"
        assert await Document.filter(order_id=pk_of(order["id"])).count() == 0


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
    row = await Document.get(order_id=pk_of(order["id"]))
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
    assert (await DetailOrder.get(id=pk_of(order["id"]))).status == "EXPIRED"
    assert (await ordering.download(url)).status_code == 410


async def test_a_message_lost_between_commit_and_send_is_resent_by_the_reaper(
    db: Settings, tmp_path: Path
) -> None:
    # given a broker that fails the first send
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    real_send = jobs.enqueue_render

    async def broken_send(order_id: int) -> None:
        raise ConnectionError("broker down")

    jobs.enqueue_render = broken_send  # type: ignore[method-assign]
    subscriber = await subscriber_with_history()
    async for ordering in open_ordering(settings, subscriber, clock, jobs):
        order = (await ordering.create())["order"]
        assert order["status"] == "PENDING"
        jobs.enqueue_render = real_send  # type: ignore[method-assign]
        # when the reaper runs after the grace period (of an order never sent: 10 s)
        assert await orders_to_resend(clock.now()) == []
        clock.advance(seconds=11)
        assert pk_of(order["id"]) in await orders_to_resend(clock.now())
        # (async: the reaper re-sends other tests' stale orders too, and a worker stopped
        # by a blocking join would wait forever on an actor that needs this event loop)
        async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
            jobs.reap.send()
            # then the order is rendered after all
            assert (await ordering.wait_for(order["id"], "READY"))["document"] is not None


async def test_another_subscriber_never_sees_this_order(ordering: Ordering) -> None:
    order = (await ordering.create())["order"]
    other = await subscriber_with_history()
    async for stranger in open_ordering(ordering.settings, other, ordering.clock, ordering.jobs):
        assert (await stranger.data(NODE, {"id": order["id"]}))["node"] is None
        result = (await stranger.data(CANCEL, {"id": order["id"]}))["detailOrderCancel"]
        assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]


# --- the real broker ----------------------------------------------------------------------


async def test_an_order_is_rendered_through_the_redis_broker(
    db: Settings, tmp_path: Path, redis_url: str
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path, "broker_url": redis_url})
    async with working(settings) as ordering:
        order = (await ordering.create(format="CSV"))["order"]
        ready = await ordering.wait_for(order["id"], "READY")
        assert (await ordering.download(ready["document"]["downloadUrl"])).status_code == 200


EVERY_FIELD = f"""{ORDER_FIELDS} createdAt updatedAt readyAt expiresAt
  period {{ from to timeZone }} store {{ id name address region {{ code name }} }}"""
CREATE_EVERY = f"""mutation($input: DetailOrderInput!) {{
  detailOrderCreate(input: $input) {{ order {{ {EVERY_FIELD} }} userErrors {{ code }} }} }}"""
READ_EVERY = f"query($id: ID!) {{ node(id: $id) {{ ... on DetailOrder {{ {EVERY_FIELD} }} }} }}"


async def test_a_placed_order_answers_as_a_read_of_it_does(db: Settings, tmp_path: Path) -> None:
    # given the API without a worker, so each order stays as it was placed
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    store = await Store.create(
        region_id=subscriber.home_region_id,  # type: ignore[call-arg]
        name=f"Салон {uuid.uuid4().hex[:6]}",
        address="Москва, Тверская, 1",
    )
    async for opened in open_ordering(settings, subscriber, clock, jobs):
        for given in (
            {"format": "CSV"},
            {"format": "HTML", "delivery": "EMAIL", "email": "petr@example.com"},
            {"delivery": "PAPER", "storeId": global_id("Store", store.id), "sections": ["CALLS"]},
            {"format": "XLSX", "idempotencyKey": "once"},
            {"format": "XLSX", "idempotencyKey": "once"},  # the same order again
        ):
            # when it is placed
            data = await opened.data(CREATE_EVERY, {"input": order_input(**given)})
            created = data["detailOrderCreate"]
            assert created["userErrors"] == []
            # then the mutation's answer is what reading the order gives
            read = await opened.data(READ_EVERY, {"id": created["order"]["id"]})
            assert created["order"] == read["node"]
            assert created["order"]["status"] == "PENDING"
    # Never rendered: canceled, so no later test's reaper sends them to its worker.
    await DetailOrder.filter(subscriber_id=subscriber.id, status="PENDING").update(
        status="CANCELED"
    )
    jobs.broker.close()
