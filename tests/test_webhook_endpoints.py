"""Registering webhook endpoints over GraphQL: scopes, URLs, the secret shown once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from detalka.errors import ErrorCode, UserFacingError
from detalka.models import WebhookEndpoint
from detalka.resolvers.webhook_endpoints import checked_url
from detalka.settings import Settings
from tests.ordering import Ordering, working
from tests.test_webhooks import CREATE_ENDPOINT, ENDPOINTS, api_token

HOOK = "https://hooks.example.ru/detalka"
DELETE = """
mutation($id: ID!) { webhookEndpointDelete(input: {id: $id}) { deletedId userErrors { code } } }
"""


@pytest.fixture
async def ordering(db: Settings, tmp_path: Path) -> AsyncIterator[Ordering]:
    async with working(db.model_copy(update={"data_dir": tmp_path})) as opened:
        yield opened


async def raw(ordering: Ordering, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = await ordering.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


def create_input(url: str = HOOK, types: list[str] | None = None) -> dict[str, Any]:
    return {"input": {"url": url, "eventTypes": types or ["DETAIL_ORDER_READY"]}}


async def test_a_token_without_webhooks_write_is_forbidden(ordering: Ordering) -> None:
    # given a token with every other scope
    token = await api_token(ordering, ["account:read", "usage:read", "orders:read", "orders:write"])
    # when it registers an endpoint or lists them
    created = await raw(ordering, token, CREATE_ENDPOINT, create_input())
    listed = await raw(ordering, token, ENDPOINTS, {})
    # then both are FORBIDDEN and nothing was saved
    assert [e["extensions"]["code"] for e in created["errors"]] == ["FORBIDDEN"]
    assert created["data"] == {"webhookEndpointCreate": None}
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["FORBIDDEN"]
    assert not await WebhookEndpoint.filter(subscriber_id=ordering.subscriber.id).exists()


async def test_a_token_sees_only_the_endpoints_it_registered(ordering: Ordering) -> None:
    # given an endpoint of the session and one of each of two aggregators' tokens
    first = await api_token(ordering, ["webhooks:write"])
    second = await api_token(ordering, ["webhooks:write"])
    await ordering.data(CREATE_ENDPOINT, create_input(HOOK + "/session"))
    mine = await raw(ordering, first, CREATE_ENDPOINT, create_input(HOOK + "/first"))
    assert mine["data"]["webhookEndpointCreate"]["userErrors"] == []
    await raw(ordering, second, CREATE_ENDPOINT, create_input(HOOK + "/second"))
    # when each lists them
    by_first = await raw(ordering, first, ENDPOINTS, {})
    by_session = await ordering.data(ENDPOINTS)
    # then a token sees its own, the session all three
    urls = [e["node"]["url"] for e in by_first["data"]["webhookEndpoints"]["edges"]]
    assert urls == [HOOK + "/first"]
    assert len(by_session["webhookEndpoints"]["edges"]) == 3
    # and another token cannot delete it
    endpoint_id = mine["data"]["webhookEndpointCreate"]["endpoint"]["id"]
    refused = await raw(ordering, second, DELETE, {"id": endpoint_id})
    assert refused["data"]["webhookEndpointDelete"]["userErrors"] == [{"code": "NOT_FOUND"}]
    deleted = await raw(ordering, first, DELETE, {"id": endpoint_id})
    assert deleted["data"]["webhookEndpointDelete"]["deletedId"] == endpoint_id


async def test_the_signing_secret_is_shown_once_and_never_stored(ordering: Ordering) -> None:
    # when an endpoint is registered
    created = (await ordering.data(CREATE_ENDPOINT, create_input()))["webhookEndpointCreate"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    # then no field gives it out again
    asked = await raw(
        ordering, ordering.token, "query { webhookEndpoints { edges { node { secret } } } }", {}
    )
    assert asked["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # and the database holds only a salt, from which the secret cannot be made without
    # DETALKA_SECRET_KEY
    row = await WebhookEndpoint.get(subscriber_id=ordering.subscriber.id)
    stored = " ".join(str(getattr(row, f)) for f in row._meta.db_fields)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://hooks.example.ru/x", "http:// или https://"),
        ("javascript:alert(1)", "http:// или https://"),
        ("https://user:pass@hooks.example.ru/x", "имя пользователя или пароль"),
        ("hooks.example.ru/x", "http:// или https://"),
        ("https://hooks.example.ru:99999/x", "не длиннее 1000"),
        ("https://hooks.example.ru/a b", "не длиннее 1000"),
    ],
)
async def test_a_bad_url_is_a_user_error_in_russian(
    ordering: Ordering, url: str, says: str
) -> None:
    data = await ordering.data(CREATE_ENDPOINT, create_input(url))
    (error,) = data["webhookEndpointCreate"]["userErrors"]
    assert error["code"] == "INVALID_URL" and error["field"] == ["url"]
    assert says in error["message"]
    assert data["webhookEndpointCreate"]["secret"] is None


async def test_a_url_past_the_api_string_bound_is_refused_before_the_resolver(
    ordering: Ordering,
) -> None:
    # The edge bounds every string at 1,000 characters (docs/security.md), the URL rule too.
    body = await ordering.body(
        CREATE_ENDPOINT, create_input("https://hooks.example.ru/" + "a" * 1000)
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_an_endpoint_needs_an_event_type(ordering: Ordering) -> None:
    data = await ordering.data(CREATE_ENDPOINT, {"input": {"url": HOOK, "eventTypes": []}})
    assert data["webhookEndpointCreate"]["userErrors"][0]["code"] == "NO_EVENT_TYPES"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.ru/x",  # production needs https
        "https://localhost/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://app.localhost/x",
    ],
)
def test_production_refuses_plain_http_and_internal_hosts(url: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        checked_url(url, production=True)
    assert refused.value.code == ErrorCode.INVALID_URL
    # development takes them: local receivers
    assert checked_url(url, production=False) == url


def test_production_takes_a_public_https_url() -> None:
    assert checked_url(" https://hooks.example.ru/x?a=1 ", production=True) == (
        "https://hooks.example.ru/x?a=1"
    )
