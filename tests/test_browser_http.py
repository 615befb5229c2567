"""The API as a browser meets it over HTTP (#12): CORS, honest auth errors, both GraphQL-over-
HTTP media types and their status codes, GET with Cache-Control, no suggestions in production.

Everything runs against a real uvicorn on loopback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from detalka.settings import Settings
from tests.browser_api import (
    APOLLO_ACCEPT,
    GRAPHQL_RESPONSE,
    Api,
    answer,
    production,
    serving,
)

VITE = "http://localhost:5173"
VIEWER = "{ viewer { id msisdn } }"
REGIONS = "{ regions { code name } }"
SESSION_DELETE = "mutation { sessionDelete { ended } }"


@pytest.fixture(scope="module")
async def api(db: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(db, tmp_path_factory.mktemp("browser-http")) as served:
        yield served


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


# -- CORS ---------------------------------------------------------------------------------


async def test_a_dev_server_origin_passes_the_preflight_which_is_cached(api: Api) -> None:
    # when Vite's dev server asks before a JSON POST with a bearer token
    response = await api.http.options("/graphql", headers=preflight(VITE))
    # then the preflight allows it, with credentials, and may be cached for 10 minutes
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == VITE
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "600"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    # and the request itself is readable by that page
    answer = await api.post(REGIONS, headers={"Origin": VITE})
    assert answer.headers["access-control-allow-origin"] == VITE
    assert "Origin" in answer.headers["vary"]


async def test_an_origin_not_listed_is_told_nothing(api: Api) -> None:
    evil = "https://evil.example"
    response = await api.http.options("/graphql", headers=preflight(evil))
    assert response.status_code == 400
    answer = await api.post(REGIONS, headers={"Origin": evil})
    for refused in (response, answer):
        assert not [h for h in refused.headers if h.startswith("access-control-allow")]


async def test_production_allows_only_the_listed_origins(db: Settings, tmp_path: Path) -> None:
    listed = production(db, allowed_origins=["https://lk.example.ru"])
    async with serving(listed, tmp_path) as prod:
        allowed = await prod.http.options("/graphql", headers=preflight("https://lk.example.ru"))
        refused = await prod.http.options("/graphql", headers=preflight(VITE))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://lk.example.ru"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


# -- authentication -----------------------------------------------------------------------


async def test_a_bogus_token_is_unauthenticated_never_an_anonymous_run(api: Api) -> None:
    # under application/json: 200, an error with a code, and no data at all
    plain = await api.post(VIEWER, token="not-a-token")
    assert plain.status_code == 200
    assert "data" not in plain.json()
    assert plain.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # under application/graphql-response+json: HTTP says it too
    strict = await api.post(VIEWER, token="not-a-token", headers={"Accept": APOLLO_ACCEPT})
    assert strict.status_code == 401
    assert strict.headers["www-authenticate"].startswith("Bearer")
    assert strict.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and so is an Authorization header that is not a bearer token at all
    basic = await api.post(VIEWER, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_token_and_a_revoked_one_are_unauthenticated(api: Api) -> None:
    # given two sessions, one ended by signing out
    _, expiring = await api.new_session()
    _, revoked = await api.new_session()
    assert (await api.post(SESSION_DELETE, token=revoked)).json()["data"]["sessionDelete"]
    # when twelve hours pass (a session's life)
    api.clock.advance(hours=12, minutes=1)
    try:
        for token in (expiring, revoked):
            body = (await api.post(VIEWER, token=token)).json()
            # then neither runs as anonymous: both say "sign in again"
            assert "data" not in body
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        api.clock.advance(hours=-12, minutes=-1)


async def test_a_stale_cookie_runs_anonymous_is_cleared_and_never_blocks_sign_in(
    api: Api,
) -> None:
    subscriber, _ = await api.new_session()
    api.http.cookies.set("detalka_session", "a-session-that-is-over", domain="127.0.0.1")
    try:
        # a read answers anonymously and clears the cookie
        read = await api.post(VIEWER)
        assert read.json()["data"]["viewer"] is None
        assert 'detalka_session=""' in read.headers["set-cookie"]
        api.http.cookies.set("detalka_session", "a-session-that-is-over", domain="127.0.0.1")
        # and signing in works, setting the fresh cookie only
        variables = {"i": {"msisdn": subscriber.msisdn, "password": "correct-horse"}}
        variables["i"]["regionCode"] = "MOW"
        signed = await api.post(
            "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }", variables
        )
        token = signed.json()["data"]["sessionCreate"]["token"]
        assert signed.headers.get_list("set-cookie") == [
            c for c in signed.headers.get_list("set-cookie") if token in c
        ]
        assert signed.headers["cache-control"] == "private, no-store"
    finally:
        api.http.cookies.clear()


# -- GraphQL over HTTP --------------------------------------------------------------------


async def test_both_media_types_are_answered_as_accept_asks(api: Api) -> None:
    apollo = await api.post(REGIONS, headers={"Accept": APOLLO_ACCEPT})
    legacy = await api.post(REGIONS, headers={"Accept": "*/*"})
    plain = await api.post(REGIONS, headers={"Accept": "application/json"})
    other = await api.post(REGIONS, headers={"Accept": "text/plain"})
    assert apollo.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert legacy.headers["content-type"] == plain.headers["content-type"]
    assert plain.headers["content-type"] == "application/json; charset=utf-8"
    assert answer(apollo.json()) == answer(plain.json()) and "errors" not in apollo.json()
    # an Accept that names no JSON type at all is 406, with a code
    assert other.status_code == 406
    assert other.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ regions { code "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ regionz }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query A { regions { code } }", "operationName": "B"},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            {"query": "query($k: [UsageKind!]) { __typename }", "variables": {"k": 1}},
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
async def test_a_request_error_has_no_data_and_its_status_follows_the_media_type(
    api: Api, body: dict[str, object], code: str
) -> None:
    plain = await api.http.post("/graphql", json=body)
    strict = await api.http.post("/graphql", json=body, headers={"Accept": GRAPHQL_RESPONSE})
    assert (plain.status_code, strict.status_code) == (200, 400)
    for response in (plain, strict):
        answer = response.json()
        assert "data" not in answer
        assert [e["extensions"]["code"] for e in answer["errors"]] == [code]


async def test_a_field_error_is_a_partial_answer_with_200_under_both_types(api: Api) -> None:
    _, token = await api.new_session()
    query = '{ viewer { msisdn payments(period: {from: "2026-01-01", to: "2025-01-01"}) { edges { cursor } } } }'  # noqa: E501
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await api.post(query, token=token, headers={"Accept": accept})
        assert response.status_code == 200
        body = response.json()
        assert body["data"]["viewer"]["msisdn"] and body["data"]["viewer"]["payments"] is None
        assert body["errors"][0]["path"] == ["viewer", "payments"]


async def test_a_subscription_over_http_is_refused_with_a_code_and_no_traceback(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    subscription = "subscription { detailOrderUpdated { id } }"
    with caplog.at_level(logging.ERROR):
        plain = await api.post(subscription)
        strict = await api.post(subscription, headers={"Accept": GRAPHQL_RESPONSE})
    assert (plain.status_code, strict.status_code) == (200, 400)
    for response in (plain, strict):
        assert "data" not in response.json()
        assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_mutation_over_get_is_405_whatever_the_media_type(api: Api) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await api.get(SESSION_DELETE, headers={"Accept": accept})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"


async def test_a_body_that_is_not_json_is_400_with_a_code(api: Api) -> None:
    response = await api.http.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# -- GET and caching ----------------------------------------------------------------------


async def test_reference_data_over_get_is_publicly_cacheable_for_a_minute(api: Api) -> None:
    response = await api.get(REGIONS)
    assert response.status_code == 200
    assert {r["code"] for r in response.json()["data"]["regions"]} >= {"MOW"}
    assert response.headers["cache-control"] == "public, max-age=60"
    vary = {v.strip() for v in response.headers["vary"].split(",")}
    assert {"Accept", "Authorization"} <= vary


@pytest.mark.parametrize(
    "query",
    [
        VIEWER,
        "{ regions { code } viewer { id } }",
        "{ ...Root } fragment Root on Query { viewer { id } }",
        '{ node(id: "UmVnaW9uOjE=") { id } }',
        "{ regionz }",
    ],
)
async def test_anything_else_over_get_is_private_and_not_stored(api: Api, query: str) -> None:
    response = await api.get(query)
    assert response.headers["cache-control"] == "private, no-store"


async def test_a_viewer_query_with_a_token_is_private_and_posts_are_never_stored(
    api: Api,
) -> None:
    _, token = await api.new_session()
    read = await api.get(VIEWER, token=token)
    assert read.json()["data"]["viewer"]["msisdn"]
    assert read.headers["cache-control"] == "private, no-store"
    same_regions_with_a_token = await api.get(REGIONS, token=token)
    assert same_regions_with_a_token.headers["cache-control"] == "private, no-store"
    posted = await api.post(REGIONS)
    assert posted.headers["cache-control"] == "private, no-store"


async def test_production_gives_no_suggestions(db: Settings, tmp_path: Path) -> None:
    typo = "{ regionz }"
    enum = (
        'query($f: [UsageKind!]) { viewer { usage(period: {from: "2026-01-01", '
        'to: "2026-01-02"}, kinds: $f) { edges { cursor } } } }'
    )
    async with serving(db, tmp_path / "dev") as dev:
        dev_typo = (await dev.post(typo)).json()["errors"][0]["message"]
        dev_enum = (await dev.post(enum, {"f": ["SMX"]})).json()["errors"][0]["message"]
    async with serving(production(db), tmp_path / "prod") as prod:
        prod_typo = (await prod.post(typo)).json()["errors"][0]["message"]
        prod_enum = (await prod.post(enum, {"f": ["SMX"]})).json()["errors"][0]["message"]
    assert "Did you mean" in dev_typo and "Did you mean" in dev_enum
    assert "Did you mean" not in prod_typo and "regions" not in prod_typo
    assert "Did you mean" not in prod_enum and "'SMS'" not in prod_enum
