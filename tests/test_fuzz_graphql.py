"""#11's definition of done: schemathesis sends generated GraphQL operations, every query and
mutation of the committed SDL, signed in as the demo subscriber, to a real `detalka serve`
on PostgreSQL (SQLite without it, outside CI); none may answer HTTP 5xx or carry an
INTERNAL_SERVER_ERROR. Bounded: a few examples per operation, about a minute in all.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from detalka.schema import SDL_PATH
from tests.client import free_port
from tests.conftest import UNDER_CI, _create_postgres_database, _drop_postgres_database

SIGN_IN = """mutation { sessionCreate(input: {msisdn: "+79001234567", password: "demo-password",
  regionCode: "MOW"}) { token } }"""
# They end the very session the fuzzer signs in with (or change its password).
SESSION_ENDING = ["Mutation.sessionDelete", "Mutation.passwordChange"]
EXAMPLES = int(os.environ.get("DETALKA_FUZZ_EXAMPLES", "25"))

schema = schemathesis.graphql.from_path(SDL_PATH).exclude(name=SESSION_ENDING)


def _database_url() -> str | None:
    try:
        return asyncio.run(_create_postgres_database())
    except BaseException as skipped:  # pytest's skip outside CI: fall back to SQLite
        if UNDER_CI:
            raise
        print(f"fuzzing on SQLite: {skipped}")
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`detalka serve` (migrated, demo data seeded) and a session token of the demo login."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    database = _database_url()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    env |= {"DETALKA_DATA_DIR": str(data_dir / "var"), "DETALKA_CAPTCHA": "disabled"}
    if database:
        env["DETALKA_DATABASE_URL"] = database
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "detalka", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log_path)
        signed = httpx.post(f"{base}/graphql", json={"query": SIGN_IN}, timeout=30).json()
        yield base, signed["data"]["sessionCreate"]["token"]
        assert "Traceback" not in log_path.read_text(), "a traceback was logged"
    finally:
        process.terminate()
        process.wait(timeout=60)
        if database:
            asyncio.run(_drop_postgres_database(database))


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_operation_is_a_server_error(case: Any, server: tuple[str, str]) -> None:
    base, token = server
    response = case.call(base_url=f"{base}/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors") or ()]
    assert "INTERNAL_SERVER_ERROR" not in codes, response.text
    assert None not in codes, response.text  # every error carries a code
