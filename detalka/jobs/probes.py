"""Is each thing a process depends on there? The database, the broker, the events bus and
the file store, each asked once with a short timeout; ``readyz`` and a worker that starts
ask the same questions."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from tortoise import connections

PROBE_TIMEOUT_S = 3.0
Probe = Callable[[], Awaitable[None]]


async def database() -> None:
    """The current Tortoise context's connection answers ``SELECT 1``."""
    await connections.get("default").execute_query("SELECT 1")


def broker_probe(broker: dramatiq.Broker) -> Probe:
    """A round trip to the broker (Redis PING; a RabbitMQ channel opened and closed)."""

    def ask() -> None:
        if isinstance(broker, StubBroker):
            return
        client = getattr(broker, "client", None)
        if client is not None:  # RedisBroker
            client.ping()
            return
        import pika

        # RabbitmqBroker: one URL gives a URLParameters, several (or keywords) a list.
        parameters = getattr(broker, "parameters", None)
        if parameters:
            first = parameters[0] if isinstance(parameters, list) else parameters
            if isinstance(first, dict):
                first = pika.ConnectionParameters(**first)
            probing = copy.copy(first)  # the broker's own connections keep their timeouts
            probing.socket_timeout = PROBE_TIMEOUT_S
            probing.blocked_connection_timeout = PROBE_TIMEOUT_S
            pika.BlockingConnection(probing).close()

    async def probe() -> None:
        await asyncio.to_thread(ask)

    return probe


async def run(probes: dict[str, Probe]) -> dict[str, str]:
    """Each probe's answer: "ok" or why not; all asked at once, none longer than 3 s."""

    async def one(probe: Probe) -> str:
        try:
            await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        return "ok"

    answers = await asyncio.gather(*(one(p) for p in probes.values()))
    return dict(zip(probes, answers, strict=True))


def queue_depths(broker: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting in each of the broker's queues (blocking: call off the loop)."""
    depths: dict[str, int] = {}
    any_broker: Any = broker
    for queue in sorted(broker.get_declared_queues()):
        if isinstance(broker, StubBroker):
            depths[queue] = broker.queues[queue].qsize()
        elif getattr(broker, "client", None) is not None:  # RedisBroker: a list per queue
            depths[queue] = int(any_broker.client.llen(f"{any_broker.namespace}:{queue}"))
        else:  # RabbitmqBroker: (ready, delayed, dead)
            depths[queue] = int(any_broker.get_queue_message_counts(queue)[0])
    return depths
