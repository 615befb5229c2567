"""GraphQL over HTTP: the media type of an answer, its status code, and request errors.

Two media types, as the GraphQL-over-HTTP spec has them (graphql/graphql-over-http):
- ``application/graphql-response+json`` when ``Accept`` prefers it (Apollo Client 4 and
  graphql-http ask for it): HTTP says what happened. A request error (no ``data``: a
  syntax or validation error, a missing or unknown persisted query) is 400, a bad token
  401, a bug 500; a field error is a partial answer and stays 200.
- ``application/json`` otherwise, also with no ``Accept`` or ``*/*`` (curl, legacy
  clients; the spec's post-2025 default would be the other type): 200 for every
  well-formed request, since a 4xx under this type may come from any proxy. Only a request
  that is not GraphQL over HTTP at all (not JSON, no query) is 400.
Either way a request error has no ``data`` key at all, and every error has a code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.responses import Response

from detalka.errors import RequestErrorCode

log = logging.getLogger("detalka.requests")
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# Status of a request error under application/graphql-response+json; 400 for the rest.
_STATUS: dict[str, int] = {
    RequestErrorCode.UNAUTHENTICATED: 401,
    RequestErrorCode.FORBIDDEN: 403,
    RequestErrorCode.REQUEST_TOO_LARGE: 413,
    RequestErrorCode.THROTTLED: 429,
    RequestErrorCode.INTERNAL_SERVER_ERROR: 500,
    RequestErrorCode.TIMEOUT: 504,
}
# Under application/json a well-formed request is answered 200 whatever went wrong; these
# are not well-formed GraphQL-over-HTTP requests.
_JSON_STATUS: dict[str, int] = {
    RequestErrorCode.BAD_REQUEST: 400,
    RequestErrorCode.REQUEST_TOO_LARGE: 413,
}


class Refused(Exception):
    """A request refused before or instead of execution: answered with one coded error.

    ``status`` overrides the media type's choice where HTTP has its own word for it (405
    for a mutation over GET, 406 for an Accept header naming no JSON type).
    """

    def __init__(
        self,
        code: RequestErrorCode,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": str(self.code)}}]}


@dataclass
class Exchange:
    """One HTTP request's GraphQL facts, gathered on the way and used to answer it."""

    media_type: str
    acceptable: bool = True
    status: int = 200
    method: str = "POST"
    query: str | None = None
    operation_name: str | None = None
    anonymous: bool = True
    failed: bool = False  # any error at all: never cached publicly
    stale_cookie: bool = False  # the answer clears the session cookie
    # An automatic persisted query to keep once its document proved valid: (hash, document).
    to_persist: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def status_of(self, code: str, *, json_status: int = 200) -> int:
        if self.media_type == GRAPHQL_RESPONSE:
            return _STATUS.get(code, 400)
        return _JSON_STATUS.get(code, json_status)

    def refusal(self, refused: Refused, encode: Any) -> Response:
        self.failed = True
        self.status = refused.status or self.status_of(refused.code)
        log.info(
            "refused %s (HTTP %d)",
            refused.code,
            self.status,
            extra={"code": str(refused.code), "status": self.status},
        )
        self.headers.update(refused.headers)
        return Response(encode(refused.body()), status_code=self.status)


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, by the Accept header's q-values; None when it names
    neither JSON type (a 406). Wildcards get application/json, the legacy clients' type."""
    if not accept or not accept.strip():
        return JSON
    graphql_q = json_q = 0.0
    for part in accept.split(","):
        media, _, params = part.partition(";")
        media = media.strip().lower()
        quality = _quality(params)
        if media == GRAPHQL_RESPONSE:
            graphql_q = max(graphql_q, quality)
        elif media in (JSON, "application/*", "*/*"):
            json_q = max(json_q, quality)
    if graphql_q > 0 and graphql_q >= json_q:
        return GRAPHQL_RESPONSE
    return JSON if json_q > 0 else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def is_request_error(data: object, errors: list[GraphQLError]) -> bool:
    """No data and no error at a field: the request failed before execution (parse,
    validation, variable coercion), so the answer carries no ``data`` at all."""
    return data is None and bool(errors) and all(e.path is None for e in errors)


def shape(response: dict[str, Any], errors: list[GraphQLError], exchange: Exchange) -> None:
    """Drop ``data`` from a request error and choose the status; ``response`` is strawberry's
    answer dict, ``errors`` the errors it was formatted from (coded by the schema)."""
    if not errors:
        return
    exchange.failed = True
    for error in response.get("errors") or ():
        # The schema codes every error (schema/error_codes.py); this is the last guard.
        error.setdefault("extensions", {}).setdefault("code", "INTERNAL_SERVER_ERROR")
    if is_request_error(response.get("data"), errors):
        response.pop("data", None)
        first = response["errors"][0]["extensions"]
        exchange.status = exchange.status_of(first["code"])
        if first["code"] == RequestErrorCode.THROTTLED and "retryAfter" in first:
            # Over the cost budget (schema/throttle.py): when to come back, in whole seconds.
            exchange.headers["Retry-After"] = str(first["retryAfter"])
