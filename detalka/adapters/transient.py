"""Which failures are the infrastructure's (retry later) and which are the data's (give up).

An order FAILS only for bad data: a dropped database connection, a broker or object store
that is away for a while, a timeout, all say nothing about the order, so the message is
retried by Dramatiq with backoff and the order waits. The exception chain is walked, since
tortoise and the drivers wrap one another's errors.
"""

from __future__ import annotations

from tortoise.exceptions import DBConnectionError

# SQLSTATE classes of a server going away or a transaction to run again: 08 connection
# exception, 53 insufficient resources, 57P operator intervention (pg_terminate_backend,
# shutdown), 40001 serialization failure, 40P01 deadlock.
_TRANSIENT_SQLSTATES = ("08", "53", "57P", "40001", "40P01")

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # also tortoise's DBConnectionError and dramatiq's own below
    TimeoutError,
    OSError,
    DBConnectionError,
)


def _transient_names() -> tuple[str, ...]:
    # dramatiq and pika are imported by the worker anyway; matching by name keeps this
    # module light for the API process. So is redis: importing it costs about 0.3 s of CPU
    # at every start of an API process that may never talk to it (the embedded mode), and
    # asyncpg (~40 ms) on SQLite. asyncpg defines two of its classes in a private module;
    # tests/test_startup.py fails if a new asyncpg moves them.
    # obstore's GenericError is what an S3 endpoint that is away (refused, timed out,
    # 5xx after the client's retries) gives.
    return (
        # "connection is closed", "another operation is in progress"
        "asyncpg.exceptions._base.InterfaceError",
        "asyncpg.exceptions.PostgresConnectionError",
        # A pooled connection left mid-protocol by a terminated backend ("cannot switch to
        # state 12; another operation is in progress"): the connection's state, not the data's.
        "asyncpg.exceptions._base.InternalClientError",
        "dramatiq.errors.ConnectionError",
        "redis.exceptions.ConnectionError",  # BusyLoadingError is one
        "redis.exceptions.TimeoutError",
        "pika.exceptions.AMQPConnectionError",
        "obstore.exceptions.GenericError",
    )


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or anything it was raised from) is worth retrying later."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _one_is_transient(current):
            return True
        current = current.__cause__ or current.__context__
    return False


# Local file trouble is a deployment's or a bug's, never a network's: not retried.
_NOT_TRANSIENT: tuple[type[BaseException], ...] = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def _one_is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _NOT_TRANSIENT):
        return False
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
        return True
    names = {f"{t.__module__}.{t.__qualname__}" for t in type(exc).__mro__}
    return any(name in names for name in _transient_names())
