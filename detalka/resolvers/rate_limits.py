"""Fixed-window counters in the database (shared by every API process), and the purge of
sign-in state that has served its time."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from detalka.models import Captcha, PasswordChallenge, RateCounter, Session, SignInThrottle

CAPTCHA_WINDOW = timedelta(minutes=1)
SIGN_IN_FAILURE_WINDOW = timedelta(minutes=15)
# PasswordChallenge rows count toward "3 SMS an hour": kept an hour, then purged.
CHALLENGE_KEPT = timedelta(hours=1)


async def take(key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one hit on ``key``; False (and nothing counted) when ``limit`` hits were taken
    in its current window. A conditional increment, so concurrent hits cannot pass it."""
    await RateCounter.filter(key=key, window_ends__lte=now).delete()
    try:
        await RateCounter.get_or_create(key=key, defaults={"hits": 0, "window_ends": now + window})
    except IntegrityError:  # made by a concurrent hit
        pass
    taken = await RateCounter.filter(key=key, hits__lt=limit, window_ends__gt=now).update(
        hits=F("hits") + 1
    )
    return bool(taken)


async def exhausted(key: str, limit: int, now: datetime) -> bool:
    """``limit`` hits were counted on ``key`` in its current window."""
    return await RateCounter.filter(key=key, hits__gte=limit, window_ends__gt=now).exists()


async def purge_sign_in_state(now: datetime) -> dict[str, int]:
    """Delete what no rule reads any more; the counts by kind, for the log."""
    return {
        "captchas": await Captcha.filter(expires_at__lt=now).delete(),
        "sessions": await Session.filter(Q(expires_at__lt=now) | Q(revoked_at__lt=now)).delete(),
        "challenges": await PasswordChallenge.filter(
            created_at__lt=now - CHALLENGE_KEPT, expires_at__lt=now
        ).delete(),
        # A lock that is over, or a number whose failures a success has reset.
        "throttles": await SignInThrottle.filter(
            Q(locked_until__lt=now) | Q(failures=0, locked_until=None)
        ).delete(),
        "counters": await RateCounter.filter(window_ends__lte=now).delete(),
    }
