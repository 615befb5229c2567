"""`detalka api --workers N`: N processes serve one port, each with its own app."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from detalka.cli import _run_api
from detalka.db import apply_migrations
from detalka.web import processes
from tests.conftest import make_settings
from tests.polling import eventually_sync
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


@contextmanager
def two_processes(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`detalka api --workers 2` on a migrated database and a free port; its log in
    tmp_path/api.log. Stopped (SIGTERM) on the way out."""
    data_dir = tmp_path / "var"
    asyncio.run(apply_migrations(make_settings(data_dir)))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    env |= {"DETALKA_DATA_DIR": str(data_dir), "DETALKA_CAPTCHA": "disabled"}
    with (tmp_path / "api.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "detalka", "api", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process, port
        finally:
            process.terminate()
            process.wait(60)


def test_api_with_two_workers_answers_from_two_processes_on_one_port(tmp_path: Path) -> None:
    # given a migrated database, when the API starts with two workers
    with two_processes(tmp_path) as (process, port):
        base = f"http://127.0.0.1:{port}"
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


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_api_never_lets_uvicorn_trust_forwarded_headers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given uvicorn.run caught before it serves
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    # when the API starts as one process
    args = argparse.Namespace(host="127.0.0.1", port=free_port(), workers=1)
    assert _run_api(make_settings(tmp_path / "var"), args) == 0
    # then uvicorn never rewrites the client from X-Forwarded-For (uvicorn trusts 127.0.0.1 by
    # default, which would let any local caller choose its per-address rate-limit bucket),
    # nor in each process of several
    assert seen["proxy_headers"] is False
    assert processes.worker_config("127.0.0.1", 8000, "info").proxy_headers is False


def test_several_processes_each_take_their_share_of_a_burst_of_connections(
    tmp_path: Path,
) -> None:
    # given the API with two processes, each with a listening socket of its own
    with two_processes(tmp_path) as (_, port):
        eventually_sync(lambda: _sockets_listening(port) == 2, timeout_s=120)
        # when 32 keep-alive connections open at once (as a balancer's pool does)
        served_by = asyncio.run(_burst(port, 32))
        # then both processes got some of them (uvicorn's one shared socket gave one process
        # all of a burst: the first to wake accepts every waiting connection)
        assert len(served_by) == 2, served_by


def _sockets_listening(port: int) -> int:
    """Listening TCP sockets on ``port`` (/proc/net/tcp: state 0A is LISTEN)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            count += 1
    return count


async def _burst(port: int, connections: int) -> dict[int, int]:
    """Open ``connections`` at once; each asks /healthz and says which process answered
    (the pid that owns the connection's server side, from /proc)."""
    opened = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(connections))
    )
    try:
        for reader, writer in opened:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        by_pid: dict[int, int] = {}
        for _, writer in opened:
            local_port = writer.get_extra_info("sockname")[1]
            pid = _owner_of_peer(port, local_port)
            by_pid[pid] = by_pid.get(pid, 0) + 1
        return by_pid
    finally:
        for _, writer in opened:
            writer.close()


def _owner_of_peer(port: int, client_port: int) -> int:
    """The pid holding the server side of the connection from ``client_port`` to ``port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == port and int(remote[1], 16) == client_port:
            inode = fields[9]
    assert inode is not None, client_port
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                return int(fd.parent.parent.name)
        except OSError:
            continue
    raise AssertionError(f"no process holds socket {inode}")
