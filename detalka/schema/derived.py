"""What is worked out from a parsed document once and reused while the document lives.

The guard (schema/guard.py) keeps a parsed document per text in its bounded cache, so the
same ``DocumentNode`` comes back request after request. What depends only on the document
(its price, the plain-data execution plans) is kept here beside it, keyed by the
document's identity and dropped with it: a document evicted from the guard's cache (or one
too large to be cached) takes its derived values with it. Each value set is itself bounded
(``MAX_VARIANTS`` per kind), since a value may also depend on variables.
"""

from __future__ import annotations

import weakref
from typing import Any

MAX_VARIANTS = 16


class _Derived:
    __slots__ = ("ref", "values")

    def __init__(self, ref: weakref.ref[Any]) -> None:
        self.ref = ref
        self.values: dict[Any, Any] = {}


_by_document: dict[int, _Derived] = {}


def derived(document: Any) -> dict[Any, Any]:
    """A dict kept for as long as ``document`` lives (the caller bounds what it puts in)."""
    key = id(document)
    found = _by_document.get(key)
    if found is not None and found.ref() is document:
        return found.values

    def forget(ref: weakref.ref[Any], key: int = key) -> None:
        entry = _by_document.get(key)
        if entry is not None and entry.ref is ref:
            del _by_document[key]

    entry = _Derived(weakref.ref(document, forget))
    _by_document[key] = entry
    return entry.values


def bounded_put(values: dict[Any, Any], key: Any, value: Any) -> None:
    """``values[key] = value``, the oldest entry dropped past ``MAX_VARIANTS``."""
    if key not in values and len(values) >= MAX_VARIANTS:
        del values[next(iter(values))]
    values[key] = value
