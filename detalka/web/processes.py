"""``detalka api --workers N``: N API processes on one port, each with a listening socket of
its own (``SO_REUSEPORT``), so the kernel spreads new connections over them.

uvicorn's own ``--workers`` shares one listening socket: whichever process wakes first
accepts every connection waiting (asyncio accepts up to the backlog at one wake-up), so a
burst of keep-alive connections, as a load balancer or an aggregator opens them, can all land
in one process while the others idle (measured: 16 connections, one process at 97% CPU, the
other at 0%, in two rounds of three; bench/scaling.py prints each process's share). With a
socket per process, Linux hashes each new connection to one of them.

The parent only supervises: it starts the processes, starts a new one when one dies, and on
SIGTERM or SIGINT passes the signal on (uvicorn then finishes the requests in flight) and
waits for them. Where ``SO_REUSEPORT`` does not exist, uvicorn's shared socket is used.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger(__name__)
STOP_WAIT_S = 30  # the processes' own graceful shutdown, then they are killed
APP = "detalka.cli:app_from_environment"


def available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def worker_config(host: str, port: int, log_level: str) -> uvicorn.Config:
    """One process's server: the app built from the environment (each process its own)."""
    return uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by itself; the client address
        # is web/client_address.py's, from DETALKA_TRUSTED_PROXIES only.
        proxy_headers=False,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_one(host: str, port: int, log_level: str) -> None:  # pragma: no cover - a child
    sock = listening_socket(host, port)
    uvicorn.Server(worker_config(host, port, log_level)).run(sockets=[sock])


def serve(workers: int, host: str, port: int, log_level: str) -> None:
    """Run ``workers`` API processes until SIGTERM or SIGINT; restart any that dies."""
    # Bound here first: a port in use fails the command at once, not in every child.
    guard = listening_socket(host, port)
    guard.close()
    spawn = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def start() -> Any:
        process = spawn.Process(target=_serve_one, args=(host, port, log_level), daemon=False)
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    processes = [start() for _ in range(workers)]
    log.info("api: %d processes on %s:%d, a socket each (SO_REUSEPORT)", workers, host, port)
    try:
        while not stopping:
            time.sleep(0.5)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    log.error(
                        "api: process %d exited (%s); starting another",
                        process.pid,
                        process.exitcode,
                    )
                    processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_WAIT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
