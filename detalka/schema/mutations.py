"""One place turns a domain error into a mutation payload's ``userErrors``.

Use cases raise (:class:`UserFacingError` for one problem, :class:`Rejected` for several);
a mutation declared with :func:`mutation` answers them with its payload type built from
``user_errors`` alone, so every other field of a payload has a default (null, or false).
Anything else (a permission refused, a bug) stays a top-level error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.field import StrawberryField

from detalka.errors import Rejected, UserFacingError
from detalka.schema.errors import UserError


class UserErrors(FieldExtension):
    """Catches the domain errors of a mutation and returns its payload with them."""

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except UserFacingError as error:
            problems = [error]
        except Rejected as rejected:
            problems = rejected.errors
        # The payload class, resolved by the time it runs; a mutation a permission can
        # refuse is nullable (`Payload | None`), so unwrap that.
        payload: Any = self.field.type
        payload = getattr(payload, "of_type", payload)
        return payload(user_errors=[UserError.from_error(e) for e in problems])


def mutation(*, description: str, extensions: Sequence[FieldExtension] = ()) -> Any:
    """``strawberry.mutation`` whose domain errors become the payload's ``userErrors``.

    A permission in ``extensions`` runs first: a refused caller gets a top-level FORBIDDEN.
    """
    return strawberry.mutation(description=description, extensions=[UserErrors(), *extensions])
