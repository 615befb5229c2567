"""Email adapters: a real SMTP server on loopback (aiosmtpd), and the outbox folder."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from detalka.adapters.mailer import (
    ATTACHMENT_LIMIT,
    OutboxMailer,
    PermanentMailError,
    SmtpMailer,
    TemporaryMailError,
    report_email,
)
from tests.client import free_port
from tests.mail import Inbox


def _report(tmp_path: Path, size: int, recipient: str = "anna@example.com") -> EmailMessage:
    content = b"%PDF-1.4 " + b"x" * (size - 9)
    # the use case reads the file from storage only when it is small enough to attach
    return report_email(
        sender="Детализация <noreply@detalka.example>",
        recipient=recipient,
        msisdn="+79161234567",
        period="01.10.2026–31.10.2026",
        attachment=content if size <= ATTACHMENT_LIMIT else None,
        file_name="Детализация +79161234567 01.10.2026–31.10.2026.pdf",
        content_type="application/pdf",
        download_url="https://detalka.example/files/abc",
        message_key="order-42",
    )


async def test_a_report_arrives_at_the_smtp_server_with_its_attachment(
    smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    await SmtpMailer(url).send(_report(tmp_path, 2048))
    (received,) = inbox.messages
    assert received["Subject"] == "Детализация счёта +79161234567 за 01.10.2026–31.10.2026"
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and "Файл во вложении" in body.get_content()
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_filename() == "Детализация +79161234567 01.10.2026–31.10.2026.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert len(attachment.get_content()) == 2048


def test_the_message_id_is_the_same_for_every_retry(tmp_path: Path) -> None:
    # A retried send must be recognisably the same message (and the same outbox file).
    first, second = _report(tmp_path, 100), _report(tmp_path, 100)
    assert first["Message-ID"] == second["Message-ID"] == "<order-42@detalka.local>"


async def test_a_report_over_ten_megabytes_goes_as_a_link(tmp_path: Path) -> None:
    message = _report(tmp_path, ATTACHMENT_LIMIT + 1)
    assert list(message.iter_attachments()) == []
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and "https://detalka.example/files/abc" in plain.get_content()


async def test_a_refused_recipient_is_a_permanent_error(
    smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    _, url = smtp
    with pytest.raises(PermanentMailError):
        await SmtpMailer(url).send(_report(tmp_path, 100, recipient="ghost@refused.example"))


async def test_a_server_that_is_away_is_a_temporary_error(tmp_path: Path) -> None:
    with pytest.raises(TemporaryMailError):
        await SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout_s=2).send(
            _report(tmp_path, 100)
        )


async def test_the_outbox_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path / "outbox")
    message = _report(tmp_path, 100)
    await outbox.send(message)
    await outbox.send(message)  # a retry of the same message
    files = list((tmp_path / "outbox" / "mail").glob("*.eml"))
    assert files == [outbox.path_for(message)]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert parsed["To"] == "anna@example.com"
