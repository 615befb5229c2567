"""Test data: subscribers, their tariffs and history, written in bulk; a movable clock and a
captcha whose answer the test knows.

A password's argon2id hash costs tens of milliseconds by design (OWASP minimum); fixtures hash
each distinct password once per session (:func:`password_hash`). What the hashing itself does
is proven where it matters: ``tests/test_sign_in_passwords.py`` hashes for real, and every
sign-in still verifies with argon2 as production does.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from detalka.adapters.captchas import CaptchaChallenge, render_png_data_url
from detalka.models import (
    Balance,
    DetailOrder,
    PackageAllowance,
    Payment,
    Region,
    Subscriber,
    Tariff,
    UsageRecord,
)
from detalka.passwords import hash_password

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
# The password of subscriber_with_history's subscribers.
PASSWORD = "orders-password"
MOSCOW = ("MOW", "Москва", "Europe/Moscow")


@dataclass
class MovableClock:
    current: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class KnownCaptcha:
    """A real captcha picture whose answer the test knows (a person would read it)."""

    answer = "K7PQ3"

    def create(self) -> CaptchaChallenge:
        return CaptchaChallenge(self.answer, render_png_data_url(self.answer))


def unique_msisdn() -> str:
    return "+79" + str(uuid.uuid4().int)[:9]


@functools.cache
def password_hash(password: str) -> str:
    """A real argon2id hash of ``password``, computed once per test session."""
    return hash_password(password)


async def make_region(
    code: str = "MOW", name: str | None = None, zone: str | None = None
) -> Region:
    """The region ``code``, created when missing (Moscow's name and zone unless given)."""
    defaults = {
        "name": name or ("Москва" if code == "MOW" else code),
        "time_zone": zone or "Europe/Moscow",
    }
    region, _ = await Region.get_or_create(code=code, defaults=defaults)
    return region


async def make_tariff(
    name: str | None = None,
    *,
    monthly_fee: str = "300.00",
    minute_price: str = "2.00",
    sms_price: str = "2.00",
    mms_price: str = "7.00",
    megabyte_price: str = "1.00",
    packages: list[dict[str, Any]] | None = None,
) -> Tariff:
    """A new tariff (a unique name unless given: then an existing one is reused)."""
    prices: dict[str, Any] = {
        "monthly_fee": Decimal(monthly_fee),
        "minute_price": Decimal(minute_price),
        "sms_price": Decimal(sms_price),
        "mms_price": Decimal(mms_price),
        "megabyte_price": Decimal(megabyte_price),
    }
    if name is None:
        tariff = await Tariff.create(name=f"Тариф {uuid.uuid4().hex[:8]}", **prices)
    else:
        tariff, _ = await Tariff.get_or_create(name=name, defaults=prices)
    if packages:
        await PackageAllowance.bulk_create(
            [PackageAllowance(tariff=tariff, **package) for package in packages]
        )
    return tariff


async def make_subscriber(
    password: str | None = "correct-horse",
    region: str | Region = "MOW",
    *,
    tariff: Tariff | None = None,
    full_name: str = "Иванов Иван Иванович",
    email: str | None = None,
) -> Subscriber:
    """A subscriber with a fresh number, active since 2024 (no password when ``None``)."""
    home = region if isinstance(region, Region) else await make_region(region)
    return await Subscriber.create(
        msisdn=unique_msisdn(),
        full_name=full_name,
        home_region=home,
        tariff=tariff or await make_tariff("Тестовый"),
        email=email,
        password_hash=password_hash(password) if password else None,
        activated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def usage(subscriber_id: int, at: datetime, cost: str, kind: str = "CALL", **extra: Any) -> Any:
    """An unsaved usage record (for ``UsageRecord.bulk_create``)."""
    values: dict[str, Any] = {"description": "Исходящий звонок", **extra}
    return UsageRecord(
        subscriber_id=subscriber_id, occurred_at=at, kind=kind, cost=Decimal(cost), **values
    )


async def subscriber_with_history() -> Subscriber:
    """A Moscow subscriber (``PASSWORD``) with a balance, 120 October charges, one charge just
    before October and two payments, all written in bulk."""
    tariff = await make_tariff(monthly_fee="500.00")
    subscriber = await make_subscriber(
        PASSWORD, tariff=tariff, full_name="Смирнов Пётр Ильич", email="petr@example.com"
    )
    await Balance.create(
        subscriber=subscriber, kind="MAIN", name="Основной", amount=Decimal("321.09")
    )
    start = datetime(2026, 9, 30, 21, 0, tzinfo=UTC)  # 1 October, 00:00 in Moscow
    kinds = ["CALL", "SMS", "DATA", "ONE_TIME"]
    records = []
    for i in range(120):
        kind = kinds[i % 4]
        voice_or_text = kind in {"CALL", "SMS"}
        records.append(
            usage(
                subscriber.id,
                start + timedelta(hours=6 * i),
                f"{i % 9}.{i % 100:02d}",
                kind,
                direction="OUT" if voice_or_text else None,
                counterparty="+79161234567" if voice_or_text else None,
                duration_s=95 if kind == "CALL" else None,
                volume_kb=4096 if kind == "DATA" else None,
                description='=HYPERLINK("http://evil")' if i == 3 else "Исходящий вызов",
            )
        )
    before = usage(subscriber.id, start - timedelta(minutes=1), "1000.00", description="До периода")
    await UsageRecord.bulk_create([*records, before])
    await Payment.bulk_create(
        [
            Payment(
                subscriber=subscriber,
                occurred_at=start + timedelta(days=day),
                amount=Decimal("300.00"),
                method="CARD",
                description="Пополнение картой",
            )
            for day in (3, 17)
        ]
    )
    return subscriber


async def october_order(subscriber: Subscriber, **given: object) -> DetailOrder:
    """A PENDING CSV order of ``subscriber``'s October (calls and summary, to the archive),
    placed directly; ``given`` overrides any field."""
    values: dict[str, object] = {
        "subscriber_id": subscriber.id,
        "region_id": subscriber.home_region_id,
        "period_from": NOW.date().replace(month=10, day=1),
        "period_to": NOW.date().replace(month=10, day=31),
        "format": "CSV",
        "delivery": "ARCHIVE",
        "sections": ["CALLS", "SUMMARY"],
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(given)
    return await DetailOrder.create(**values)
