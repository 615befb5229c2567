"""Detalka distributed on loopback for the end-to-end and fault tests: real `detalka api`,
`worker --queues ...` and `scheduler` processes on a fresh PostgreSQL database, S3 (moto),
SMTP (aiosmtpd), an SMS gateway, and Redis servers of the test's own that it may stop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.mail import Inbox, free_port
from tests.objects import S3Server, s3_server

DEMO = {"msisdn": "+79001234567", "password": "demo-password", "regionCode": "MOW"}
ORDER_FIELDS = "id status deliveryStatus updatedAt document { sha256 sizeBytes downloadUrl }"
CREATE = (
    "mutation($i: DetailOrderInput!) { detailOrderCreate(input: $i) "
    f"{{ order {{ {ORDER_FIELDS} }} userErrors {{ code message }} }} }}"
)
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on DetailOrder {{ {ORDER_FIELDS} }} }} }}"
FOLLOW = """
subscription($id: ID, $since: DateTime) {
  detailOrderUpdated(id: $id, since: $since) { id status updatedAt }
}
"""
PASSWORD_REQUEST = "mutation($i: PasswordRequestInput!) { passwordRequest(input: $i) { accepted } }"
START_S = 240
SIGN_IN = "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }"


def last_month() -> dict[str, str]:
    """The last full month: seeded history for the demo account, never the future."""
    first_of_this = datetime.now(UTC).date().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return {"from": last.replace(day=1).isoformat(), "to": last.isoformat()}


def global_id(pk: int, type_name: str = "DetailOrder") -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


class SmsGateway:
    """A real HTTP SMS gateway: every POST kept with the moment it arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                gateway.received.append((time.monotonic(), json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RedisServer:
    """A redis-server of the test's own (no persistence): one that it may stop and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            [binary, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(self.port), 10, "redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return f"--- {self.name} ---\n" + "\n".join(text[-lines:])


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    database_name: str
    processes: dict[str, Process] = field(default_factory=dict)

    def _spawn(self, name: str, *args: str, port: int = 0) -> Process:
        log = self.workdir / f"{name}.log"
        # A data directory of its own: files reach another process only through the bucket.
        env = {**self.env, "DETALKA_DATA_DIR": str(self.workdir / f"data-{name}")}
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "detalka", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        process = Process(name, popen, log, port)
        self.processes[name] = process
        return process

    def start_api(self, name: str, port: int | None = None) -> Process:
        port = port or free_port()
        process = self._spawn(name, "api", "--port", str(port), port=port)
        self._wait_http(process, f"http://{process.address}/healthz")
        return process

    def start_worker(self, name: str, queues: str, threads: int = 2) -> Process:
        port = free_port()
        process = self._spawn(
            name,
            "worker",
            "--queues",
            queues,
            "--threads",
            str(threads),
            "--metrics-port",
            str(port),
            "--shutdown-timeout",
            "5",
            port=port,
        )
        self._wait_http(process, f"http://{process.address}/healthz")
        return process

    def start_scheduler(self, name: str, every_s: int = 1) -> Process:
        return self._spawn(name, "scheduler", "--every", str(every_s))

    def _wait_http(self, process: Process, url: str) -> None:
        def up() -> bool:
            assert process.popen.poll() is None, process.tail()
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        # A start-up deadline, not a measure (an API's start took over a minute in a full run)
        wait_until(up, START_S, f"{process.name} did not come up\n{process.tail()}")

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no acknowledgements, nothing flushed."""
        process = self.processes.pop(name)
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes.values():
            try:
                process.popen.wait(15)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(5)

    def logs(self) -> str:
        return "\n".join(p.tail() for p in self.processes.values())


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Any, timeout_s: float, message: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def cluster_env(settings: dict[str, str], workdir: Path) -> dict[str, str]:
    """The processes' environment: only what is given (no .env, no developer's settings)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "DETALKA_DATA_DIR": str(workdir / "var"),
        "DETALKA_CAPTCHA": "disabled",
        "DETALKA_LOG_LEVEL": "INFO",
        # 20 renders of one subscriber queued at once (the SMS test): past the default cap
        "DETALKA_MAX_QUEUED_ORDERS": "50",
    }
    env.update(settings)
    return env


def migrate_and_seed(env: dict[str, str], workdir: Path) -> None:
    """`detalka migrate` and a seed of the demo account with its history."""
    for args in (["migrate"], ["seed", "--subscribers", "1", "--months", "2", "--no-progress"]):
        subprocess.run(
            [sys.executable, "-m", "detalka", *args],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
            timeout=180,
        )


class SmtpSink:
    """aiosmtpd on a port of its own that a test may stop and start again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Deployment:
    cluster: Cluster
    smtp: SmtpSink
    sms: SmsGateway
    s3: S3Server
    database_url: str


@asynccontextmanager
async def deployment(
    workdir: Path, broker_url: str, events_url: str, **settings: str
) -> AsyncIterator[Deployment]:
    """A fresh database (migrated, the demo account seeded), a bucket, SMTP and SMS sinks;
    the processes the test starts are stopped at the end (their logs printed on failure)."""
    from tests.conftest import _create_postgres_database, _drop_postgres_database

    database_url = await _create_postgres_database()
    smtp = SmtpSink()
    smtp.start()
    sms = SmsGateway()
    try:
        with s3_server() as s3:
            env = cluster_env(
                {
                    "DETALKA_DATABASE_URL": database_url,
                    "DETALKA_BROKER_URL": broker_url,
                    "DETALKA_EVENTS_URL": events_url,
                    "DETALKA_SMTP_URL": smtp.url,
                    "DETALKA_SMS_GATEWAY_URL": sms.url,
                    **{
                        f"DETALKA_{k.upper()}": v
                        for k, v in s3.settings().items()
                        if isinstance(v, str)
                    },
                    "DETALKA_S3_SECRET_ACCESS_KEY": "test",
                    **settings,
                },
                workdir,
            )
            await asyncio.to_thread(migrate_and_seed, env, workdir)
            cluster = Cluster(env, workdir, database_url)
            try:
                yield Deployment(cluster, smtp, sms, s3, database_url)
            except BaseException:
                print(cluster.logs())
                raise
            finally:
                cluster.stop_all()
    finally:
        sms.close()
        smtp.stop()
        await _drop_postgres_database(database_url)


def purge_amqp(url: str) -> None:
    """Empty the Detalka queues of a RabbitMQ virtual host."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    with connection:
        for queue in ("render", "mail", "sms", "housekeeping"):
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                try:
                    connection.channel().queue_purge(name)
                except pika.exceptions.ChannelClosedByBroker:  # not declared yet
                    pass


class Client:
    """A subscriber's client of one API process (HTTP)."""

    def __init__(self, address: str, token: str = "") -> None:
        self.address = address
        self.token = token
        self.http = httpx.AsyncClient(base_url=f"http://{address}", timeout=30)

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def sign_in(self) -> str:
        self.token = (await self.call(SIGN_IN, {"i": DEMO}))["sessionCreate"]["token"]
        return self.token

    async def create(self, **given: Any) -> Any:
        order_input = {"period": last_month(), "format": "CSV", "delivery": "ARCHIVE", **given}
        created = (await self.call(CREATE, {"i": order_input}))["detailOrderCreate"]
        assert created["userErrors"] == [], created
        return created["order"]

    async def order(self, order_id: str) -> Any:
        return (await self.call(NODE, {"id": order_id}))["node"]

    async def wait_ready(self, order_ids: list[str], deadline_s: float) -> float:
        """Seconds until every order is READY (an ended other status fails)."""
        started = time.monotonic()
        waiting = set(order_ids)
        while waiting:
            for order_id in sorted(waiting):
                status = (await self.order(order_id))["status"]
                assert status in {"PENDING", "RENDERING", "READY"}, (order_id, status)
                if status == "READY":
                    waiting.discard(order_id)
            elapsed = time.monotonic() - started
            assert elapsed < deadline_s, f"not READY after {elapsed:.0f} s: {sorted(waiting)}"
            if waiting:
                await asyncio.sleep(0.25)
        return time.monotonic() - started

    async def download(self, url: str) -> httpx.Response:
        path = "/files/" + url.rsplit("/files/", 1)[1]
        return await self.http.get(path)

    async def close(self) -> None:
        await self.http.aclose()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
