"""``userErrors``: typed problems with the input, next to the object a mutation returns."""

from __future__ import annotations

from typing import Self

import strawberry
from graphql import GraphQLError

from detalka.errors import ErrorCode, UserFacingError

UserErrorCode = strawberry.enum(ErrorCode, description="What was wrong with the input.")


@strawberry.type(description="A problem with the input, for the subscriber to fix.")
class UserError:
    field: list[str] = strawberry.field(
        description='Path to the input field at fault, e.g. `["msisdn"]`; empty for the whole.'
    )
    message: str = strawberry.field(description="What to do, in Russian, ready to show.")
    code: UserErrorCode = strawberry.field(description="Stable code for programs.")  # type: ignore[valid-type]

    @classmethod
    def from_error(cls, error: UserFacingError) -> Self:
        return cls(field=list(error.field), message=error.message, code=error.code)


def is_unexpected(error: GraphQLError) -> bool:
    """What production masks: failures nobody meant, never an error with a code of ours.

    Parse and validation errors (no original exception) describe the client's request;
    errors raised with ``extensions.code`` (UNAUTHENTICATED, FORBIDDEN, PERIOD_*,
    BAD_CURSOR, NOT_FOUND…) tell the client what to do. Anything else is a bug whose text
    may leak internals.
    """
    if error.original_error is None:
        return False
    return not (error.extensions or {}).get("code")
