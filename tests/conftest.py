"""Shared fixtures: a migrated database per backend (SQLite file, fresh PostgreSQL database).

Every test that asks for ``db`` runs once on SQLite and once on PostgreSQL. PostgreSQL is
taken from ``DETALKA_TEST_POSTGRES_URL`` (default: loopback, trust auth). Under CI
(``CI=true``) an unreachable server is a failure; elsewhere those tests skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import redis
from tortoise.backends.base.executor import EXECUTOR_CACHE

from detalka.db import apply_migrations, open_database
from detalka.seed import SeedReport, seed_database
from detalka.settings import Settings
from tests.mail import Inbox, smtp_server
from tests.ordering import Ordering, working
from tests.sign_in import SignIn, signing_in

POSTGRES_ADMIN_URL = os.environ.get(
    "DETALKA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def _create_postgres_database() -> str:
    name = f"detalka_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if UNDER_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own data dir, captcha off, no per-address limits, nothing read
    from the environment."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "captcha": "disabled",
        "_env_file": None,
        # Every test calls from 127.0.0.1 into one shared database: limits per address are
        # for tests/test_sign_in_abuse.py, which sets its own.
        "sign_in_failures_per_address": 100_000,
        "captchas_per_minute": 10_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def db_settings(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    if backend == "sqlite":
        yield make_settings(data_dir)
        return
    url = await _create_postgres_database()
    try:
        yield make_settings(data_dir, database_url=url)
    finally:
        await _drop_postgres_database(url)


@pytest.fixture(scope="session")
async def db(db_settings: Settings) -> AsyncIterator[Settings]:
    """A migrated database, open as the process-wide Tortoise context."""
    # Tortoise caches insert SQL by connection *name*; both backends are "default" here.
    EXECUTOR_CACHE.clear()
    await apply_migrations(db_settings)
    ctx = await open_database(db_settings)
    try:
        yield db_settings
    finally:
        await ctx.close_connections()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "var"


# -- seeded demo data (detalka.seed) ------------------------------------------------------

SEED = 20261124
SEED_SUBSCRIBERS = 8
SEED_MONTHS = 4
SEED_NOW = datetime(2026, 3, 18, 9, 45, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
async def seeded(db: Settings) -> SeedReport:
    """A small crowd with the demo account, seeded once per backend into the shared database.

    Other modules write to that database too: scope queries to ``subscriber_ids``.
    """
    return await seed_database(
        SEED_SUBSCRIBERS, SEED_MONTHS, SEED, now=SEED_NOW, progress=False, demo=True
    )


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("DETALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis is not reachable at {url}: {exc}")
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    redis.Redis.from_url(url).flushdb()
    yield url


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server on loopback: its inbox and URL."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def amqp_url() -> Iterator[str]:
    """RabbitMQ on loopback, its default queues emptied (skipped without it, failed on CI)."""
    import pika

    url = os.environ.get("DETALKA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except Exception as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"RabbitMQ is not reachable at {url}: {exc}")
        pytest.skip(f"RabbitMQ is not reachable at {url}: {exc}")
    with connection:
        queues = ("default", "render", "mail", "sms", "housekeeping")
        for queue in (f"{q}{suffix}" for q in queues for suffix in ("", ".DQ", ".XQ")):
            try:
                connection.channel().queue_purge(queue)
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing queued
                pass
    yield url


@pytest.fixture
async def mailing(
    db: Settings, tmp_path: Path, smtp: tuple[Inbox, str]
) -> AsyncIterator[tuple[Ordering, Inbox]]:
    """The API and a worker whose mail goes to the loopback SMTP server."""
    inbox, url = smtp
    async with working(db.model_copy(update={"data_dir": tmp_path, "smtp_url": url})) as opened:
        yield opened, inbox


@pytest.fixture
async def signin(db: Settings, tmp_path: Path) -> AsyncIterator[SignIn]:
    """The API with a known image captcha and a worker that sends SMS (tests/sign_in.py)."""
    async with signing_in(db, tmp_path) as opened:
        yield opened


def _open_sqlite(candidate: object, connection_type: type) -> bool:
    try:
        return isinstance(candidate, connection_type) and getattr(candidate, "_running", False)
    except ReferenceError:  # a weakref.proxy whose object is gone (isinstance asks it)
        return False


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the thread of any SQLite connection a test left open: aiosqlite's threads are
    not daemons, so one left behind kept pytest from exiting after its summary (seen in
    full runs: the run passed, then hung). Which test leaves it is not found yet; the
    threads are stopped here with aiosqlite's own ``stop()``, and the count is reported."""
    import gc
    import warnings

    import aiosqlite

    # (`_running` is aiosqlite's flag of a connection not yet closed or stopped)
    left = [c for c in gc.get_objects() if _open_sqlite(c, aiosqlite.Connection)]
    for connection in left:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            connection.stop()
    if left:
        print(f"\nconftest: stopped {len(left)} SQLite connection thread(s) left open by tests")
