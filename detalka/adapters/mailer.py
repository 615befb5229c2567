"""Email: ``.eml`` files in the outbox in the embedded mode, an SMTP server in production."""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from email.message import EmailMessage
from html import escape
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

ATTACHMENT_LIMIT = 10 * 1024 * 1024  # bytes; a larger report goes as a link


class TemporaryMailError(Exception):
    """Worth a retry: the server is away or said 4xx."""


class PermanentMailError(Exception):
    """Not worth a retry: the server refused the message or the recipient (5xx)."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class OutboxMailer:
    """Development: each message becomes ``<outbox>/mail/<Message-ID>.eml``, written whole."""

    def __init__(self, outbox_dir: Path) -> None:
        self.directory = outbox_dir / "mail"

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def path_for(self, message: EmailMessage) -> Path:
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        return self.directory / f"{name}.eml"

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.path_for(message)
        partial = final.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, final)  # the same Message-ID twice is the same file, not two


class SmtpMailer:
    """``smtp://user:password@host:port`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    def __init__(self, url: str, timeout_s: float = 30) -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout_s = timeout_s

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TemporaryMailError(f"SMTP {exc.smtp_code}") from exc
            raise PermanentMailError(f"SMTP {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError("recipient refused") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryMailError(f"{type(exc).__name__}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        return smtp


def mailer_for(smtp_url: str | None, outbox_dir: Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else OutboxMailer(outbox_dir)


def report_email(
    *,
    sender: str,
    recipient: str,
    msisdn: str,
    period: str,
    attachment: bytes | None,
    file_name: str,
    content_type: str,
    download_url: str,
    message_key: str,
) -> EmailMessage:
    """The report email in Russian: text and HTML, the file attached up to 10 MB, else a link.

    ``message_key`` makes the Message-ID stable, so a retried send is recognisably the same.
    """
    message = EmailMessage()
    message["Subject"] = f"Детализация счёта {msisdn} за {period}"
    message["From"] = sender
    message["To"] = recipient
    # Stable across retries (make_msgid would add the time and randomness).
    message["Message-ID"] = f"<{message_key}@detalka.local>"
    attach = attachment is not None
    where = "Файл во вложении." if attach else f"Файл больше 10 МБ, скачайте его: {download_url}"
    text = (
        f"Здравствуйте!\n\nДетализация счёта номера {msisdn} за {period} готова. {where}\n"
        "Ссылка действует 72 часа.\n\n"
        "Это письмо отправлено автоматически, отвечать на него не нужно."
    )
    message.set_content(text)
    link = f'<a href="{escape(download_url)}">скачать</a>'
    message.add_alternative(
        f"<p>Здравствуйте!</p><p>Детализация счёта номера {escape(msisdn)} за {escape(period)} "
        "готова. "
        f"{'Файл во вложении.' if attach else 'Файл больше 10 МБ: ' + link + '.'}</p>"
        "<p>Ссылка действует 72 часа.</p>",
        subtype="html",
    )
    if attachment is not None:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(
            attachment,
            maintype=maintype,
            subtype=subtype.split(";")[0],
            filename=file_name,
        )
    return message
