"""Sign-in over HTTP as a client walks it: captcha, SMS password, session; and phone
numbers as people type them. The parts have their own files: test_sign_in_sms.py,
test_sign_in_passwords.py (hashing and lockout), test_sessions.py, test_api_tokens.py."""

from __future__ import annotations

import base64

import pytest

from detalka.phone import normalize_msisdn
from tests.factories import make_subscriber
from tests.mail import last_sms_password
from tests.sign_in import CAPTCHA, PASSWORD_CHANGE, SESSION_DELETE, VIEWER, SignIn

# --- the whole flow ---------------------------------------------------------------------


async def test_a_new_subscriber_gets_a_password_by_sms_signs_in_and_sets_a_permanent_one(
    signin: SignIn,
) -> None:
    # given a subscriber without a password
    subscriber = await make_subscriber(password=None)
    typed = f"8 ({subscriber.msisdn[2:5]}) {subscriber.msisdn[5:8]}-{subscriber.msisdn[8:]}"
    # when they solve the captcha and ask for a password
    captcha = (await signin.data(CAPTCHA))["captchaCreate"]
    assert captcha["imageDataUrl"].startswith("data:image/png;base64,")
    assert base64.b64decode(captcha["imageDataUrl"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    asked = await signin.ask_password(typed)
    assert asked == {"accepted": True, "userErrors": []}
    # then an SMS brings a one-time password that signs them in
    sms_password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    result = await signin.session_create(typed, sms_password, region="mow")
    assert result["userErrors"] == []
    assert result["subscriber"] == {"msisdn": subscriber.msisdn, "homeRegion": {"code": "MOW"}}
    token = result["token"]
    viewer = (await signin.data(VIEWER, token=token))["viewer"]
    assert viewer["msisdn"] == subscriber.msisdn
    # and a permanent password set now works next time
    changed = await signin.data(
        PASSWORD_CHANGE, {"input": {"newPassword": "моя-длинная-фраза"}}, token=token
    )
    assert changed["passwordChange"]["userErrors"] == []
    assert (await signin.session_create(subscriber.msisdn, "моя-длинная-фраза"))["userErrors"] == []
    # and sign-out ends the session
    ended = await signin.data(SESSION_DELETE, token=token)
    assert ended["sessionDelete"] == {"ended": True, "userErrors": []}
    assert await signin.unauthenticated(token)


# --- phone numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["+7 916 123-45-67", "89161234567", "9161234567", "+7(916)1234567", "7 916 123 45 67"]
)
def test_numbers_are_accepted_as_people_type_them(typed: str) -> None:
    assert normalize_msisdn(typed) == "+79161234567"


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "+1 916 123 45 67", "8916123456", "+7916123456a", "84951234567", "٩١٦١٢٣٤٥٦٧"],
)
def test_anything_else_is_not_a_number(typed: str) -> None:
    assert normalize_msisdn(typed) is None


async def test_a_malformed_number_is_a_typed_user_error(signin: SignIn) -> None:
    result = await signin.session_create("call me maybe", "whatever")
    assert result["userErrors"][0]["code"] == "INVALID_PHONE"
    assert result["userErrors"][0]["field"] == ["msisdn"]
    assert result["token"] is None
