"""The ``detalka`` console script."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from detalka.jobs.app import Jobs
    from detalka.settings import Settings

# Nothing heavy at the top (tortoise, pydantic, the schema): main() imports it with the
# collector paused when the command is the API (see _StartUp).

DEMO_LOGIN = ("+79001234567", "MOW", "demo-password")


class StartupError(Exception):
    """Start-up cannot go on; the message is one line for the operator."""


class _StartUp:
    """The API's start-up runs with the cyclic garbage collector paused, then frozen.

    Start-up (the libraries, the models, the schema, the app) allocates ~150,000 objects
    that live as long as the process; the collector walked them ~240 times on the way, 0.15 s
    (8%) of a warm start on the 2-core VM. Frozen, they join the permanent generation, which
    no later collection walks either; the few cycles start-up leaves (~1,300 objects) stay.
    The collector runs as before from the moment the app is built, before any request."""

    paused = False

    @classmethod
    def pause(cls) -> None:
        if gc.isenabled():  # a caller that paused it itself keeps it so
            gc.disable()
            cls.paused = True

    @classmethod
    def end(cls) -> None:
        if cls.paused:
            cls.paused = False
            gc.freeze()
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[Settings, argparse.Namespace], int] = args.command
    if command is cmd_api:  # ended by _run_api once the app is built
        _StartUp.pause()
    from detalka.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        if command in {cmd_api, cmd_worker, cmd_scheduler, cmd_serve}:
            from detalka.adapters.logs import configure_logging

            configure_logging(settings.log_level, json_lines=settings.log_format == "json")
        return command(settings, args)
    except (ConfigError, StartupError) as exc:
        print(f"detalka: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        _StartUp.end()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="detalka", description="Detalka: subscriber self-service over the bill (GraphQL)."
    )
    sub = parser.add_subparsers(required=True, metavar="command")

    serve = sub.add_parser("serve", help="embedded mode: migrate, seed demo data, run the API")
    _add_listen_options(serve)
    serve.set_defaults(command=cmd_serve)

    api = sub.add_parser("api", help="distributed mode: run the API (N processes on one port)")
    _add_listen_options(api)
    api.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="API processes sharing the port (uvicorn workers); one API process is CPU-bound",
    )
    api.set_defaults(command=cmd_api)

    _add_worker_parser(sub)

    scheduler = sub.add_parser(
        "scheduler",
        help="distributed mode: send the minutely messages (due schedules, reaper, purge)",
    )
    scheduler.add_argument("--every", type=_positive, default=30, help="seconds between rounds")
    scheduler.add_argument("--once", action="store_true", help="one round, then exit (cron)")
    scheduler.set_defaults(command=cmd_scheduler)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(command=cmd_migrate)

    seed = sub.add_parser("seed", help="generate realistic data (deterministic for a seed)")
    seed.add_argument("--subscribers", type=_positive, default=100)
    seed.add_argument("--months", type=_positive, default=12)
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    seed.set_defaults(command=cmd_seed)

    sub.add_parser("schema", help="print the GraphQL SDL").set_defaults(command=cmd_schema)
    return parser


def _add_worker_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="distributed mode: run one Dramatiq worker process")
    worker.add_argument("--threads", type=_positive, default=4)
    worker.add_argument(
        "--queues",
        type=_queues,
        default=None,
        help="comma-separated queues to consume: render, mail, sms, housekeeping (default: all)",
    )
    worker.add_argument(
        "--shutdown-timeout",
        type=_positive,
        default=600,
        help="seconds a SIGTERM waits for the messages in progress to finish",
    )
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="serve /metrics and /healthz on this port (0: off)",
    )
    worker.add_argument("--metrics-host", default="127.0.0.1")
    worker.add_argument(
        "--wait",
        type=_positive,
        default=30,
        help="seconds to wait for the database and broker at start-up before giving up",
    )
    worker.set_defaults(command=cmd_worker)


def _add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)


def _queues(value: str) -> set[str]:
    from detalka.jobs.registry import ALL_QUEUES

    chosen = {q.strip() for q in value.split(",") if q.strip()}
    unknown = chosen - set(ALL_QUEUES)
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown queue(s) {', '.join(sorted(unknown)) or '(none)'}; "
            f"choose from {', '.join(ALL_QUEUES)}"
        )
    return chosen


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from detalka.db import database
    from detalka.seed import ensure_demo_data

    async def prepare() -> None:
        await _migrate(settings)
        if settings.is_production:
            return
        async with database(settings):
            report = await ensure_demo_data()
        if report is not None:
            print(f"Seeded demo data: {report}", flush=True)

    asyncio.run(prepare())
    base = f"http://{args.host}:{args.port}"
    print(f"Detalka is up: {base}/graphql (GraphiQL in a browser)", flush=True)
    print(f"Subscriber's cabinet: {base}/app/", flush=True)
    if not settings.is_production:
        msisdn, region, password = DEMO_LOGIN
        print(f"Demo login: {msisdn}, region {region}, password {password}", flush=True)
    return _run_api(settings, args)


def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    return _run_api(settings, args)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    import signal
    import threading

    from detalka.jobs.app import Jobs
    from detalka.jobs.runtime import WorkerProcess

    jobs = Jobs.for_settings(settings)
    # Consume nothing until the database and the broker answer: a worker that cannot
    # reach them would take messages only to fail them.
    asyncio.run(wait_for_dependencies(settings, jobs, args.wait))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    queues = args.queues
    worker = WorkerProcess(
        jobs.broker, threads=args.threads, queues=queues, shutdown_timeout_s=args.shutdown_timeout
    )
    http = None
    if args.metrics_port:
        from detalka.jobs import worker_http

        http = worker_http.serve(jobs.broker, args.metrics_host, args.metrics_port)
    with worker:
        shown = ",".join(sorted(queues)) if queues else "all queues"
        print(f"Worker up: {args.threads} threads, {shown}, on {settings.broker_url}", flush=True)
        stop.wait()
        print("Worker stopping: finishing the messages in progress", flush=True)
    if http is not None:
        http.shutdown()
    return 0


async def wait_for_dependencies(settings: Settings, jobs: Jobs, wait_s: float) -> None:
    """Return once the database and the broker answer; StartupError after ``wait_s``."""
    from detalka.db import database
    from detalka.jobs import probes

    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        answers: dict[str, str] = {}
        try:
            async with database(settings):
                answers["database"] = (await probes.run({"database": probes.database}))["database"]
        except Exception as exc:  # could not even open it
            answers["database"] = f"{type(exc).__name__}: {exc}"
        answers.update(await probes.run({"broker": probes.broker_probe(jobs.broker)}))
        failing = {name: why for name, why in answers.items() if why != "ok"}
        if not failing:
            return
        if asyncio.get_running_loop().time() > deadline:
            why = "; ".join(f"{name}: {reason}" for name, reason in failing.items())
            raise StartupError(f"not starting, cannot reach {why}")
        await asyncio.sleep(1)


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    """Only sends messages; the workers do the work, and each actor is idempotent, so a
    second scheduler (a deploy overlapping the old one) orders nothing twice."""
    import signal
    import threading
    from urllib.parse import urlsplit

    from detalka.jobs.app import Jobs

    if urlsplit(settings.broker_url).scheme == "memory":
        print(
            "detalka: the scheduler needs a shared broker (DETALKA_BROKER_URL); "
            "in the embedded mode `detalka serve` runs it",
            file=sys.stderr,
        )
        return 2
    jobs = Jobs.for_settings(settings)
    if args.once:
        asyncio.run(jobs.housekeeping())
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Scheduler up: every {args.every} s on {settings.broker_url}", flush=True)
    while not stop.is_set():
        try:
            asyncio.run(jobs.housekeeping())
        except Exception as exc:  # the broker is away: try again next round
            print(f"detalka scheduler: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        stop.wait(args.every)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    print("Migrations applied.")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from detalka.db import database
    from detalka.seed import seed_database

    async def run() -> None:
        await _migrate(settings)
        async with database(settings):
            report = await seed_database(
                args.subscribers,
                args.months,
                args.seed,
                progress=not args.no_progress,
                demo=not settings.is_production,
            )
        print(report)

    asyncio.run(run())
    return 0


def cmd_schema(settings: Settings, args: argparse.Namespace) -> int:
    from detalka.schema import sdl

    sys.stdout.write(sdl())
    return 0


def _run_api(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from detalka.web import processes
    from detalka.web.app import create_app

    settings = with_listen_url(settings, args.host, args.port)
    workers = getattr(args, "workers", 1)
    # uvicorn would believe X-Forwarded-For from 127.0.0.1 by itself; the client address is
    # web/client_address.py's, from DETALKA_TRUSTED_PROXIES only (both paths below).
    if workers > 1:
        # Each worker is a fresh interpreter that builds its own app (and database context)
        # from the environment: hand the listen URL over through it.
        os.environ.setdefault("DETALKA_PUBLIC_URL", settings.public_url or "")
        _StartUp.end()  # each process pauses its own (app_from_environment)
        if processes.available():  # a listening socket per process (web/processes.py)
            processes.serve(workers, args.host, args.port, settings.log_level.lower())
            return 0
        uvicorn.run(
            "detalka.cli:app_from_environment",
            factory=True,
            workers=workers,
            host=args.host,
            port=args.port,
            log_level=settings.log_level.lower(),
            log_config=None,
            proxy_headers=False,
        )
        return 0
    app = create_app(settings)
    _StartUp.end()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # the root logger configured in main(): JSON lines
        proxy_headers=False,
    )
    return 0


def app_from_environment() -> Starlette:
    """The app of one ``detalka api --workers N`` process, which uvicorn builds by name."""
    _StartUp.pause()
    try:
        from detalka.adapters.logs import configure_logging
        from detalka.settings import load_settings
        from detalka.web.app import create_app

        settings = load_settings()
        configure_logging(settings.log_level, json_lines=settings.log_format == "json")
        return create_app(settings)
    finally:
        _StartUp.end()


def with_listen_url(settings: Settings, host: str, port: int) -> Settings:
    """Without DETALKA_PUBLIC_URL, download links point where this process listens."""
    if "public_url" in settings.model_fields_set:
        return settings
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - only a label
    return settings.model_copy(update={"public_url": f"http://{shown}:{port}"})


async def _migrate(settings: Settings) -> None:
    from tortoise.exceptions import DBConnectionError

    from detalka.db import apply_migrations

    try:
        await apply_migrations(settings)
    except (OSError, DBConnectionError) as exc:
        raise StartupError(f"cannot reach the database: {exc}") from None
