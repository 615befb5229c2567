"""Automatic persisted queries, as Apollo Client's ``PersistedQueryLink`` speaks them.

The client sends ``extensions.persistedQuery = {version: 1, sha256Hash}`` and no query;
a document the store holds runs as if sent. An unknown hash is PERSISTED_QUERY_NOT_FOUND
(HTTP 200 under application/json, as Apollo Server answers, so every link version retries;
400 under application/graphql-response+json, which Apollo Client 4 reads all the same), and
the link sends the request again with the full query and the hash. The server checks that
the hash is the document's SHA-256 and keeps the document once it parsed and validated, so
the store never holds a document that cannot run. GET works too (the link's
``useGETForHashedQueries``), which is what lets an HTTP cache hold a query's answer.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from detalka.adapters.query_store import QueryStore
from detalka.errors import RequestErrorCode
from detalka.web.over_http import Refused

VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


async def resolve(store: QueryStore, query: str | None, extensions: Any) -> tuple[str, str | None]:
    """The document to run, and the hash to keep it under once it proved valid (None when
    there is nothing to keep: no persisted query, or the store already had it)."""
    persisted = (extensions or {}).get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return _required(query), None
    digest = _digest(persisted)
    if not query:
        found = await store.get(digest)
        if found is None:
            # The message is the one Apollo's link also recognises on its own.
            raise Refused(RequestErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return found, None
    if hashlib.sha256(query.encode()).hexdigest() != digest:
        raise Refused(
            RequestErrorCode.BAD_REQUEST,
            "persistedQuery.sha256Hash is not the SHA-256 of the query.",
        )
    return query, digest


def _digest(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != VERSION:
        raise Refused(
            RequestErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
            f"Only persistedQuery version {VERSION} is supported; send the full query.",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise Refused(
            RequestErrorCode.BAD_REQUEST,
            "persistedQuery.sha256Hash must be 64 hexadecimal digits.",
        )
    return digest.lower()


def _required(query: str | None) -> str:
    if not query:
        raise Refused(RequestErrorCode.BAD_REQUEST, "No GraphQL query in the request.")
    return query
