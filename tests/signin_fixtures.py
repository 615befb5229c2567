"""Building blocks for sign-in tests: a movable clock, a known captcha, a subscriber."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from detalka.adapters.captchas import CaptchaChallenge, render_png_data_url
from detalka.models import Region, Subscriber, Tariff
from detalka.passwords import hash_password


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


async def make_subscriber(
    password: str | None = "correct-horse", region: str = "MOW"
) -> Subscriber:
    home, _ = await Region.get_or_create(
        code=region, defaults={"name": "Москва", "time_zone": "Europe/Moscow"}
    )
    tariff, _ = await Tariff.get_or_create(
        name="Тестовый",
        defaults={
            "monthly_fee": "300.00",
            "minute_price": "2.00",
            "sms_price": "2.00",
            "mms_price": "7.00",
            "megabyte_price": "1.00",
        },
    )
    return await Subscriber.create(
        msisdn=unique_msisdn(),
        full_name="Иванов Иван Иванович",
        home_region=home,
        tariff=tariff,
        password_hash=hash_password(password) if password else None,
        activated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def sms_outbox(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_sms_password(data_dir: Path, msisdn: str) -> str:
    texts = [m["text"] for m in sms_outbox(data_dir) if m["to"] == msisdn]
    assert texts, f"no SMS to {msisdn}"
    match = re.search(r"Пароль для входа в Детальку: (\S+)\.", texts[-1])
    assert match, texts[-1]
    return match.group(1)
