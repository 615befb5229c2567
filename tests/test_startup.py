"""What a start costs: the models skip tortoise's source read for field comments, and the
API imports no heavy library it may never use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tortoise.models import Model

import detalka.models


def test_every_model_skips_tortoises_source_read_for_comments() -> None:
    models = [
        c
        for c in vars(detalka.models).values()
        if isinstance(c, type) and issubclass(c, Model) and c is not Model
    ]
    assert len(models) >= 20
    missing = [m.__name__ for m in models if m.__dict__.get("_no_comments") is not True]
    assert missing == [], f"add `_no_comments = True` to {missing} (see detalka/models)"


def test_redis_connection_trouble_is_still_transient_by_name() -> None:
    import redis.exceptions

    from detalka.adapters.transient import is_transient

    for error in (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.BusyLoadingError,
    ):
        assert is_transient(error("away"))
    assert not is_transient(redis.exceptions.ResponseError("WRONGTYPE"))


# Heavy imports the API must not pay for at start: each is imported where it is first used.
NOT_AT_START = (
    "redis",  # ~0.3 s of CPU; the embedded mode never talks to it
    "httpx",  # ~0.1 s (click, rich, pygments); only an SMS gateway or a webhook needs it
    "PIL",  # ~30 ms; the first captcha
    "asyncpg",  # ~40 ms; PostgreSQL only (tortoise imports it when it connects)
    "openpyxl",  # the renderers: the first report of their format
    "reportlab",
)


def test_the_app_starts_without_importing_what_it_may_never_use(tmp_path: Path) -> None:
    code = (
        "import sys, detalka.cli, detalka.web.app, detalka.settings as s; "
        "detalka.web.app.create_app(s.load_settings()); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(NOT_AT_START)!r}))"
    )
    env = {**os.environ, "DETALKA_DATA_DIR": str(tmp_path)}
    env.pop("DETALKA_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "[]"


def test_asyncpg_connection_trouble_is_still_transient_by_name() -> None:
    import asyncpg.exceptions as pg

    from detalka.adapters.transient import is_transient

    families = (pg.InterfaceError, pg.PostgresConnectionError, pg.InternalClientError)
    members = {
        c
        for c in vars(pg).values()
        if isinstance(c, type) and issubclass(c, families) and not issubclass(c, Warning)
    }
    assert len(members) > len(families)  # the subclasses too (ConnectionDoesNotExistError...)
    for error in members:
        assert is_transient(error("away")), error
    assert not is_transient(pg.UniqueViolationError("duplicate key"))


_COLLECTOR_AT_SERVE = """
import gc, sys, uvicorn
import detalka.cli
seen = {}
def run(app, **options):
    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())
uvicorn.run = run
assert detalka.cli.main(sys.argv[1:]) == 0
print(seen["enabled"], seen["frozen"] > 50_000)
detalka.cli.app_from_environment()  # a process of --workers N pauses and resumes its own
print(gc.isenabled())
"""


def test_the_api_starts_with_the_collector_paused_then_serves_with_it_running(
    tmp_path: Path,
) -> None:
    # start-up's objects are frozen (no collection walks them again) before the first request
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    env["DETALKA_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTOR_AT_SERVE, "api", "--port", "8000"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert done.stdout.split() == ["True", "True", "True"]


def test_other_commands_leave_the_collector_alone(tmp_path: Path) -> None:
    code = "import gc, detalka.cli; detalka.cli.main(['schema']); print(gc.get_freeze_count())"
    env = {**os.environ, "DETALKA_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0"
