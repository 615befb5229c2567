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
    EMAIL_NOT_ALLOWED = "EMAIL_NOT_ALLOWED"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    TOO_MANY_ORDERS = "TOO_MANY_ORDERS"
    INVALID_URL = "INVALID_URL"
    NO_EVENT_TYPES = "NO_EVENT_TYPES"
    WEBHOOK_ALREADY_DELIVERED = "WEBHOOK_ALREADY_DELIVERED"
    WEBHOOK_ENDPOINT_DISABLED = "WEBHOOK_ENDPOINT_DISABLED"


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


class RequestErrorCode(StrEnum):
    """``errors[].extensions.code``: why a request, or one field of it, was refused.

    Every top-level error over HTTP and WebSocket carries one of these (``userErrors`` carry
    an :class:`ErrorCode` instead). A field argument that breaks a business rule answers with
    that rule's code, which is why the three ``PERIOD_*`` codes are in both enums.
    """

    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_ID = "BAD_ID"
    BAD_CURSOR = "BAD_CURSOR"
    BAD_PAGE_SIZE = "BAD_PAGE_SIZE"
    PERIOD_REVERSED = "PERIOD_REVERSED"
    PERIOD_IN_FUTURE = "PERIOD_IN_FUTURE"
    PERIOD_BEFORE_HORIZON = "PERIOD_BEFORE_HORIZON"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    TIMEOUT = "TIMEOUT"
    THROTTLED = "THROTTLED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


# What each request-level code means and what a client does about it: the SDL's
# `RequestErrorCode` descriptions and docs/frontend.md say the same.
REQUEST_ERROR_TEXTS: dict[RequestErrorCode, str] = {
    RequestErrorCode.GRAPHQL_PARSE_FAILED: "The document is not GraphQL (a syntax error). "
    "Fix the client; retrying the same request fails again.",
    RequestErrorCode.GRAPHQL_VALIDATION_FAILED: "The document or its variables do not fit the "
    "schema (unknown field, wrong argument or variable type), or `operationName` names no "
    "operation of the document. Fix the client.",
    RequestErrorCode.BAD_REQUEST: "Not a GraphQL-over-HTTP request: the body is not JSON or has "
    "the wrong shape, there is no query, or the Accept header names no JSON type (406). Fix "
    "the client.",
    RequestErrorCode.BAD_USER_INPUT: "An argument value the server refuses (too long, out of "
    "range, control characters). The message says which; let the user correct it.",
    RequestErrorCode.BAD_ID: "A global ID that is malformed or names another type. Drop it.",
    RequestErrorCode.BAD_CURSOR: "An `after` cursor this list did not give out; start from the "
    "first page.",
    RequestErrorCode.BAD_PAGE_SIZE: "`first` outside 0..100.",
    RequestErrorCode.PERIOD_REVERSED: "A period argument ends before it starts.",
    RequestErrorCode.PERIOD_IN_FUTURE: "A period argument ends after today in the home region.",
    RequestErrorCode.PERIOD_BEFORE_HORIZON: "A period argument starts before the history "
    "horizon (3 years).",
    RequestErrorCode.UNAUTHENTICATED: "The credentials do not check out (a bad, expired or "
    "revoked token), or the field needs a signed-in caller. Sign in again; do not retry.",
    RequestErrorCode.FORBIDDEN: "The caller is known but may not do this: the API token lacks "
    "the scope the field's @scope names, or the field needs a password session.",
    RequestErrorCode.NOT_FOUND: "The object is not there, or not the caller's (the two look the "
    "same).",
    RequestErrorCode.QUERY_TOO_COMPLEX: "The document is too deep, has too many aliases or "
    "fields, or costs too much. Split it.",
    RequestErrorCode.REQUEST_TOO_LARGE: "The body or the document is over the size limit.",
    RequestErrorCode.TIMEOUT: "The request ran out of time on the server; retry later, maybe "
    "with a smaller page or period.",
    RequestErrorCode.THROTTLED: "Too many requests of this kind, or over the caller's query "
    "cost budget: wait `extensions.retryAfter` seconds (HTTP 429 and `Retry-After` under "
    "application/graphql-response+json), then retry.",
    RequestErrorCode.TOO_MANY_SUBSCRIPTIONS: "A WebSocket already runs the most operations it "
    "may (5); complete one first or open another connection.",
    RequestErrorCode.PERSISTED_QUERY_NOT_FOUND: "The server does not know this "
    "`persistedQuery.sha256Hash`: send the request again with the full `query`.",
    RequestErrorCode.PERSISTED_QUERY_NOT_SUPPORTED: "An automatic persisted query of a "
    "version other than 1; send full queries.",
    RequestErrorCode.OPERATION_NOT_SUPPORTED: "The operation type is not served this way: a "
    "subscription over HTTP (use the WebSocket) or a mutation over GET (use POST).",
    RequestErrorCode.INTERNAL_SERVER_ERROR: "A bug on the server; its text is hidden in "
    "production. Retrying may help; report it if it persists.",
}
