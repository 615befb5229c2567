"""Sign-in abuse (#11): strangers' failures never lock the owner out, one address cannot
guess or fetch captchas without limit, and X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import HTTPConnection

from detalka.settings import Settings
from detalka.web.app import create_app
from detalka.web.client_address import client_address, trusted_networks
from tests.factories import KnownCaptcha, MovableClock, make_subscriber

CAPTCHA = "mutation { captchaCreate { id } }"
SESSION_CREATE = """
mutation($input: SessionCreateInput!) {
  sessionCreate(input: $input) { token userErrors { field code message } }
}
"""
PASSWORD = "correct-horse"

Client = Callable[..., Any]


@pytest.fixture
async def client(db: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    """Calls the API as a client at a given address (through a trusted proxy on loopback)."""
    settings = db.model_copy(
        update={
            "data_dir": tmp_path,
            "captcha": "image",
            "trusted_proxies": ["127.0.0.1/32"],
            "sign_in_failures_per_address": 8,
            "captchas_per_minute": 4,
        }
    )
    clock = MovableClock()
    app = create_app(settings, open_db=False, clock=clock, captcha=KnownCaptcha())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:

        async def call(query: str, variables: Any = None, address: str = "198.51.100.7") -> Any:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"X-Forwarded-For": address},
            )
            return response.json()

        call.clock = clock  # type: ignore[attr-defined]
        yield call


async def sign_in(
    client: Client, msisdn: str, password: str, address: str, captcha: bool = False
) -> Any:
    given: dict[str, Any] = {"msisdn": msisdn, "password": password, "regionCode": "MOW"}
    if captcha:
        made = await client(CAPTCHA, address=address)
        given |= {"captchaId": made["data"]["captchaCreate"]["id"], "captchaAnswer": "K7PQ3"}
    body = await client(SESSION_CREATE, {"input": given}, address=address)
    return body["data"]["sessionCreate"]


def fresh_address() -> str:
    """A client address no other test (in this shared database) has used."""
    value = uuid.uuid4().int
    return f"2001:db8:{value % 65536:x}:{(value >> 16) % 65536:x}::{(value >> 32) % 65536:x}"


def codes(payload: Any) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_five_strangers_failures_do_not_lock_the_owner_out(client: Client) -> None:
    owners = fresh_address()
    strangers = fresh_address()
    # given five failures for the number from a stranger's address
    owner = await make_subscriber(PASSWORD)
    for n in range(5):
        failed = await sign_in(client, owner.msisdn, f"guess-{n}", strangers)
        assert codes(failed) == ["INVALID_CREDENTIALS"]
    # then a sixth attempt without a captcha is refused, for the stranger and the owner alike,
    # naming the captcha as the input to supply (the cabinet shows one when it sees it)
    for password, address in (("guess-5", strangers), (PASSWORD, owners)):
        refused = await sign_in(client, owner.msisdn, password, address)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("TOO_MANY_ATTEMPTS", ["captchaAnswer"])
        ]
    # but the owner who solves a captcha gets in at once, not in 15 minutes
    signed = await sign_in(client, owner.msisdn, PASSWORD, owners, captcha=True)
    assert signed["userErrors"] == [] and signed["token"]


async def test_while_the_number_is_guarded_each_guess_costs_a_solved_captcha(
    client: Client,
) -> None:
    strangers = fresh_address()
    owner = await make_subscriber(PASSWORD)
    for n in range(5):
        await sign_in(client, owner.msisdn, f"guess-{n}", strangers)
    # a guess with a solved captcha is checked (and fails as a guess)
    guessed = await sign_in(client, owner.msisdn, "guess-6", strangers, captcha=True)
    assert codes(guessed) == ["INVALID_CREDENTIALS"]
    # a wrong answer, or a captcha already spent, is no way in
    made = (await client(CAPTCHA, address=strangers))["data"]["captchaCreate"]["id"]
    for answer in ("WRONG", "K7PQ3"):
        given = {
            "msisdn": owner.msisdn,
            "password": PASSWORD,
            "regionCode": "MOW",
            "captchaId": made,
            "captchaAnswer": answer,
        }
        body = await client(SESSION_CREATE, {"input": given}, address=strangers)
        assert codes(body["data"]["sessionCreate"]) == ["INVALID_CAPTCHA"]


async def test_one_address_failing_on_many_numbers_is_refused_for_fifteen_minutes(
    client: Client,
) -> None:
    guessing = fresh_address()
    elsewhere = fresh_address()
    # given an address that failed 8 times (the test's limit), on different numbers
    victims = [await make_subscriber(PASSWORD) for _ in range(8)]
    for victim in victims:
        await sign_in(client, victim.msisdn, "guess", guessing)
    # then from it even a right password is refused, before any check
    owner = await make_subscriber(PASSWORD)
    refused = await sign_in(client, owner.msisdn, PASSWORD, guessing)
    assert codes(refused) == ["TOO_MANY_ATTEMPTS"]
    assert "с этого адреса" in refused["userErrors"][0]["message"]
    assert refused["userErrors"][0]["field"] == []  # no captcha helps: only waiting
    # while another address signs in, and the first may again after 15 minutes
    assert (await sign_in(client, owner.msisdn, PASSWORD, elsewhere))["token"]
    client.clock.advance(minutes=15, seconds=1)  # type: ignore[attr-defined]
    assert (await sign_in(client, owner.msisdn, PASSWORD, guessing))["token"]


async def test_captchas_are_limited_per_client_address_and_minute(client: Client) -> None:
    busy = fresh_address()
    other = fresh_address()
    for _ in range(4):
        assert "errors" not in await client(CAPTCHA, address=busy)
    throttled = await client(CAPTCHA, address=busy)
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "errors" not in await client(CAPTCHA, address=other)
    client.clock.advance(minutes=1, seconds=1)  # type: ignore[attr-defined]
    assert "errors" not in await client(CAPTCHA, address=busy)


def _connection(peer: str, forwarded: str | None) -> HTTPConnection:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return HTTPConnection({"type": "http", "client": (peer, 4321), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # no trusted proxies: the header is anyone's to write, and ignored
        ("203.0.113.5", "198.51.100.1", [], "203.0.113.5"),
        # one trusted proxy: the address it appended
        ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        # a client that forged a first hop gets the one the proxy appended, not its forgery
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        # two trusted proxies in a row
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),
        # a peer that is no trusted proxy: its header counts for nothing
        ("203.0.113.5", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.5"),
        # garbage in the header: what the proxy saw
        ("10.0.0.2", "not-an-address", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::7", ["::1/128"], "2001:db8::7"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str, forwarded: str, trusted: list[str], expected: str
) -> None:
    assert client_address(_connection(peer, forwarded), trusted_networks(trusted)) == expected


def test_trusted_proxies_are_read_from_the_environment_as_a_list() -> None:
    settings = Settings(_env_file=None, trusted_proxies="10.0.0.0/8, 192.168.1.1")  # type: ignore[call-arg]
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.1"]
    with pytest.raises(ValueError):
        Settings(_env_file=None, trusted_proxies="not-a-network")  # type: ignore[call-arg]
