"""The one reading of a global ID: a known type's name and a key a database can hold.

Every ID argument goes through here before anything reaches a driver: ``node``/``nodes``
(each type's ``resolve_nodes`` reads its keys with :func:`node_pks`), every mutation and
the subscription (:func:`pk_of`). A malformed ID (not base64, no ``Type:key``), one of a
type the schema does not have or another type than the argument wants, or a key outside
1..2^31-1 is a top-level BAD_ID with a fixed message: the ID is never echoed back, and a key
like 2^31 never becomes "value out of int32 range" (asyncpg) or "Python int too large to
convert to SQLite INTEGER" answered as INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from detalka.errors import RequestErrorCode
from detalka.schema.limits import MAX_PK

BAD_ID_MESSAGE = "Неверный ID: он искажён или принадлежит объекту другого типа."


def bad_id() -> GraphQLError:
    return GraphQLError(BAD_ID_MESSAGE, extensions={"code": RequestErrorCode.BAD_ID.value})


def parse_pk(node_id: str) -> int:
    """The primary key of an ID's key part: ASCII digits, 1..2^31-1."""
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > len(str(MAX_PK)):
        raise bad_id()
    pk = int(node_id)
    if not 0 < pk <= MAX_PK:
        raise bad_id()
    return pk


def pk_of(given: relay.GlobalID, type_name: str) -> int:
    """The primary key of a global ID that must name a ``type_name``."""
    if given.type_name != type_name:
        raise bad_id()
    return parse_pk(given.node_id)


def node_pks(node_ids: Iterable[str]) -> list[int]:
    """The keys a ``resolve_nodes`` was given (the type was checked by the caller)."""
    return [parse_pk(node_id) for node_id in node_ids]


def is_bad_global_id(error: GraphQLError) -> bool:
    """strawberry's own refusals of an ID (not base64, unknown type, not a Node type), which
    it raises before any resolver of ours runs."""
    return isinstance(error, GlobalIDValueError) or isinstance(
        error.original_error, GlobalIDValueError
    )
