"""Business rules fail by raising a keyed error; one place turns it into ``userErrors``."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_CAPTCHA = "INVALID_CAPTCHA"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    SMS_UNAVAILABLE = "SMS_UNAVAILABLE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"
    INVALID_SCOPE = "INVALID_SCOPE"
    INVALID_NAME = "INVALID_NAME"
    NOT_FOUND = "NOT_FOUND"
    PERIOD_REVERSED = "PERIOD_REVERSED"
    PERIOD_IN_FUTURE = "PERIOD_IN_FUTURE"
    PERIOD_BEFORE_HORIZON = "PERIOD_BEFORE_HORIZON"
    NO_SECTIONS = "NO_SECTIONS"
    EMAIL_REQUIRED = "EMAIL_REQUIRED"
    EMAIL_INVALID = "EMAIL_INVALID"
    STORE_REQUIRED = "STORE_REQUIRED"
    STORE_NOT_FOUND = "STORE_NOT_FOUND"
    STORE_OUTSIDE_HOME_REGION = "STORE_OUTSIDE_HOME_REGION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    NOTHING_TO_CANCEL = "NOTHING_TO_CANCEL"
    TOO_MANY_SCHEDULES = "TOO_MANY_SCHEDULES"


class UserFacingError(Exception):
    """A rule the input broke. ``message`` is Russian, for the subscriber to read."""

    def __init__(self, code: ErrorCode, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Rejected(Exception):
    """A request refused for one reason or several, every one reported to the subscriber."""

    def __init__(self, errors: list[UserFacingError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
