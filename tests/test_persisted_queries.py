"""Automatic persisted queries (#12) as Apollo's link speaks them: a miss tells the client to
send the query, a hit runs it, over POST and GET; the store is bounded by bytes, and in the
distributed mode one Redis store serves every API process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from detalka.adapters.query_store import MemoryQueryStore, QueryStore, RedisQueryStore
from detalka.settings import Settings
from tests.browser_api import GRAPHQL_RESPONSE, Api, answer, serving
from tests.client import free_port, process_ready
from tests.polling import eventually_sync

REGIONS = "query Regions { regions { code } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(query: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(query)}}


@pytest.fixture(scope="module")
async def api(db: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(db, tmp_path_factory.mktemp("apq")) as served:
        yield served


# -- the stores ---------------------------------------------------------------------------


async def check_lru_by_bytes(store: QueryStore) -> None:
    # given two documents of 100 bytes each (Cyrillic counts two bytes a letter)
    a, b, c = ("я" * 50, "b" * 100, "c" * 100)
    await store.put("a", a)
    await store.put("b", b)
    # when the first is used again, then a third arrives past the 250-byte budget
    assert await store.get("a") == a
    await store.put("c", c)
    # then the least recently used one went, and the budget holds
    assert await store.get("b") is None
    assert (await store.get("a"), await store.get("c")) == (a, c)


async def test_the_memory_store_forgets_the_least_recently_used_past_its_bytes() -> None:
    store = MemoryQueryStore(max_bytes=250)
    await check_lru_by_bytes(store)
    assert store.size == 200


async def test_the_redis_store_forgets_the_least_recently_used_past_its_bytes(
    redis_url: str,
) -> None:
    store = RedisQueryStore(redis_url, max_bytes=250)
    try:
        await check_lru_by_bytes(store)
        kept = redis.Redis.from_url(redis_url).get("{detalka:apq}:bytes")
        assert kept == b"200"
    finally:
        await store.close()


async def test_a_redis_store_that_is_away_answers_a_miss() -> None:
    store = RedisQueryStore("redis://127.0.0.1:1/0", max_bytes=1000)
    try:
        await store.put("a", "{ regions { code } }")
        assert await store.get("a") is None
    finally:
        await store.close()


# -- the protocol -------------------------------------------------------------------------


async def test_a_round_trip_is_a_miss_then_the_full_query_then_hits(api: Api) -> None:
    query = "query RoundTrip { __typename regions { code name } }"
    # when the link sends only the hash of a document the server has not seen
    miss = await api.post(None, extensions=persisted(query))
    strict = await api.post(
        None,
        extensions=persisted(query),
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    # then it is told to send the query: 200 under application/json, 400 under the other
    assert (miss.status_code, strict.status_code) == (200, 400)
    for response in (miss, strict):
        assert response.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                }
            ]
        }
        assert response.headers["cache-control"] == "private, no-store"
    # when it sends the query with the hash, then it runs, and the hash alone runs after
    full = await api.post(query, extensions=persisted(query))
    hit = await api.post(None, extensions=persisted(query))
    got = await api.get(None, extensions=persisted(query))
    assert answer(full.json()) == answer(hit.json()) == answer(got.json())
    assert full.json()["data"]["__typename"] == "Query"
    # and a GET of public data may be cached
    assert got.headers["cache-control"] == "public, max-age=60"


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        ({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}, "BAD_REQUEST"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "not-hex"}}, "BAD_REQUEST"),
        (persisted(REGIONS, version=2), "PERSISTED_QUERY_NOT_SUPPORTED"),
    ],
)
async def test_a_hash_that_is_not_the_query_or_another_version_is_refused(
    api: Api, extensions: dict[str, Any], code: str
) -> None:
    body = (await api.post(REGIONS, extensions=extensions)).json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code


async def test_a_document_that_does_not_validate_is_not_kept(api: Api) -> None:
    broken = "query Broken { regionz }"
    first = (await api.post(broken, extensions=persisted(broken))).json()
    assert first["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    again = (await api.post(None, extensions=persisted(broken))).json()
    assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_mutation_registered_over_post_is_refused_over_get(api: Api) -> None:
    mutation = "mutation Out { sessionDelete { ended } }"
    await api.post(mutation, extensions=persisted(mutation))
    response = await api.get(None, extensions=persisted(mutation))
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"


# -- two API processes sharing Redis ------------------------------------------------------


def _environment(data_dir: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    return env | {
        "DETALKA_DATA_DIR": str(data_dir),
        "DETALKA_CAPTCHA": "disabled",
        "DETALKA_CACHE_URL": redis_url,
    }


@contextmanager
def api_process(env: dict[str, str], log: Path) -> Iterator[str]:
    """``detalka api`` on a free port, up and ready; yields its base URL."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "detalka", "api", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            eventually_sync(
                lambda: process_ready(process, base, log), explain=lambda _: log.read_text()
            )
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_an_apq_round_trip_misses_on_one_api_process_and_hits_on_another(
    tmp_path: Path, redis_url: str
) -> None:
    # given a migrated database and two API processes sharing one Redis store
    env = _environment(tmp_path / "var", redis_url)
    migrate = [sys.executable, "-m", "detalka", "migrate"]
    subprocess.run(migrate, env=env, check=True, capture_output=True, timeout=120)
    body = {"query": REGIONS, "extensions": persisted(REGIONS)}
    hash_only = {"extensions": persisted(REGIONS)}
    with ExitStack() as stack:
        first = stack.enter_context(api_process(env, tmp_path / "first.log"))
        second = stack.enter_context(api_process(env, tmp_path / "second.log"))
        # when the first process misses, then gets the full query
        miss = httpx.post(f"{first}/graphql", json=hash_only, timeout=10).json()
        assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = httpx.post(f"{first}/graphql", json=body, timeout=10).json()
        assert "errors" not in registered
        # then the second process, which never saw the document, answers the hash alone
        hit = httpx.post(f"{second}/graphql", json=hash_only, timeout=10).json()
        assert answer(hit) == answer(registered)


def test_the_store_is_shared_by_default_when_the_events_go_through_redis() -> None:
    embedded = Settings(_env_file=None)  # type: ignore[call-arg]
    distributed = Settings(_env_file=None, events_url="redis://10.0.0.5:6379/2")  # type: ignore[call-arg]
    chosen = Settings(_env_file=None, events_url="redis://a/1", cache_url="memory://")  # type: ignore[call-arg]
    assert embedded.cache_url == "memory://"
    assert distributed.cache_url == "redis://10.0.0.5:6379/2"
    assert chosen.cache_url == "memory://"
