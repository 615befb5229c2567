"""``userErrors``: typed problems with the input, next to the object a mutation returns."""

from __future__ import annotations

from typing import Self

import strawberry

from detalka.errors import REQUEST_ERROR_TEXTS, ErrorCode, RequestErrorCode, UserFacingError
from detalka.schema.enums import described_enum

UserErrorCode = described_enum(
    ErrorCode,
    "What was wrong with the input: `userErrors[].code`.",
    {
        ErrorCode.INVALID_PHONE: "Not a Russian mobile number.",
        ErrorCode.INVALID_CAPTCHA: "The captcha answer is wrong, expired or used; get a new one.",
        ErrorCode.TOO_MANY_REQUESTS: "Over a limit of the action (SMS passwords per hour, live "
        "API tokens); the message names it.",
        ErrorCode.SMS_UNAVAILABLE: "The SMS could not be queued; try again in a minute.",
        ErrorCode.INVALID_CREDENTIALS: "The number, password and region do not match.",
        ErrorCode.TOO_MANY_ATTEMPTS: "Five failed sign-ins of the number in a row: for 15 "
        "minutes each attempt needs a solved captcha (`captchaId`, `captchaAnswer`); or too "
        "many failures from this client address: wait 15 minutes.",
        ErrorCode.PASSWORD_TOO_SHORT: "The new password has fewer than 8 characters.",
        ErrorCode.PASSWORD_TOO_LONG: "The new password has more than 128 characters.",
        ErrorCode.INVALID_SCOPE: "An unknown API token scope, or none.",
        ErrorCode.INVALID_NAME: "The name must be 1 to 100 characters.",
        ErrorCode.NOT_FOUND: "The object is not there, or not the subscriber's.",
        ErrorCode.PERIOD_REVERSED: "The period ends before it starts.",
        ErrorCode.PERIOD_IN_FUTURE: "The period ends after today (home region time).",
        ErrorCode.PERIOD_BEFORE_HORIZON: "The period starts more than 3 years ago.",
        ErrorCode.NO_SECTIONS: "An empty list of sections.",
        ErrorCode.EMAIL_REQUIRED: "EMAIL delivery and no address given or on file.",
        ErrorCode.EMAIL_INVALID: "The email address is not valid.",
        ErrorCode.STORE_REQUIRED: "PAPER delivery needs `storeId`.",
        ErrorCode.STORE_NOT_FOUND: "No such store.",
        ErrorCode.STORE_OUTSIDE_HOME_REGION: "The store is outside the number's home region.",
        ErrorCode.IDEMPOTENCY_KEY_REUSED: "The key was used within 24 hours for another order.",
        ErrorCode.IDEMPOTENCY_KEY_INVALID: "The idempotency key must be 1 to 100 characters.",
        ErrorCode.NOTHING_TO_CANCEL: "The order is past PENDING and RENDERING.",
        ErrorCode.TOO_MANY_SCHEDULES: "The subscriber already has the most schedules allowed.",
        ErrorCode.EMAIL_NOT_ALLOWED: "An API token without account:read may send reports "
        "only to the email on file.",
        ErrorCode.INVALID_EXPIRY: "An API token's lifetime outside 1 day to the maximum "
        "(365 days by default).",
        ErrorCode.TOO_MANY_ORDERS: "The subscriber already has the most orders waiting or "
        "rendering (10 by default); wait for one or cancel one.",
        ErrorCode.INVALID_URL: "A webhook URL that is not an absolute http(s) URL of at most "
        "1000 characters without credentials (https and a public host in production).",
        ErrorCode.NO_EVENT_TYPES: "A webhook endpoint needs at least one event type.",
        ErrorCode.WEBHOOK_ALREADY_DELIVERED: "The receiver already took this webhook; it is "
        "never sent twice.",
        ErrorCode.WEBHOOK_ENDPOINT_DISABLED: "The endpoint is disabled; enable it first.",
    },
)

# Referenced by no field: the schema lists it in `types`, so the SDL documents every code a
# top-level error can carry.
TopLevelErrorCode = described_enum(
    RequestErrorCode,
    "`errors[].extensions.code` of every top-level error, over HTTP and WebSocket.",
    REQUEST_ERROR_TEXTS,
)


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
