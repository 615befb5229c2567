"""A real JavaScript client (#12): Apollo Client 4 and graphql-ws 6 under Node, installed from
npm into tests/js by scripts/test, run against a real server.

Under CI (``CI=true``) a missing Node or an uninstalled tests/js fails; elsewhere the test
skips, saying why."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import served
from tests.conftest import UNDER_CI
from tests.factories import NOW, OCTOBER, PASSWORD, MovableClock, subscriber_with_history

# The server runs on the shared session database; SQLite is enough for a client's view.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CLIENT_DIR = Path(__file__).resolve().parent / "js"
CLIENT_TIMEOUT_S = 120


def node_or_skip() -> str:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "Node.js is not installed (apt-get install nodejs, v20 or newer)"
    elif not (CLIENT_DIR / "node_modules" / "@apollo" / "client").is_dir():
        reason = "tests/js is not installed: scripts/test runs `npm ci` there"
    if reason is None:
        assert node is not None
        return node
    if UNDER_CI:
        pytest.fail(f"{reason} (CI=true: the JavaScript client test may not skip)")
    pytest.skip(reason)


@dataclass
class Target:
    base: str
    msisdn: str


@pytest.fixture
async def target(db: Settings, tmp_path: Path) -> AsyncIterator[Target]:
    """A server with a worker, and a subscriber with October's usage (120 records)."""
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, jobs=jobs)
    subscriber = await subscriber_with_history()
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async with served(app) as address:
            yield Target(f"http://{address}", subscriber.msisdn)
    jobs.broker.close()


async def run_client(node: str, target: Target) -> dict[str, Any]:
    # Asynchronously: the server answering the client runs on this very event loop.
    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT_DIR / "client.mjs"),
        target.base,
        target.msisdn,
        PASSWORD,
        "MOW",
        OCTOBER["from"],
        OCTOBER["to"],
        cwd=CLIENT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), CLIENT_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        raise
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_apollo_and_graphql_ws_sign_in_page_usage_and_follow_an_order_to_ready(
    target: Target,
) -> None:
    node = node_or_skip()
    # when the JavaScript client does what a dashboard does
    seen = await run_client(node, target)
    # then it signed in and paged usage: two pages of 10, merged by the cache, no repeats
    assert seen["signedIn"] is True
    assert seen["usagePages"] == [10, 10]
    assert len(seen["usageMerged"]) == len(set(seen["usageMerged"])) == 20
    # and the order it placed reached READY over the socket, with its document
    assert seen["statuses"][-1] == "READY"
    assert seen["statuses"][0] in {"PENDING", "RENDERING", "READY"}
    assert seen["document"]["fileName"].endswith(".csv")
    # and the persisted-query link missed once (by GET), sent the query, then hit by GET
    regions = [(r["method"], r["sentQuery"], r["code"]) for r in seen["regionsRequests"]]
    assert regions == [
        ("GET", False, "PERSISTED_QUERY_NOT_FOUND"),
        ("POST", True, None),
        ("GET", False, None),
    ]
    # and no request of the whole run failed otherwise
    codes = {r["code"] for r in seen["requests"]}
    assert codes <= {None, "PERSISTED_QUERY_NOT_FOUND"}
