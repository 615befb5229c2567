"""Sign-in over HTTP as a client walks it: captcha, SMS password, session, API tokens."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import ApiToken, Captcha, PasswordChallenge, Session, Subscriber
from detalka.phone import normalize_msisdn
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.api import GraphQLClient
from tests.live import served, websocket
from tests.signin_fixtures import (
    KnownCaptcha,
    MovableClock,
    last_sms_password,
    make_subscriber,
    sms_outbox,
    unique_msisdn,
)

CAPTCHA = "mutation { captchaCreate { id imageDataUrl expiresAt } }"
PASSWORD_REQUEST = """
mutation Ask($input: PasswordRequestInput!) {
  passwordRequest(input: $input) { accepted userErrors { field message code } }
}
"""
SESSION_CREATE = """
mutation SignIn($input: SessionCreateInput!) {
  sessionCreate(input: $input) {
    token expiresAt subscriber { msisdn homeRegion { code } }
    userErrors { field message code }
  }
}
"""
SESSION_DELETE = "mutation { sessionDelete { ended userErrors { code } } }"
PASSWORD_CHANGE = """
mutation Change($input: PasswordChangeInput!) {
  passwordChange(input: $input) { subscriber { msisdn } userErrors { field code } }
}
"""
TOKEN_CREATE = """
mutation Token($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) { token apiToken { id name scopes prefix } userErrors { code } }
}
"""
TOKEN_REVOKE = """
mutation Revoke($input: ApiTokenRevokeInput!) {
  apiTokenRevoke(input: $input) { apiToken { revokedAt } userErrors { code } }
}
"""
VIEWER = "{ viewer { id msisdn homeRegion { code } } }"
ORIGIN = "http://127.0.0.1:8000"


@dataclass
class SignIn:
    client: GraphQLClient
    clock: MovableClock
    settings: Settings
    jobs: Jobs

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        body = await self.call(query, variables, token)
        assert "errors" not in body, body
        return body["data"]

    async def unauthenticated(self, token: str) -> bool:
        """The token no longer counts: a request with it is refused, not run anonymous."""
        body = await self.call(VIEWER, token=token)
        return "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def captcha(self) -> str:
        return str((await self.data(CAPTCHA))["captchaCreate"]["id"])

    async def ask_password(self, msisdn: str, answer: str = KnownCaptcha.answer) -> Any:
        captcha_id = await self.captcha()
        variables = {"input": {"msisdn": msisdn, "captchaId": captcha_id, "captchaAnswer": answer}}
        answer_ = (await self.data(PASSWORD_REQUEST, variables))["passwordRequest"]
        await self.sms_sent()
        return answer_

    async def sms_sent(self) -> None:
        """Wait until the worker has handled every queued send_sms message."""
        await asyncio.to_thread(self.jobs.broker.join, self.jobs.sms.queue_name)

    async def sign_in(self, msisdn: str, password: str, region: str = "MOW") -> Any:
        variables = {"input": {"msisdn": msisdn, "password": password, "regionCode": region}}
        return (await self.data(SESSION_CREATE, variables))["sessionCreate"]

    async def token_for(self, msisdn: str, password: str) -> str:
        result = await self.sign_in(msisdn, password)
        assert result["userErrors"] == [], result
        return str(result["token"])


@pytest.fixture
async def signin(db: Settings, tmp_path: Path) -> AsyncIterator[SignIn]:
    settings = db.model_copy(update={"data_dir": tmp_path, "captcha": "image"})
    clock = MovableClock()
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, captcha=KnownCaptcha(), jobs=jobs)
    transport = httpx.ASGITransport(app=app)
    with WorkerProcess(jobs.broker):
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as h:
            yield SignIn(GraphQLClient(h), clock, settings, jobs)


def codes(payload: Any) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


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
    result = await signin.sign_in(typed, sms_password, region="mow")
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
    assert (await signin.sign_in(subscriber.msisdn, "моя-длинная-фраза"))["userErrors"] == []
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
    result = await signin.sign_in("call me maybe", "whatever")
    assert result["userErrors"][0]["code"] == "INVALID_PHONE"
    assert result["userErrors"][0]["field"] == ["msisdn"]
    assert result["token"] is None


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
    assert codes(await signin.sign_in(subscriber.msisdn, password)) == ["INVALID_CREDENTIALS"]


async def test_an_sms_password_works_once(signin: SignIn) -> None:
    subscriber = await make_subscriber()
    await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    assert codes(await signin.sign_in(subscriber.msisdn, password)) == []
    assert codes(await signin.sign_in(subscriber.msisdn, password)) == ["INVALID_CREDENTIALS"]


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


# --- passwords and credentials ----------------------------------------------------------


async def test_passwords_are_hashed_with_argon2id_at_the_owasp_minimum(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    assert subscriber.password_hash is not None
    assert subscriber.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_wrong_number_password_or_region_all_answer_the_same(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    wrong_number = await signin.sign_in(unique_msisdn(), "correct-horse")
    wrong_password = await signin.sign_in(subscriber.msisdn, "incorrect-horse")
    wrong_region = await signin.sign_in(subscriber.msisdn, "correct-horse", region="PRI")
    assert wrong_number == wrong_password == wrong_region
    assert codes(wrong_number) == ["INVALID_CREDENTIALS"]


# --- lockout ----------------------------------------------------------------------------


async def test_five_failures_in_a_row_lock_the_number_for_fifteen_minutes(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(5):
        assert codes(await signin.sign_in(subscriber.msisdn, "nope")) == ["INVALID_CREDENTIALS"]
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == ["TOO_MANY_ATTEMPTS"]
    signin.clock.advance(minutes=15, seconds=1)
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == []


async def test_a_success_resets_the_count_of_failures(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(4):
        await signin.sign_in(subscriber.msisdn, "nope")
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == []
    for _ in range(4):
        await signin.sign_in(subscriber.msisdn, "nope")
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == []


async def test_aliases_in_one_request_count_as_separate_attempts(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    fields = "\n".join(
        f'a{i}: sessionCreate(input: {{msisdn: "{subscriber.msisdn}", password: "nope{i}",'
        f' regionCode: "MOW"}}) {{ token userErrors {{ code }} }}'
        for i in range(6)
    )
    data = await signin.data(f"mutation {{ {fields} }}")
    assert [codes(data[f"a{i}"]) for i in range(6)] == [["INVALID_CREDENTIALS"]] * 5 + [
        ["TOO_MANY_ATTEMPTS"]
    ]
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == ["TOO_MANY_ATTEMPTS"]


async def test_concurrent_attempts_cannot_slip_past_the_lock(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    results = await asyncio.gather(
        *(signin.sign_in(subscriber.msisdn, f"guess-{i}") for i in range(12))
    )
    answered = sorted(codes(r)[0] for r in results)
    assert answered.count("INVALID_CREDENTIALS") <= 5
    assert answered.count("TOO_MANY_ATTEMPTS") >= 7
    assert codes(await signin.sign_in(subscriber.msisdn, "correct-horse")) == ["TOO_MANY_ATTEMPTS"]


async def test_an_unknown_number_locks_too_so_the_lock_tells_nothing(signin: SignIn) -> None:
    stranger = unique_msisdn()
    for _ in range(5):
        await signin.sign_in(stranger, "nope")
    assert codes(await signin.sign_in(stranger, "nope")) == ["TOO_MANY_ATTEMPTS"]


async def test_a_fresh_sms_password_lifts_the_lock(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(5):
        await signin.sign_in(subscriber.msisdn, "nope")
    await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    assert codes(await signin.sign_in(subscriber.msisdn, password)) == []


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
    response = await signin.client.http.post(
        "/graphql", json={"query": SESSION_CREATE, "variables": variables}
    )
    cookie = response.headers["set-cookie"]
    assert "detalka_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    viewer = await signin.client.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Origin": ORIGIN}
    )
    assert viewer.json()["data"]["viewer"]["msisdn"] == subscriber.msisdn
    # no Origin at all is not a cross-site browser request either (web/origins.py)
    viewer = await signin.client.http.post("/graphql", json={"query": VIEWER})
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
    await signin.sign_in(subscriber.msisdn, "correct-horse")
    http = signin.client.http
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


# --- API tokens -------------------------------------------------------------------------


async def test_an_api_token_is_shown_once_and_limited_to_its_scopes(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = await signin.data(
        TOKEN_CREATE, {"input": {"name": "Агрегатор", "scopes": ["usage:read"]}}, token=session
    )
    token = created["apiTokenCreate"]["token"]
    assert token.startswith("dtk_")
    assert created["apiTokenCreate"]["apiToken"]["scopes"] == ["usage:read"]
    # the token itself is nowhere to be read again
    listed = await signin.data("{ viewer { apiTokens { name prefix } } }", token=session)
    assert token not in str(listed)
    assert (await ApiToken.get(subscriber_id=subscriber.id)).token_hash != token
    # a field outside its scopes is denied, with a code
    denied = await signin.call("{ viewer { msisdn } }", token=token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # and it cannot manage tokens or passwords
    for mutation, variables in [
        (TOKEN_CREATE, {"input": {"name": "x", "scopes": ["account:read"]}}),
        (PASSWORD_CHANGE, {"input": {"newPassword": "другой-пароль"}}),
    ]:
        body = await signin.call(mutation, variables, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_account_read_token_reads_the_account(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = await signin.data(
        TOKEN_CREATE, {"input": {"name": "Бот", "scopes": ["account:read"]}}, token=session
    )
    token = created["apiTokenCreate"]["token"]
    assert (await signin.data(VIEWER, token=token))["viewer"]["msisdn"] == subscriber.msisdn


async def test_an_unknown_scope_is_a_user_error(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    result = await signin.data(
        TOKEN_CREATE, {"input": {"name": "x", "scopes": ["admin"]}}, token=session
    )
    assert codes(result["apiTokenCreate"]) == ["INVALID_SCOPE"]


async def test_a_revoked_api_token_stops_working(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = (
        await signin.data(
            TOKEN_CREATE, {"input": {"name": "x", "scopes": ["account:read"]}}, token=session
        )
    )["apiTokenCreate"]
    revoked = await signin.data(
        TOKEN_REVOKE, {"input": {"id": created["apiToken"]["id"]}}, token=session
    )
    assert revoked["apiTokenRevoke"]["apiToken"]["revokedAt"] is not None
    assert await signin.unauthenticated(created["token"])


async def test_another_subscribers_token_never_sees_this_subscribers_data(signin: SignIn) -> None:
    # given two subscribers, each signed in
    alice = await make_subscriber("alice-password")
    bob = await make_subscriber("bob-password")
    alice_session = await signin.token_for(alice.msisdn, "alice-password")
    bob_session = await signin.token_for(bob.msisdn, "bob-password")
    alice_id = (await signin.data(VIEWER, token=alice_session))["viewer"]["id"]
    alice_token = (
        await signin.data(
            TOKEN_CREATE, {"input": {"name": "a", "scopes": ["account:read"]}}, token=alice_session
        )
    )["apiTokenCreate"]["apiToken"]["id"]
    # when Bob asks for Alice's objects
    node = await signin.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": alice_id}, token=bob_session
    )
    token_node = await signin.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": alice_token}, token=bob_session
    )
    revoke = await signin.data(TOKEN_REVOKE, {"input": {"id": alice_token}}, token=bob_session)
    # then he sees nothing and changes nothing
    assert node["node"] is None and token_node["node"] is None
    assert codes(revoke["apiTokenRevoke"]) == ["NOT_FOUND"]
    assert (await ApiToken.get(subscriber_id=alice.id)).revoked_at is None
    viewer = (await signin.data(VIEWER, token=bob_session))["viewer"]
    assert viewer["msisdn"] == bob.msisdn


async def test_a_password_change_needs_eight_characters_and_ends_other_sessions(
    signin: SignIn,
) -> None:
    subscriber = await make_subscriber("correct-horse")
    first = await signin.token_for(subscriber.msisdn, "correct-horse")
    second = await signin.token_for(subscriber.msisdn, "correct-horse")
    short = await signin.data(PASSWORD_CHANGE, {"input": {"newPassword": "1234567"}}, token=first)
    assert short["passwordChange"]["userErrors"] == [
        {"field": ["newPassword"], "code": "PASSWORD_TOO_SHORT"}
    ]
    await signin.data(PASSWORD_CHANGE, {"input": {"newPassword": "12345678"}}, token=first)
    assert (await signin.data(VIEWER, token=first))["viewer"] is not None
    assert await signin.unauthenticated(second)
    assert (await Subscriber.get(id=subscriber.id)).password_hash != subscriber.password_hash


async def test_attempts_over_a_websocket_count_toward_the_lock(
    db: Settings, tmp_path: Path
) -> None:
    # given the app served for real on loopback, in this event loop
    settings = db.model_copy(update={"data_dir": tmp_path})
    app = create_app(settings, open_db=False, clock=MovableClock())
    subscriber = await make_subscriber("correct-horse")
    async with served(app) as address, websocket(address) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        # when six wrong passwords arrive over the socket
        answers = []
        for attempt in range(6):
            query = (
                f'mutation {{ sessionCreate(input: {{msisdn: "{subscriber.msisdn}",'
                f' password: "nope{attempt}", regionCode: "MOW"}})'
                " { userErrors { code } } }"
            )
            await ws.subscribe(str(attempt), query)
            message = await ws.receive()
            assert message["type"] == "next", message
            answers.append(message["payload"]["data"]["sessionCreate"]["userErrors"][0]["code"])
            assert (await ws.receive())["type"] == "complete"
    # then the sixth is refused by the lock, and so is plain HTTP afterwards
    assert answers == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    transport = httpx.ASGITransport(app=create_app(settings, open_db=False))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": SESSION_CREATE,
                    "variables": {
                        "input": {
                            "msisdn": subscriber.msisdn,
                            "password": "correct-horse",
                            "regionCode": "MOW",
                        }
                    },
                },
            )
        ).json()
    assert codes(body["data"]["sessionCreate"]) == ["TOO_MANY_ATTEMPTS"]


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
    assert codes(await signin.sign_in(subscriber.msisdn, password)) == []


async def test_a_broker_that_is_away_is_a_clear_error_and_no_attempt_is_spent(
    db: Settings, tmp_path: Path
) -> None:
    # given the API with a broker nobody listens on
    settings = db.model_copy(
        update={"data_dir": tmp_path, "broker_url": "redis://127.0.0.1:9/0", "captcha": "image"}
    )
    app = create_app(settings, open_db=False, clock=MovableClock(), captcha=KnownCaptcha())
    subscriber = await make_subscriber()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
        client = GraphQLClient(http)
        captcha_id = (await client.execute(CAPTCHA))["captchaCreate"]["id"]
        variables = {
            "input": {
                "msisdn": subscriber.msisdn,
                "captchaId": captcha_id,
                "captchaAnswer": KnownCaptcha.answer,
            }
        }
        result = (await client.execute(PASSWORD_REQUEST, variables))["passwordRequest"]
    # then the subscriber is told to try again, and the hourly limit is untouched
    assert result["accepted"] is False and codes(result) == ["SMS_UNAVAILABLE"]
    assert not await PasswordChallenge.filter(msisdn=subscriber.msisdn).exists()
