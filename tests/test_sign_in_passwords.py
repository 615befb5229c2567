"""Passwords: argon2id hashes, same answers for every wrong credential, the lockout
(over HTTP and over a WebSocket), and changing a password."""

from __future__ import annotations

import asyncio
from pathlib import Path

from detalka.models import Subscriber
from detalka.passwords import hash_password, verify_password
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http, served, websocket
from tests.factories import MovableClock, make_subscriber, unique_msisdn
from tests.mail import last_sms_password
from tests.sign_in import ORIGIN, PASSWORD_CHANGE, SESSION_CREATE, VIEWER, SignIn, codes

# --- passwords and credentials ----------------------------------------------------------


async def test_passwords_are_hashed_with_argon2id_at_the_owasp_minimum(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    assert subscriber.password_hash is not None
    assert subscriber.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_wrong_number_password_or_region_all_answer_the_same(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    wrong_number = await signin.session_create(unique_msisdn(), "correct-horse")
    wrong_password = await signin.session_create(subscriber.msisdn, "incorrect-horse")
    wrong_region = await signin.session_create(subscriber.msisdn, "correct-horse", region="PRI")
    assert wrong_number == wrong_password == wrong_region
    assert codes(wrong_number) == ["INVALID_CREDENTIALS"]


async def test_a_password_is_hashed_for_real_with_a_fresh_salt_each_time(signin: SignIn) -> None:
    # Fixtures reuse one hash per password (tests/factories.py); this one hashes for real.
    first, second = hash_password("correct-horse"), hash_password("correct-horse")
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert first != second
    assert verify_password(first, "correct-horse") and verify_password(second, "correct-horse")
    assert not verify_password(first, "incorrect-horse")
    # and a subscriber holding a hash made just now signs in with it
    subscriber = await make_subscriber(None)
    await Subscriber.filter(id=subscriber.id).update(password_hash=hash_password("fresh-horse"))
    assert codes(await signin.session_create(subscriber.msisdn, "fresh-horse")) == []


# --- lockout ----------------------------------------------------------------------------


async def test_five_failures_in_a_row_lock_the_number_for_fifteen_minutes(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(5):
        assert codes(await signin.session_create(subscriber.msisdn, "nope")) == [
            "INVALID_CREDENTIALS"
        ]
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == [
        "TOO_MANY_ATTEMPTS"
    ]
    signin.clock.advance(minutes=15, seconds=1)
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == []


async def test_a_success_resets_the_count_of_failures(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(4):
        await signin.session_create(subscriber.msisdn, "nope")
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == []
    for _ in range(4):
        await signin.session_create(subscriber.msisdn, "nope")
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == []


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
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == [
        "TOO_MANY_ATTEMPTS"
    ]


async def test_concurrent_attempts_cannot_slip_past_the_lock(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    results = await asyncio.gather(
        *(signin.session_create(subscriber.msisdn, f"guess-{i}") for i in range(12))
    )
    answered = sorted(codes(r)[0] for r in results)
    assert answered.count("INVALID_CREDENTIALS") <= 5
    assert answered.count("TOO_MANY_ATTEMPTS") >= 7
    assert codes(await signin.session_create(subscriber.msisdn, "correct-horse")) == [
        "TOO_MANY_ATTEMPTS"
    ]


async def test_an_unknown_number_locks_too_so_the_lock_tells_nothing(signin: SignIn) -> None:
    stranger = unique_msisdn()
    for _ in range(5):
        await signin.session_create(stranger, "nope")
    assert codes(await signin.session_create(stranger, "nope")) == ["TOO_MANY_ATTEMPTS"]


async def test_a_fresh_sms_password_lifts_the_lock(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    for _ in range(5):
        await signin.session_create(subscriber.msisdn, "nope")
    await signin.ask_password(subscriber.msisdn)
    password = last_sms_password(signin.settings.data_dir, subscriber.msisdn)
    assert codes(await signin.session_create(subscriber.msisdn, password)) == []


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
    async with asgi_http(create_app(settings, open_db=False), ORIGIN) as http:
        variables = {
            "input": {"msisdn": subscriber.msisdn, "password": "correct-horse", "regionCode": "MOW"}
        }
        data = await GraphQL(http).data(SESSION_CREATE, variables)
    assert codes(data["sessionCreate"]) == ["TOO_MANY_ATTEMPTS"]


# --- changing a password ------------------------------------------------------------------


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
