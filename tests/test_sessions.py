"""Sessions: a token of 256 bits stored hashed, twelve hours long, and the cookie with its
CSRF rules."""

from __future__ import annotations

import base64

import pytest

from detalka.models import Session
from tests.factories import make_subscriber
from tests.sign_in import ORIGIN, SESSION_CREATE, VIEWER, SignIn

# --- sessions ---------------------------------------------------------------------------


async def test_a_session_token_has_256_bits_and_is_stored_hashed(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    token = await signin.token_for(subscriber.msisdn, "correct-horse")
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 32
    session = await Session.get(subscriber_id=subscriber.id)
    assert session.token_hash != token and token not in session.token_hash


async def test_a_session_ends_after_twelve_hours(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    token = await signin.token_for(subscriber.msisdn, "correct-horse")
    signin.clock.advance(hours=11, minutes=59)
    assert (await signin.data(VIEWER, token=token))["viewer"] is not None
    signin.clock.advance(minutes=2)
    assert await signin.unauthenticated(token)


async def test_sign_in_sets_an_httponly_samesite_cookie_that_works_for_json_posts(
    signin: SignIn,
) -> None:
    subscriber = await make_subscriber("correct-horse")
    variables = {
        "input": {"msisdn": subscriber.msisdn, "password": "correct-horse", "regionCode": "MOW"}
    }
    response = await signin.http.post(
        "/graphql", json={"query": SESSION_CREATE, "variables": variables}
    )
    cookie = response.headers["set-cookie"]
    assert "detalka_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    viewer = await signin.http.post("/graphql", json={"query": VIEWER}, headers={"Origin": ORIGIN})
    assert viewer.json()["data"]["viewer"]["msisdn"] == subscriber.msisdn
    # no Origin at all is not a cross-site browser request either (web/origins.py)
    viewer = await signin.http.post("/graphql", json={"query": VIEWER})
    assert viewer.json()["data"]["viewer"]["msisdn"] == subscriber.msisdn


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"Origin": ORIGIN}, "get"),
        ({"Origin": "https://evil.example"}, "json"),
        ({"Origin": ORIGIN}, "form"),
    ],
)
async def test_a_cookie_counts_only_on_json_posts_from_an_allowed_origin(
    signin: SignIn, headers: dict[str, str], kind: str
) -> None:
    # given a client holding the session cookie
    subscriber = await make_subscriber("correct-horse")
    await signin.session_create(subscriber.msisdn, "correct-horse")
    http = signin.http
    assert "detalka_session" in http.cookies
    # when a request breaks a CSRF rule
    if kind == "json":
        response = await http.post("/graphql", json={"query": VIEWER}, headers=headers)
    elif kind == "get":
        response = await http.get("/graphql", params={"query": VIEWER}, headers=headers)
    else:
        response = await http.post("/graphql", data={"query": VIEWER}, headers=headers)
    # then the cookie is not honoured: the request runs anonymous (or is refused outright)
    if response.status_code == 200:
        assert response.json()["data"]["viewer"] is None
    else:
        assert response.status_code in {400, 415}
        assert subscriber.msisdn not in response.text
