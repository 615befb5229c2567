"""Tortoise configuration and migrations, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext, set_global_context

from detalka.models.usage_days import sync_region_zones
from detalka.settings import Settings

APP_LABEL = "detalka"
MODELS_MODULE = "detalka.models"
MIGRATIONS_MODULE = "detalka.models.migrations"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.database_url
    if settings.database_kind == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # WAL and a busy timeout let the worker write while the API reads (DESIGN.md 7).
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}journal_mode=WAL&busy_timeout=10000&foreign_keys=ON"
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    config = expand_db_url(url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return url
    config["credentials"]["reset"] = keep_session_state  # asyncpg.create_pool's `reset`
    return config


async def keep_session_state(connection: object) -> None:
    """What asyncpg's pool does to a connection it gets back, beyond what it always does.

    By default, after every statement tortoise runs outside a transaction, a round trip of
    ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``: 5 of a
    dashboard request's 10 round trips, 0.45 ms of its 3.8 ms of CPU (12%). Nothing in
    Detalka leaves session state on a pooled connection for it to undo: no ``SET`` outside a
    transaction, no session advisory lock (the one lock is ``pg_advisory_xact_lock``), no
    ``LISTEN`` (live updates go through Redis), no cursor kept past its transaction;
    tests/test_pooled_connections.py keeps the SQL that way. What the pool always does stays: a
    transaction left open is rolled back, listeners are dropped.
    """
    return None


async def apply_migrations(settings: Settings) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database."""
    # Here, not at the top: the API process never migrates (~10 ms of its start).
    from tortoise.migrations.api import migrate

    # A context of its own, closed on the way out, so that no caller inherits it.
    async with TortoiseContext():
        await migrate(config=tortoise_config(settings))
        # SQLite's usage_day triggers read zone offsets: a newer tz database shows here.
        await sync_region_zones()


async def open_database(settings: Settings) -> TortoiseContext:
    """Open the process-wide Tortoise context (the fallback for every task on this loop).

    For commands, benches and the test suite; the API opens its own in the Starlette lifespan
    (``RegisterTortoise``), which does the same.
    """
    ctx = TortoiseContext()
    with ctx:  # current while it loads the models; the global fallback outlives the block
        await ctx.init(config=tortoise_config(settings))
    set_global_context(ctx)  # cleared again by ctx.close_connections()
    return ctx


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[TortoiseContext]:
    """The database, open for the duration of a command."""
    ctx = await open_database(settings)
    try:
        yield ctx
    finally:
        await ctx.close_connections()
