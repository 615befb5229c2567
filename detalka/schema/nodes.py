"""Shared by every ``resolve_nodes``: rows back in the order their IDs were asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

N = TypeVar("N")


def in_requested_order(
    ids: list[int], rows: Iterable[Any], build: Callable[[Any], N]
) -> list[N | None]:
    """A node per ID, in that order; None where no row came back (absent, or not the viewer's)."""
    found = {row.id: row for row in rows}
    return [build(found[i]) if i in found else None for i in ids]
