"""The one way tests wait for something another task, thread or process does: poll with a
deadline. The check returns a value; a falsy one means "not yet". An exception the check
raises (an assertion that the state can no longer become right) fails at once."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

Explain = str | Callable[[Any], object]


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout_s: float = ...,
    interval_s: float = ...,
    explain: Explain = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    timeout_s: float = ...,
    interval_s: float = ...,
    explain: Explain = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    timeout_s: float = 60,
    interval_s: float = 0.05,
    explain: Explain = "the condition never held",
) -> Any:
    """The first truthy result of ``check`` (sync or async), polled every ``interval_s``.

    Past ``timeout_s`` the test fails with ``explain`` (a text, or a function of the last
    result).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_explained(explain, result))
        await asyncio.sleep(interval_s)


def eventually_sync(
    check: Callable[[], T],
    *,
    timeout_s: float = 60,
    interval_s: float = 0.2,
    explain: Explain = "the condition never held",
) -> T:
    """:func:`eventually` for synchronous tests (a server in a subprocess or a thread)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_explained(explain, result))
        time.sleep(interval_s)


def _explained(explain: Explain, last: object) -> object:
    return explain(last) if callable(explain) else f"{explain} (last: {last!r})"
