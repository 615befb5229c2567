"""`detalka api --workers N`: N processes serve one port, each with its own app."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from detalka.cli import _run_api
from detalka.db import apply_migrations
from tests.conftest import make_settings
from tests.test_serve import REGIONS, free_port


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_api_with_two_workers_answers_from_two_processes_on_one_port(tmp_path: Path) -> None:
    # given a migrated database
    data_dir = tmp_path / "var"
    asyncio.run(apply_migrations(make_settings(data_dir)))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    env |= {"DETALKA_DATA_DIR": str(data_dir), "DETALKA_CAPTCHA": "disabled"}
    log = (tmp_path / "api.log").open("w")
    # when the API starts with two workers
    process = subprocess.Popen(
        [sys.executable, "-m", "detalka", "api", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        answered = 0
        while answered < 4:  # a few answers: both workers have had time to come up
            assert process.poll() is None, (tmp_path / "api.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()
            try:
                body = httpx.post(f"{base}/graphql", json={"query": REGIONS}, timeout=5).json()
                assert body["data"]["regions"] == []  # migrated, not seeded
                answered += 1
            except httpx.TransportError:
                time.sleep(0.5)
        # then the regions answer, and the parent runs two worker processes
        children = _children(process.pid)
        workers = [pid for pid in children if "spawn_main" in _cmdline(pid)]
        assert len(workers) == 2, [_cmdline(pid) for pid in children]
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.parametrize("workers", [1, 2])
def test_api_never_lets_uvicorn_trust_forwarded_headers(
    workers: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given uvicorn.run caught before it serves
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    # when the API starts with one worker or several
    args = argparse.Namespace(host="127.0.0.1", port=free_port(), workers=workers)
    assert _run_api(make_settings(tmp_path / "var"), args) == 0
    # then uvicorn never rewrites the client from X-Forwarded-For (uvicorn trusts 127.0.0.1 by
    # default, which would let any local caller choose its per-address rate-limit bucket)
    assert seen["proxy_headers"] is False
