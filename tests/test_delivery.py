"""Email delivery of a ready report: a real SMTP server on loopback (aiosmtpd) reads what came."""

from __future__ import annotations

import asyncio
import email
from datetime import timedelta
from email.policy import default
from pathlib import Path

import pytest

from detalka.adapters.mailer import SmtpMailer
from detalka.adapters.storage import FileStorage
from detalka.models import DetailOrder, EmailDelivery
from detalka.resolvers import delivery
from detalka.resolvers.delivery import MailSetup, Outcome, RetryLater, deliver_order
from detalka.settings import Settings
from tests.client import free_port
from tests.factories import NOW, MovableClock
from tests.mail import Inbox
from tests.ordering import Ordering, pk_of, working


async def test_an_email_order_arrives_once_with_its_file_even_when_the_actor_runs_twice(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, inbox = mailing
    # given an XLSX order by email
    created = await ordering.create(delivery="EMAIL", email="anna@example.com", format="XLSX")
    assert created["order"]["deliveryStatus"] == "PENDING"
    # when it is rendered and sent
    sent = await ordering.wait_for_delivery(created["order"]["id"], "SENT", "FAILED")
    assert sent["deliveryStatus"] == "SENT" and sent["status"] == "READY"
    # and the delivery message arrives twice more (a redelivery, the reaper)
    order_id = pk_of(sent["id"])
    ordering.jobs.deliver.send(order_id)
    ordering.jobs.deliver.send(order_id)
    await asyncio.to_thread(ordering.jobs.broker.join, ordering.jobs.deliver.queue_name)
    # then exactly one email came, with the very file of the archive attached
    assert len(inbox.messages) == 1
    (message,) = inbox.messages
    assert message["To"] == "anna@example.com"
    assert ordering.subscriber.msisdn in str(message["Subject"])
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and "Файл во вложении" in plain.get_content()
    (attachment,) = list(message.iter_attachments())
    downloaded = await ordering.download(sent["document"]["downloadUrl"])
    assert attachment.get_filename() == sent["document"]["fileName"]
    assert attachment.get_content() == downloaded.content
    row = await EmailDelivery.get(order_id=order_id)
    assert row.attempts == 1 and row.sent_at is not None


async def test_a_refused_address_fails_the_delivery_with_a_reason(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, inbox = mailing
    created = await ordering.create(delivery="EMAIL", email="ghost@refused.example")
    failed = await ordering.wait_for_delivery(created["order"]["id"], "FAILED", "SENT")
    assert failed["deliveryStatus"] == "FAILED"
    assert failed["status"] == "READY"  # the file is still in the archive
    row = await DetailOrder.get(id=pk_of(failed["id"]))
    assert row.delivery_error is not None and "ghost@refused.example" in row.delivery_error
    assert inbox.messages == []


async def _ready_email_order(ordering: Ordering) -> int:
    # Rendered by the worker; its own delivery attempt is what the test controls instead.
    created = await ordering.create(delivery="EMAIL", email="anna@example.com")
    order_id = pk_of(created["order"]["id"])
    await ordering.wait_for(created["order"]["id"], "READY")
    # The render sends the email's message after READY is committed: let it finish first,
    # or the message can arrive after the join and send the email the test takes over.
    await asyncio.to_thread(ordering.jobs.broker.join, ordering.jobs.render.queue_name)
    await asyncio.to_thread(ordering.jobs.broker.join, ordering.jobs.deliver.queue_name)
    await EmailDelivery.filter(order_id=order_id).delete()
    await DetailOrder.filter(id=order_id).update(delivery_status="PENDING", delivery_error=None)
    return order_id


def _setup(ordering: Ordering, url: str) -> MailSetup:
    return MailSetup(
        mailer=SmtpMailer(url, timeout_s=2),
        storage=FileStorage(ordering.settings.files_dir),
        sender="Детализация <no-reply@detalka.test>",
        public_url=ordering.settings.public_url,
    )


async def _quiet(*_: int) -> None:
    return None


async def test_a_server_that_is_away_is_retried_then_the_email_goes_once(
    mailing: tuple[Ordering, Inbox], smtp: tuple[Inbox, str]
) -> None:
    ordering, inbox = mailing
    order_id = await _ready_email_order(ordering)
    inbox.messages.clear()
    # when the SMTP server is away, the attempt asks for a retry and nothing is settled
    away = _setup(ordering, f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(RetryLater):
        await deliver_order(order_id, away, MovableClock(NOW), _quiet)
    assert (await DetailOrder.get(id=order_id)).delivery_status == "PENDING"
    assert (await EmailDelivery.get(order_id=order_id)).last_error
    # then the retry reaches the server, and one more run sends nothing
    up = _setup(ordering, smtp[1])
    assert await deliver_order(order_id, up, MovableClock(NOW), _quiet) == Outcome.SENT
    assert await deliver_order(order_id, up, MovableClock(NOW), _quiet) == Outcome.NOT_DUE
    await DetailOrder.filter(id=order_id).update(delivery_status="PENDING")
    assert await deliver_order(order_id, up, MovableClock(NOW), _quiet) == Outcome.ALREADY_SENT
    assert len(inbox.messages) == 1
    assert (await DetailOrder.get(id=order_id)).delivery_status == "SENT"


async def test_after_the_last_attempt_the_delivery_fails_with_a_reason(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, _ = mailing
    order_id = await _ready_email_order(ordering)
    away = _setup(ordering, f"smtp://127.0.0.1:{free_port()}")
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(RetryLater):
            await deliver_order(order_id, away, MovableClock(NOW), _quiet)
    assert await deliver_order(order_id, away, MovableClock(NOW), _quiet) == Outcome.FAILED
    row = await DetailOrder.get(id=order_id)
    assert row.delivery_status == "FAILED" and row.delivery_error
    assert "архиве" in row.delivery_error


async def test_two_workers_at_once_send_one_email(
    mailing: tuple[Ordering, Inbox], smtp: tuple[Inbox, str]
) -> None:
    ordering, inbox = mailing
    order_id = await _ready_email_order(ordering)
    inbox.messages.clear()
    inbox.delay_s = 0.5  # the first sender is still talking to the server
    up = _setup(ordering, smtp[1])
    outcomes = await asyncio.gather(
        deliver_order(order_id, up, MovableClock(NOW), _quiet),
        deliver_order(order_id, up, MovableClock(NOW), _quiet),
    )
    assert sorted(outcomes) == sorted([Outcome.SENT, Outcome.BUSY])
    assert len(inbox.messages) == 1


async def test_a_lost_delivery_message_is_resent_by_the_reaper(
    mailing: tuple[Ordering, Inbox],
) -> None:
    ordering, _ = mailing
    order_id = await _ready_email_order(ordering)
    ready_at = (await DetailOrder.get(id=order_id)).ready_at
    assert ready_at is not None
    # a message lost before any attempt (a broker that restarted empty) is re-sent soon
    assert order_id not in await delivery.deliveries_to_resend(ready_at + timedelta(seconds=10))
    assert order_id in await delivery.deliveries_to_resend(ready_at + timedelta(minutes=1))
    # one whose attempts have begun is left to the retries' backoff for an hour
    await EmailDelivery.create(
        order_id=order_id, recipient="anna@example.com", message_id=f"lost-{order_id}", attempts=1
    )
    assert order_id not in await delivery.deliveries_to_resend(ready_at + timedelta(minutes=30))
    assert order_id in await delivery.deliveries_to_resend(ready_at + timedelta(hours=2))


async def test_without_smtp_the_email_is_written_to_the_outbox(
    db: Settings, tmp_path: Path
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path, "smtp_url": None})
    async with working(settings) as ordering:
        created = await ordering.create(delivery="EMAIL", email="anna@example.com")
        await ordering.wait_for_delivery(created["order"]["id"], "SENT")
    (written,) = list((tmp_path / "outbox" / "mail").glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=default)
    assert message["To"] == "anna@example.com"
    assert len(list(message.iter_attachments())) == 1  # type: ignore[attr-defined]
