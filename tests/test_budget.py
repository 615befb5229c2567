"""The cost budget's buckets (#14): take, refuse with the time to wait, give back, refill; in
memory and in Redis, where two API processes share one bucket per caller."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis

from detalka.adapters.budget import KEY_PREFIX, MemoryBudget, RedisBudget, budget_for
from tests.test_persisted_queries import _environment, api_process
from tests.test_query_cost import INTROSPECTING

GRAPHQL_RESPONSE = "application/graphql-response+json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_memory_bucket_takes_refuses_gives_back_and_refills() -> None:
    clock = Clock()
    budget = MemoryBudget(now=clock)
    # given a bucket of 100 refilling at 2 a second, 60 taken
    taken = await budget.spend("token:1", 60, 100, 2.0)
    assert (taken.allowed, taken.available) == (True, 40)
    # when 50 more are asked for, then nothing is taken and the wait is 10 / 2 seconds
    refused = await budget.spend("token:1", 50, 100, 2.0)
    assert (refused.allowed, refused.available, refused.retry_after) == (False, 40, 5.0)
    # when 30 are given back, then 70; giving back never fills past the capacity
    assert (await budget.spend("token:1", -30, 100, 2.0)).available == 70
    assert (await budget.spend("token:1", -500, 100, 2.0)).available == 100
    # when all is spent and 10 seconds pass, then 20 are back; another caller is untouched
    await budget.spend("token:1", 100, 100, 2.0)
    clock.now += 10
    assert (await budget.spend("token:1", 0, 100, 2.0)).available == 20
    assert (await budget.spend("token:2", 0, 100, 2.0)).available == 100


async def test_a_memory_budget_forgets_buckets_that_are_full_again() -> None:
    clock = Clock()
    budget = MemoryBudget(now=clock, max_keys=2)
    await budget.spend("a", 10, 100, 1.0)
    clock.now += 20  # "a" is full again after 10 seconds
    await budget.spend("b", 10, 100, 1.0)
    await budget.spend("c", 10, 100, 1.0)
    assert sorted(budget._buckets) == ["b", "c"]


async def test_a_redis_bucket_takes_refuses_gives_back_and_expires_when_full(
    redis_url: str,
) -> None:
    budget = RedisBudget(redis_url)
    rate = 0.001  # a point every 1000 s: the test's own seconds restore nothing that counts
    try:
        taken = await budget.spend("token:1", 60, 100, rate)
        assert taken is not None and taken.allowed and 40 <= taken.available < 40.01
        refused = await budget.spend("token:1", 50, 100, rate)
        assert refused is not None and not refused.allowed
        assert 9_990 < refused.retry_after <= 10_000  # 10 points short
        given_back = await budget.spend("token:1", -30, 100, rate)
        assert given_back is not None and 70 <= given_back.available < 70.01
        # the key lives until the bucket would be full again: 30 points, 30,000 s
        ttl = redis.Redis.from_url(redis_url).pttl(KEY_PREFIX + "token:1")
        assert 29_990_000 < ttl <= 30_001_000
        full = await budget.spend("token:1", -100, 100, rate)
        assert full is not None and full.available == 100
    finally:
        await budget.close()


async def test_a_redis_budget_that_is_away_lets_the_request_run_unmetered() -> None:
    budget = RedisBudget("redis://127.0.0.1:1/0")
    try:
        assert await budget.spend("token:1", 10, 100, 1.0) is None
    finally:
        await budget.close()


def test_two_api_processes_share_one_budget_through_redis(tmp_path: Path, redis_url: str) -> None:
    # given two API processes on one Redis, a budget of 100 that barely refills
    env = _environment(tmp_path / "var", redis_url) | {
        "DETALKA_COST_BUDGET": "100",
        "DETALKA_QUERY_COST_MAX": "100",
        "DETALKA_COST_RESTORE_RATE": "0.001",
    }
    migrate = [sys.executable, "-m", "detalka", "migrate"]
    subprocess.run(migrate, env=env, check=True, capture_output=True, timeout=120)
    with ExitStack() as stack:
        first = stack.enter_context(api_process(env, tmp_path / "first.log"))
        second = stack.enter_context(api_process(env, tmp_path / "second.log"))

        def ask(base: str) -> httpx.Response:
            headers = {"Accept": GRAPHQL_RESPONSE}
            return httpx.post(
                f"{base}/graphql", json={"query": INTROSPECTING}, headers=headers, timeout=30
            )

        # when the same caller spends 40 on the first process, then 40 on the second
        one, two = ask(first).json(), ask(second).json()
        # then the second saw what the first spent
        assert one["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 60
        assert two["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 20
        # and the next 40 is refused on either process, with the time to wait
        for base in (first, second):
            refused = ask(base)
            assert refused.status_code == 429
            assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
            assert int(refused.headers["retry-after"]) > 19_000


@pytest.mark.parametrize("url", ["memory://", "redis://127.0.0.1:6379/0"])
def test_the_budget_follows_the_cache_url(url: str) -> None:
    kind = RedisBudget if url.startswith("redis") else MemoryBudget
    assert isinstance(budget_for(url), kind)
