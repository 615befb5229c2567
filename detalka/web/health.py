"""Liveness and readiness probes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from detalka.jobs import probes


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


def readyz_endpoint(
    checks: dict[str, probes.Probe],
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """The process can do its work: the database, the broker, the events bus and the file
    store each answer (asked at once, 3 s at most); 503 naming what does not."""

    async def readyz(request: Request) -> JSONResponse:
        answers = await probes.run(checks)
        ready = all(answer == "ok" for answer in answers.values())
        body = {"status": "ok" if ready else "unavailable", **answers}
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz
