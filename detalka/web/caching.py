"""HTTP caching of GraphQL answers: ``Cache-Control`` and ``Vary`` for every one.

Only reference data is public: a GET query, without credentials, whose root fields are all
``regions``/``stores`` (the same for everyone, changed by a release), answered without an
error and without a cookie, may be kept by browsers and shared caches for a minute.
Everything else is ``private, no-store``: anything about a viewer, every POST (mutations,
the answer carrying a new session token), every error, every answer that sets a cookie.
``node``/``nodes`` stay private even for a region: which type an ID names is only known
after it is read. Tariffs are reachable only through a viewer or ``node``, so they are
private too.
"""

from __future__ import annotations

from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.responses import Response

from detalka.web.over_http import Exchange

PUBLIC_MAX_AGE_S = 60
PUBLIC_ROOT_FIELDS = frozenset({"regions", "stores", "__typename"})
PRIVATE = "private, no-store"


def cache_headers(exchange: Exchange, response: Response) -> None:
    response.headers["cache-control"] = (
        f"public, max-age={PUBLIC_MAX_AGE_S}" if _public(exchange, response) else PRIVATE
    )
    # The answer's media type follows Accept; a bad token is refused, never served a copy.
    vary = [*response.headers.getlist("vary"), "Accept", "Authorization"]
    response.headers["vary"] = ", ".join(vary)


def _public(exchange: Exchange, response: Response) -> bool:
    return (
        exchange.method == "GET"
        and exchange.anonymous
        and not exchange.failed
        and response.status_code == 200
        and "set-cookie" not in response.headers
        and exchange.query is not None
        and reads_only_reference_data(exchange.query, exchange.operation_name)
    )


@lru_cache(maxsize=256)
def reads_only_reference_data(query: str, operation_name: str | None) -> bool:
    """The operation is a query whose root selections are all plain public fields (no
    fragment, which could reach ``viewer``)."""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if len(chosen) != 1 or chosen[0].operation != OperationType.QUERY:
        return False
    selections = chosen[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in PUBLIC_ROOT_FIELDS for s in selections)
