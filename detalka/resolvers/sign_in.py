"""Sign-in use cases: captcha, a password by SMS, sessions, and a permanent password."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from detalka.adapters.captchas import CaptchaChallenge, CaptchaFactory
from detalka.adapters.sms import SmsSender
from detalka.errors import ErrorCode, UserFacingError
from detalka.models import ApiToken, Captcha, PasswordChallenge, Session, SignInThrottle, Subscriber
from detalka.passwords import hash_password, verify_password
from detalka.phone import normalize_msisdn
from detalka.resolvers import rate_limits
from detalka.settings import Settings

CAPTCHA_TTL = timedelta(minutes=5)
SMS_PASSWORD_TTL = timedelta(minutes=10)
SMS_PER_HOUR = 3
FAILURES_BEFORE_LOCK = 5
LOCK_FOR = timedelta(minutes=15)
PASSWORD_MIN, PASSWORD_MAX = 8, 128
# Letters and digits a person will not confuse when typing from an SMS.
SMS_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SMS_PASSWORD_LENGTH = 10

INVALID_CREDENTIALS = UserFacingError(
    ErrorCode.INVALID_CREDENTIALS, "Неверный номер, пароль или регион."
)


@dataclass(frozen=True)
class NewCaptcha:
    id: uuid.UUID
    image_data_url: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime
    subscriber_id: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_msisdn(text: str, field: str = "msisdn") -> str:
    msisdn = normalize_msisdn(text)
    if msisdn is None:
        raise UserFacingError(
            ErrorCode.INVALID_PHONE,
            "Введите мобильный номер России, например +7 916 123-45-67.",
            (field,),
        )
    return msisdn


async def create_captcha(factory: CaptchaFactory, settings: Settings, now: datetime) -> NewCaptcha:
    challenge: CaptchaChallenge = factory.create()
    captcha_id = uuid.uuid4()
    expires_at = now + CAPTCHA_TTL
    await Captcha.create(
        id=captcha_id,
        answer_hash=_captcha_hash(settings, captcha_id, challenge.answer),
        created_at=now,
        expires_at=expires_at,
    )
    return NewCaptcha(captcha_id, challenge.image_data_url, expires_at)


def _captcha_hash(settings: Settings, captcha_id: uuid.UUID, answer: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    message = f"{captcha_id}:{answer.strip().upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def _check_captcha(
    settings: Settings,
    captcha_id: str | None,
    answer: str | None,
    now: datetime,
    *,
    always: bool = False,
) -> None:
    """The captcha was solved (and is now spent). With the captcha disabled (development,
    tests) nothing is asked, unless ``always``: then a live captcha must still be named,
    its answer unchecked, so that a step that needs one keeps its cost in every mode."""
    if settings.captcha == "disabled" and not always:
        return
    wrong = UserFacingError(
        ErrorCode.INVALID_CAPTCHA, "Символы с картинки введены неверно.", ("captchaAnswer",)
    )
    try:
        parsed = uuid.UUID(captcha_id or "")
    except ValueError:
        raise wrong from None
    captcha = await Captcha.get_or_none(id=parsed)
    # Single use: the first answer spends the captcha, right or wrong.
    spent = await Captcha.filter(id=parsed, used_at=None, expires_at__gt=now).update(used_at=now)
    if captcha is None or not spent:
        raise wrong
    if settings.captcha == "disabled":
        return
    if not hmac.compare_digest(captcha.answer_hash, _captcha_hash(settings, parsed, answer or "")):
        raise wrong


async def request_password(
    *,
    msisdn_text: str,
    captcha_id: str | None,
    captcha_answer: str | None,
    settings: Settings,
    enqueue_sms: Callable[[int], Awaitable[None]],
    now: datetime,
) -> None:
    """Ask for a one-time password by SMS. Known and unknown numbers get the same answer.

    The request writes the challenge and sends its id; the ``send_sms`` actor makes the
    password, stores its hash and sends the SMS. So the request does the same work for any
    number, and a slow or failing SMS gateway never holds it up.
    """
    msisdn = parse_msisdn(msisdn_text)
    await _check_captcha(settings, captcha_id, captcha_answer, now)
    sent_lately = await PasswordChallenge.filter(
        msisdn=msisdn, created_at__gt=now - timedelta(hours=1)
    ).count()
    if sent_lately >= SMS_PER_HOUR:
        raise UserFacingError(
            ErrorCode.TOO_MANY_REQUESTS, "Пароль уже отправлялся трижды за час. Попробуйте позже."
        )
    subscriber = await Subscriber.get_or_none(msisdn=msisdn)
    challenge = await PasswordChallenge.create(
        msisdn=msisdn,
        subscriber=subscriber,
        code_hash=None,
        created_at=now,
        expires_at=now + SMS_PASSWORD_TTL,
    )
    await SignInThrottle.filter(msisdn=msisdn).update(failures=0, locked_until=None)
    try:
        await enqueue_sms(challenge.id)
    except Exception:  # the broker is away: this request did not count, say so
        await PasswordChallenge.filter(id=challenge.id).delete()
        raise UserFacingError(
            ErrorCode.SMS_UNAVAILABLE, "Не удалось отправить SMS. Попробуйте через минуту."
        ) from None


async def send_challenge_sms(challenge_id: int, sms: SmsSender, now: datetime) -> bool:
    """The ``send_sms`` actor's body. True when an SMS went out.

    Idempotent: the password is made and its hash stored by a conditional update, so a
    repeated message sends nothing. When the gateway fails, the hash is cleared again and
    the error raised, so that the broker's retry makes a fresh password and sends it.
    """
    challenge = await PasswordChallenge.get_or_none(id=challenge_id)
    if (
        challenge is None
        or challenge.subscriber_id is None  # an unknown number: nothing is sent
        or challenge.code_hash is not None
        or challenge.used_at is not None
        or challenge.expires_at <= now
    ):
        return False
    password = "".join(secrets.choice(SMS_ALPHABET) for _ in range(SMS_PASSWORD_LENGTH))
    code_hash = await asyncio.to_thread(hash_password, password)
    taken = await PasswordChallenge.filter(id=challenge_id, code_hash=None).update(
        code_hash=code_hash
    )
    if not taken:
        return False
    try:
        await sms.send(
            challenge.msisdn,
            f"Пароль для входа в Детальку: {password}. Действует 10 минут. Никому не сообщайте.",
        )
    except Exception:
        await PasswordChallenge.filter(id=challenge_id, code_hash=code_hash).update(code_hash=None)
        raise
    return True


@dataclass(frozen=True)
class Attempt:
    """Where a sign-in comes from, and the captcha it brings (needed once the number has
    had five failures in a row)."""

    address: str = ""
    captcha_id: str | None = None
    captcha_answer: str | None = None


async def create_session(
    *,
    msisdn_text: str,
    password: str,
    region_code: str,
    settings: Settings,
    now: datetime,
    attempt: Attempt = Attempt(),
) -> NewSession:
    """A session for the right number, password and region.

    Failures are limited twice. Per client address: past ``sign_in_failures_per_address``
    in 15 minutes that address is refused outright (one address guessing many numbers).
    Per number: after five failures in a row, each attempt for 15 minutes must bring a
    solved captcha, so guessing costs a captcha each, while the owner, who solves one, is
    never locked out of their own number by someone else's failures.
    """
    msisdn = parse_msisdn(msisdn_text)
    address_key = f"sign-in-failures:{attempt.address}"
    limit = settings.sign_in_failures_per_address
    if await rate_limits.exhausted(address_key, limit, now):
        raise UserFacingError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            "Слишком много неудачных попыток входа с этого адреса. Попробуйте через 15 минут.",
        )
    throttle = await _reserve_attempt(msisdn, now, settings, attempt)
    subscriber = await Subscriber.get_or_none(msisdn=msisdn).select_related("home_region")
    challenge = None
    if subscriber is not None:
        challenge = (
            await PasswordChallenge.filter(
                subscriber_id=subscriber.id, used_at=None, expires_at__gt=now
            )
            .order_by("-created_at")
            .first()
        )
    # Always two verifications, so that timing tells nothing about the number.
    permanent_ok = await asyncio.to_thread(
        verify_password, subscriber.password_hash if subscriber else None, password
    )
    sms_ok = await asyncio.to_thread(
        verify_password, challenge.code_hash if challenge else None, password
    )
    region_ok = (
        subscriber is not None and subscriber.home_region.code == region_code.strip().upper()
    )
    if subscriber is not None and region_ok and (permanent_ok or sms_ok):
        if permanent_ok or await _spend_challenge(challenge, now):
            await SignInThrottle.filter(id=throttle.id).update(failures=0, locked_until=None)
            return await _open_session(subscriber.id, settings, now)
    await _record_failure(throttle, now)
    await rate_limits.take(address_key, limit, rate_limits.SIGN_IN_FAILURE_WINDOW, now)
    raise INVALID_CREDENTIALS


async def _spend_challenge(challenge: PasswordChallenge | None, now: datetime) -> bool:
    if challenge is None:
        return False
    return bool(await PasswordChallenge.filter(id=challenge.id, used_at=None).update(used_at=now))


async def _open_session(subscriber_id: int, settings: Settings, now: datetime) -> NewSession:
    token = secrets.token_urlsafe(32)  # 256 bits
    expires_at = now + timedelta(hours=settings.session_ttl_hours)
    await Session.create(
        subscriber_id=subscriber_id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=expires_at,
    )
    return NewSession(token, expires_at, subscriber_id)


async def _reserve_attempt(
    msisdn: str, now: datetime, settings: Settings, attempt: Attempt
) -> SignInThrottle:
    """Take one of the five attempts before checking anything; none left means that this
    attempt needs a solved captcha (each captcha is single use).

    Taking the attempt first (a conditional increment) holds however attempts arrive:
    separate requests, aliases in one request, or concurrent connections.
    """
    try:
        throttle, _ = await SignInThrottle.get_or_create(msisdn=msisdn)
    except IntegrityError:  # created by a concurrent attempt
        throttle = await SignInThrottle.get(msisdn=msisdn)
    if throttle.locked_until is not None and throttle.locked_until <= now:
        await SignInThrottle.filter(id=throttle.id, locked_until=throttle.locked_until).update(
            failures=0, locked_until=None
        )
    taken = await SignInThrottle.filter(
        id=throttle.id, failures__lt=FAILURES_BEFORE_LOCK, locked_until=None
    ).update(failures=F("failures") + 1)
    if not taken:
        if attempt.captcha_id is None:
            raise UserFacingError(
                ErrorCode.TOO_MANY_ATTEMPTS,
                "Слишком много неудачных попыток. Решите капчу и попробуйте снова, "
                "или запросите новый пароль по SMS.",
                # the input to supply: a client shows a captcha when it sees this field
                ("captchaAnswer",),
            )
        await _check_captcha(settings, attempt.captcha_id, attempt.captcha_answer, now, always=True)
    return throttle


async def _record_failure(throttle: SignInThrottle, now: datetime) -> None:
    await SignInThrottle.filter(
        id=throttle.id, failures__gte=FAILURES_BEFORE_LOCK, locked_until=None
    ).update(locked_until=now + LOCK_FOR)


async def end_session(session_id: int, now: datetime) -> bool:
    return bool(await Session.filter(id=session_id, revoked_at=None).update(revoked_at=now))


async def change_password(
    *, subscriber_id: int, session_id: int, new_password: str, now: datetime
) -> None:
    """Set a permanent password; every other session and every API token of the subscriber
    ends (whoever changes a password after a leak wants every copy of access gone)."""
    if len(new_password) < PASSWORD_MIN:
        raise UserFacingError(
            ErrorCode.PASSWORD_TOO_SHORT,
            f"Пароль должен быть не короче {PASSWORD_MIN} символов.",
            ("newPassword",),
        )
    if len(new_password) > PASSWORD_MAX:
        raise UserFacingError(
            ErrorCode.PASSWORD_TOO_LONG,
            f"Пароль должен быть не длиннее {PASSWORD_MAX} символов.",
            ("newPassword",),
        )
    password_hash = await asyncio.to_thread(hash_password, new_password)
    await Subscriber.filter(id=subscriber_id).update(password_hash=password_hash)
    await (
        Session.filter(subscriber_id=subscriber_id, revoked_at=None)
        .exclude(id=session_id)
        .update(revoked_at=now)
    )
    await ApiToken.filter(subscriber_id=subscriber_id, revoked_at=None).update(revoked_at=now)
