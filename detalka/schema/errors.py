"""``userErrors``: typed problems with the input, next to the object a mutation returns."""

from __future__ import annotations

from typing import Self

import strawberry

from detalka.resolvers.errors import ErrorCode, UserFacingError

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
