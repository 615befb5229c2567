"""Asking for a password by SMS: the captcha in front, the one-time password, the rate
limit, and the send_sms actor against a gateway or broker that is away."""

from __future__ import annotations

from pathlib import Path

import pytest

from detalka.models import Captcha, PasswordChallenge
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.factories import KnownCaptcha, MovableClock, make_subscriber, unique_msisdn
from tests.mail import last_sms_password, sms_outbox
from tests.sign_in import CAPTCHA, ORIGIN, PASSWORD_REQUEST, SignIn, codes

# --- captcha ----------------------------------------------------------------------------


async def test_a_wrong_captcha_answer_is_refused(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    result = await signin.ask_password(subscriber.msisdn, answer="WRONG")
    assert codes(result) == ["INVALID_CAPTCHA"]
    assert sms_outbox(signin.settings.data_dir) == []


async def test_a_captcha_is_single_use(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    captcha_id = await signin.captcha()
    variables = {
        "input": {"msisdn": subscriber.msisdn, "captchaId": captcha_id, "captchaAnswer": "K7PQ3"}
    }
    first = (await signin.data(PASSWORD_REQUEST, variables))["passwordRequest"]
    second = (await signin.data(PASSWORD_REQUEST, variables))["passwordRequest"]
    assert first["accepted"] is True
    assert codes(second) == ["INVALID_CAPTCHA"]


async def test_a_captcha_expires_after_five_minutes(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    captcha_id = await signin.captcha()
    signin.clock.advance(minutes=5, seconds=1)
    variables = {
        "input": {"msisdn": subscriber.msisdn, "captchaId": captcha_id, "captchaAnswer": "k7pq3"}
    }
    result = (await signin.data(PASSWORD_REQUEST, variables))["passwordRequest"]
    assert codes(result) == ["INVALID_CAPTCHA"]


async def test_a_captcha_answer_is_stored_hashed(signin: SignIn) -> None:
    captcha_id = await signin.captcha()
    row = await Captcha.get(id=captcha_id)
    assert KnownCaptcha.answer not in row.answer_hash
    assert len(row.answer_hash) == 64


# --- SMS password -----------------------------------------------------------------------


async def test_an_sms_password_is_long_stored_hashed_and_never_logged(
    signin: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    subscriber = await make_subscriber()
    with caplog.at_level("DEBUG"):
        await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    assert len(password) >= 8
    challenge = await PasswordChallenge.filter(msisdn=subscriber.msisdn).first()
    assert challenge is not None and challenge.code_hash is not None
    assert challenge.code_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password not in challenge.code_hash
    assert password not in caplog.text


async def test_an_sms_password_expires_after_ten_minutes(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    signin.clock.advance(minutes=10, seconds=1)
    assert codes(await signin.session_create(subscriber.msisdn, password)) == [
        "INVALID_CREDENTIALS"
    ]


async def test_an_sms_password_works_once(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    assert codes(await signin.session_create(subscriber.msisdn, password)) == []
    assert codes(await signin.session_create(subscriber.msisdn, password)) == [
        "INVALID_CREDENTIALS"
    ]


async def test_at_most_three_sms_per_number_per_hour(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    for _ in range(3):
        assert (await signin.ask_password(subscriber.msisdn))["accepted"] is True
    fourth = await signin.ask_password(subscriber.msisdn)
    assert codes(fourth) == ["TOO_MANY_REQUESTS"]
    assert len(sms_outbox(signin.settings.data_dir)) == 3
    signin.clock.advance(hours=1, seconds=1)
    assert (await signin.ask_password(subscriber.msisdn))["accepted"] is True


async def test_the_answer_is_the_same_whether_or_not_the_number_is_ours(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    ours = await signin.ask_password(subscriber.msisdn)
    stranger = await signin.ask_password(unique_msisdn())
    assert ours == stranger == {"accepted": True, "userErrors": []}
    assert [m["to"] for m in sms_outbox(signin.settings.data_dir)] == [subscriber.msisdn]
    # and the rate limit answers alike too
    stranger_number = unique_msisdn()
    for _ in range(3):
        await signin.ask_password(stranger_number)
    assert codes(await signin.ask_password(stranger_number)) == ["TOO_MANY_REQUESTS"]


# --- the send_sms actor -----------------------------------------------------------------


async def test_a_gateway_outage_never_holds_up_the_request_and_the_retry_sends(
    signin: SignIn,
) -> None:
    from detalka.adapters.sms import HttpSmsSender, SmsSendError
    from detalka.resolvers.sign_in import send_challenge_sms
    from tests.test_sms import Gateway

    subscriber = await make_subscriber()
    # given a challenge the request wrote (the worker's outbox SMS is not what we read here)
    await signin.ask_password(subscriber.msisdn)
    challenge = await PasswordChallenge.filter(msisdn=subscriber.msisdn).first()
    assert challenge is not None
    await PasswordChallenge.filter(id=challenge.id).update(code_hash=None)
    now = signin.clock.now()
    # when the gateway is down, the actor fails and leaves no password behind
    with Gateway([503, 503, 503]) as down:
        with pytest.raises(SmsSendError):
            await send_challenge_sms(challenge.id, HttpSmsSender(down.url, backoff_s=0.01), now)
    assert (await PasswordChallenge.get(id=challenge.id)).code_hash is None
    # then the broker's retry makes a password, sends it, and a repeat sends nothing
    with Gateway([]) as up:
        sender = HttpSmsSender(up.url)
        assert await send_challenge_sms(challenge.id, sender, now) is True
        assert await send_challenge_sms(challenge.id, sender, now) is False
        (message,) = up.received
    password = message["text"].split(": ")[1].split(".")[0]
    assert codes(await signin.session_create(subscriber.msisdn, password)) == []


async def test_a_broker_that_is_away_is_a_clear_error_and_no_attempt_is_spent(
    db: Settings, tmp_path: Path
) -> None:
    # given the API with a broker nobody listens on
    settings = db.model_copy(
        update={"data_dir": tmp_path, "broker_url": "redis://127.0.0.1:9/0", "captcha": "image"}
    )
    app = create_app(settings, open_db=False, clock=MovableClock(), captcha=KnownCaptcha())
    subscriber = await make_subscriber()
    async with asgi_http(app, ORIGIN) as http:
        client = GraphQL(http)
        captcha_id = (await client.data(CAPTCHA))["captchaCreate"]["id"]
        variables = {
            "input": {
                "msisdn": subscriber.msisdn,
                "captchaId": captcha_id,
                "captchaAnswer": KnownCaptcha.answer,
            }
        }
        result = (await client.data(PASSWORD_REQUEST, variables))["passwordRequest"]
    # then the subscriber is told to try again, and the hourly limit is untouched
    assert result["accepted"] is False and codes(result) == ["SMS_UNAVAILABLE"]
    assert not await PasswordChallenge.filter(msisdn=subscriber.msisdn).exists()
