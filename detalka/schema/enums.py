"""Enums as the SDL shows them: a description on the type and on every value.

The domain's enums (``detalka.models.enums``, ``detalka.errors``) are plain ``StrEnum``s
below the schema, so their values cannot carry ``strawberry.enum_value`` descriptions;
:func:`described_enum` adds them where the schema declares the enum. A value left without
a description fails at import, so a new domain value cannot reach GraphiQL undocumented.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(cls: E, description: str, values: Mapping[Any, str], name: str = "") -> E:
    """``strawberry.enum(cls)`` with ``values[member]`` as each value's description."""
    strawberry.enum(cls, name=name or None, description=description)
    definition: Any = cls.__strawberry_definition__  # type: ignore[attr-defined]
    missing = [v.name for v in definition.values if cls[v.name] not in values]
    if missing:
        raise TypeError(f"{cls.__name__}: no description for {', '.join(missing)}")
    for value in definition.values:
        value.description = values[cls[value.name]]
    return cls
