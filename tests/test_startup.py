"""What a start costs: the models skip tortoise's source read for field comments."""

from __future__ import annotations

import subprocess
import sys

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


def test_the_app_starts_without_importing_redis() -> None:
    # the embedded mode never talks to redis: importing it cost ~0.3 s of CPU at every start
    code = "import sys, detalka.web.app; print(sorted(m for m in sys.modules if 'redis' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
