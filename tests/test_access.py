"""Tokens mean what their scopes say, expire, die with a password change, and a revoked one
or an ended session closes its sockets at once (#11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from detalka.models import ApiToken
from detalka.resolvers.sign_in import token_hash
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import Socket, served, websocket
from tests.factories import MovableClock, make_subscriber
from tests.ordering import PASSWORD, Ordering, order_input, working

TOKEN_CREATE = """
mutation($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) {
    token apiToken { id expiresAt } userErrors { field code message }
  }
}
"""
TOKEN_REVOKE = "mutation($id: ID!) { apiTokenRevoke(input: {id: $id}) { apiToken { id } } }"
CREATE = """
mutation($input: DetailOrderInput!) {
  detailOrderCreate(input: $input) {
    orderId order { email document { downloadUrl } } userErrors { field code }
  }
}
"""
PREVIEW = """
mutation($input: DetailOrderInput!) {
  detailOrderPreview(input: $input) { preview { email } userErrors { field code } }
}
"""
SCHEDULE_CREATE = """
mutation($input: DetailScheduleCreateInput!) {
  detailScheduleCreate(input: $input) { scheduleId schedule { email } userErrors { field code } }
}
"""
SCHEDULE_UPDATE = """
mutation($input: DetailScheduleUpdateInput!) {
  detailScheduleUpdate(input: $input) { schedule { email } userErrors { field code } }
}
"""
VIEWER = "{ viewer { id } }"
FOLLOW = "subscription { detailOrderUpdated { id status } }"


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    async with working(db.model_copy(update={"data_dir": tmp_path})) as opened:
        yield opened


async def token(ordering: Ordering, *scopes: str, **more: Any) -> str:
    created = await ordering.data(
        TOKEN_CREATE, {"input": {"name": "бот", "scopes": list(scopes), **more}}
    )
    return str(created["apiTokenCreate"]["token"])


async def call(ordering: Ordering, token: str, query: str, variables: Any = None) -> Any:
    response = await ordering.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


def forbidden_paths(body: Any) -> list[list[str]]:
    return [e["path"] for e in body.get("errors", ()) if e["extensions"]["code"] == "FORBIDDEN"]


# -- scopes --------------------------------------------------------------------------------


async def test_an_orders_write_token_places_an_order_but_reads_no_link_and_no_address(
    ordering: Ordering,
) -> None:
    # given a token that may place orders only, and a READY order's document on file
    writer = await token(ordering, "orders:write")
    # when it places an emailed order
    body = await call(ordering, writer, CREATE, {"input": order_input(delivery="EMAIL")})
    # then it learns the order's id, and neither its address nor any download link
    payload = body["data"]["detailOrderCreate"]
    assert payload["orderId"] and payload["userErrors"] == []
    assert payload["order"] is None
    assert forbidden_paths(body) == [["detailOrderCreate", "order"]]
    assert ordering.subscriber.email not in str(body)
    assert "/files/" not in str(body)


async def test_a_token_that_reads_orders_too_gets_the_order_back(ordering: Ordering) -> None:
    both = await token(ordering, "orders:write", "orders:read")
    body = await call(ordering, both, CREATE, {"input": order_input(delivery="EMAIL")})
    assert body["data"]["detailOrderCreate"]["order"]["email"] == ordering.subscriber.email


async def test_preview_and_schedule_payloads_show_a_writer_no_email_on_file(
    ordering: Ordering,
) -> None:
    writer = await token(ordering, "orders:write")
    preview = await call(ordering, writer, PREVIEW, {"input": order_input(delivery="EMAIL")})
    schedule = await call(
        ordering, writer, SCHEDULE_CREATE, {"input": {"frequency": "WEEKLY", "format": "CSV"}}
    )
    for body in (preview, schedule):
        assert ordering.subscriber.email not in str(body), body
    assert preview["data"]["detailOrderPreview"]["preview"] is None
    assert schedule["data"]["detailScheduleCreate"]["scheduleId"]
    assert schedule["data"]["detailScheduleCreate"]["schedule"] is None


async def test_a_token_without_the_account_scope_emails_only_the_address_on_file(
    ordering: Ordering,
) -> None:
    # given a token that may place and read orders, but not read the account
    orders = await token(ordering, "orders:write", "orders:read")
    elsewhere = order_input(delivery="EMAIL", email="thief@example.com")
    # when it asks for a report by email to another address, then it is refused
    body = await call(ordering, orders, CREATE, {"input": elsewhere})
    assert body["data"]["detailOrderCreate"]["userErrors"] == [
        {"field": ["email"], "code": "EMAIL_NOT_ALLOWED"}
    ]
    # and so is a schedule to it, made or changed
    created = await call(
        ordering,
        orders,
        SCHEDULE_CREATE,
        {"input": {"frequency": "WEEKLY", "format": "CSV", "email": "thief@example.com"}},
    )
    assert created["data"]["detailScheduleCreate"]["userErrors"][0]["code"] == "EMAIL_NOT_ALLOWED"
    own = await call(
        ordering, orders, SCHEDULE_CREATE, {"input": {"frequency": "WEEKLY", "format": "CSV"}}
    )
    schedule_id = own["data"]["detailScheduleCreate"]["scheduleId"]
    changed = await call(
        ordering,
        orders,
        SCHEDULE_UPDATE,
        {"input": {"id": schedule_id, "email": "thief@example.com"}},
    )
    assert changed["data"]["detailScheduleUpdate"]["userErrors"][0]["code"] == "EMAIL_NOT_ALLOWED"
    # while the address on file, typed in other letter case, is fine
    same = order_input(delivery="EMAIL", email=ordering.subscriber.email.upper())  # type: ignore[union-attr]
    body = await call(ordering, orders, CREATE, {"input": same})
    assert body["data"]["detailOrderCreate"]["userErrors"] == []


async def test_a_token_with_the_account_scope_or_a_session_may_email_elsewhere(
    ordering: Ordering,
) -> None:
    full = await token(ordering, "orders:write", "account:read")
    elsewhere = order_input(delivery="EMAIL", email="accountant@example.com")
    body = await call(ordering, full, CREATE, {"input": elsewhere})
    assert body["data"]["detailOrderCreate"]["userErrors"] == []
    by_session = await ordering.data(CREATE, {"input": elsewhere})
    assert by_session["detailOrderCreate"]["userErrors"] == []


# -- expiry and password change -----------------------------------------------------------


async def test_an_api_token_works_ninety_days_by_default(ordering: Ordering) -> None:
    created = await ordering.data(
        TOKEN_CREATE, {"input": {"name": "бот", "scopes": ["orders:read"]}}
    )
    secret = created["apiTokenCreate"]["token"]
    expires = datetime.fromisoformat(created["apiTokenCreate"]["apiToken"]["expiresAt"])
    assert expires == ordering.clock.now() + timedelta(days=90)
    ordering.clock.advance(days=90, seconds=-1)
    assert "errors" not in await call(ordering, secret, VIEWER)
    ordering.clock.advance(seconds=2)
    refused = await call(ordering, secret, VIEWER)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_may_ask_a_shorter_life_and_never_a_longer_one_than_the_maximum(
    ordering: Ordering,
) -> None:
    week = await ordering.data(
        TOKEN_CREATE, {"input": {"name": "бот", "scopes": ["usage:read"], "expiresInDays": 7}}
    )
    expires = datetime.fromisoformat(week["apiTokenCreate"]["apiToken"]["expiresAt"])
    assert expires == ordering.clock.now() + timedelta(days=7)
    for days in (0, 366, 2**31 - 1):
        refused = await ordering.data(
            TOKEN_CREATE,
            {"input": {"name": "бот", "scopes": ["usage:read"], "expiresInDays": days}},
        )
        assert refused["apiTokenCreate"]["token"] is None
        assert refused["apiTokenCreate"]["userErrors"][0]["code"] == "INVALID_EXPIRY"


async def test_a_token_records_its_last_use_to_the_minute_without_a_write_a_request(
    ordering: Ordering,
) -> None:
    secret = await token(ordering, "usage:read")
    first = ordering.clock.now()
    assert "errors" not in await call(ordering, secret, VIEWER)
    assert (await ApiToken.get(token_hash=token_hash(secret))).last_used_at == first
    # a use within the minute leaves it as it was (no write)
    ordering.clock.advance(seconds=30)
    assert "errors" not in await call(ordering, secret, VIEWER)
    assert (await ApiToken.get(token_hash=token_hash(secret))).last_used_at == first
    # a use a minute after the recorded one moves it
    ordering.clock.advance(seconds=31)
    assert "errors" not in await call(ordering, secret, VIEWER)
    moved = (await ApiToken.get(token_hash=token_hash(secret))).last_used_at
    assert moved == first + timedelta(seconds=61)


async def test_a_token_made_before_tokens_expired_ends_a_year_after_it_was_made(
    ordering: Ordering,
) -> None:
    secret = await token(ordering, "usage:read")
    row = await ApiToken.get(token_hash=token_hash(secret))
    now = ordering.clock.now()
    await ApiToken.filter(id=row.id).update(expires_at=None, created_at=now - timedelta(days=364))
    assert "errors" not in await call(ordering, secret, VIEWER)
    await ApiToken.filter(id=row.id).update(created_at=now - timedelta(days=365, seconds=1))
    refused = await call(ordering, secret, VIEWER)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_password_change_ends_every_api_token(ordering: Ordering) -> None:
    secrets = [await token(ordering, "usage:read"), await token(ordering, "orders:write")]
    change = (
        'mutation { passwordChange(input: {newPassword: "новый-пароль-1"}) { subscriber { id } } }'
    )
    await ordering.data(change)
    for secret in secrets:
        refused = await call(ordering, secret, VIEWER)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # the session that changed it goes on
    assert (await ordering.data(VIEWER))["viewer"] is not None


# -- sockets ------------------------------------------------------------------------------


async def _session(http: httpx.AsyncClient, msisdn: str) -> str:
    signed = await http.post(
        "/graphql",
        json={
            "query": "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }",
            "variables": {"i": {"msisdn": msisdn, "password": PASSWORD, "regionCode": "MOW"}},
        },
    )
    return str(signed.json()["data"]["sessionCreate"]["token"])


async def _closed_code(ws: Socket, within_s: float) -> int | None:
    """The close code the server sends within ``within_s`` (ending every subscription)."""
    try:
        while True:
            await ws.receive(timeout_s=within_s)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


@pytest.fixture
async def live_app(
    db: Settings, tmp_path: Path
) -> AsyncIterator[tuple[str, httpx.AsyncClient, str]]:
    """The app served on loopback (its re-check timer 15 s, so only an event is fast
    enough), a signed-in session and an HTTP client."""
    settings = db.model_copy(update={"data_dir": tmp_path})
    app = create_app(settings, open_db=False, clock=MovableClock())
    subscriber = await make_subscriber(PASSWORD)
    async with served(app) as address:
        async with httpx.AsyncClient(base_url=f"http://{address}") as http:
            yield address, http, await _session(http, subscriber.msisdn)


async def test_a_revoked_token_closes_its_socket_at_once(
    live_app: tuple[str, httpx.AsyncClient, str],
) -> None:
    address, http, session = live_app
    headers = {"Authorization": f"Bearer {session}"}
    created = await http.post(
        "/graphql",
        json={
            "query": TOKEN_CREATE,
            "variables": {"input": {"name": "x", "scopes": ["orders:read"]}},
        },
        headers=headers,
    )
    made = created.json()["data"]["apiTokenCreate"]
    async with websocket(address) as ws:
        assert (await ws.init(made["token"]))["type"] == "connection_ack"
        await ws.subscribe("1", FOLLOW)
        # when the token is revoked
        await http.post(
            "/graphql",
            json={"query": TOKEN_REVOKE, "variables": {"id": made["apiToken"]["id"]}},
            headers=headers,
        )
        # then its socket closes long before the 15 s re-check, as an unknown token's would
        assert await _closed_code(ws, within_s=5) == 4403


async def test_an_ended_session_closes_its_socket_at_once(
    live_app: tuple[str, httpx.AsyncClient, str],
) -> None:
    address, http, session = live_app
    async with websocket(address) as ws:
        assert (await ws.init(session))["type"] == "connection_ack"
        await ws.subscribe("1", FOLLOW)
        await http.post(
            "/graphql",
            json={"query": "mutation { sessionDelete { ended } }"},
            headers={"Authorization": f"Bearer {session}"},
        )
        assert await _closed_code(ws, within_s=5) == 4403


async def test_a_socket_of_a_live_token_stays_open(
    live_app: tuple[str, httpx.AsyncClient, str],
) -> None:
    # the check above can fail: another session's end leaves this one's socket alone
    address, http, session = live_app
    other = await http.post(
        "/graphql",
        json={"query": "{ viewer { msisdn } }"},
        headers={"Authorization": f"Bearer {session}"},
    )
    second = await _session(http, other.json()["data"]["viewer"]["msisdn"])
    async with websocket(address) as ws:
        assert (await ws.init(session))["type"] == "connection_ack"
        await ws.subscribe("1", FOLLOW)
        await http.post(
            "/graphql",
            json={"query": "mutation { sessionDelete { ended } }"},
            headers={"Authorization": f"Bearer {second}"},
        )
        assert await _closed_code(ws, within_s=2) is None


async def test_a_session_that_expires_closes_its_socket(db: Settings, tmp_path: Path) -> None:
    # given a socket of a session, the re-check every half second (a setting)
    settings = db.model_copy(update={"data_dir": tmp_path, "subscription_poll_seconds": 0.5})
    clock = MovableClock()
    app = create_app(settings, open_db=False, clock=clock)
    subscriber = await make_subscriber(PASSWORD)
    async with served(app) as address, httpx.AsyncClient(base_url=f"http://{address}") as http:
        session = await _session(http, subscriber.msisdn)
        async with websocket(address) as ws:
            assert (await ws.init(session))["type"] == "connection_ack"
            await ws.subscribe("1", FOLLOW)
            assert await _closed_code(ws, within_s=2) is None
            # when its twelve hours are over
            clock.advance(hours=12, seconds=1)
            # then the socket closes, as a revoked one does
            assert await _closed_code(ws, within_s=5) == 4403
