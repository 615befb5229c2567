"""Round trips to the database, counted while a piece of a benchmark runs.

A trip is a call into aiosqlite's thread (every statement, BEGIN, COMMIT, cursor close); the
statements are those tortoise logs (``tortoise.db_client``). bench/ready.py counts them for one
order of each contender, so the work between a mutation and its event is visible.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Trips:
    """Counts calls into aiosqlite's thread (every statement, BEGIN, COMMIT, cursor close) and
    the statements tortoise logs, while ``counting`` is on."""

    def __init__(self) -> None:
        self.trips = 0
        self.statements: Counter[str] = Counter()
        self.on = False
        self._lock = threading.Lock()

    @contextmanager
    def counting(self) -> Iterator[Trips]:
        self.trips = 0
        self.statements = Counter()
        self.on = True
        # DEBUG only meanwhile: a log record a statement costs the timed rounds CPU.
        logger = logging.getLogger("tortoise.db_client")
        level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            self.on = False
            logger.setLevel(level)

    def install(self) -> None:
        import aiosqlite

        original: Any = aiosqlite.Connection._execute
        trips = self

        async def _execute(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            if trips.on:
                with trips._lock:
                    trips.trips += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.Connection._execute = _execute  # type: ignore[method-assign, assignment]

        class Statements(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if trips.on and isinstance(record.msg, str) and record.msg == "%s: %s":
                    args = record.args
                    text = str(args[0]) if isinstance(args, tuple) and args else ""
                    with trips._lock:
                        trips.statements[" ".join(text.split())[:90]] += 1

        logger = logging.getLogger("tortoise.db_client")
        logger.addHandler(Statements())
        logger.propagate = False
