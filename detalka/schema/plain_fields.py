"""The plain-data path's pieces shared by schema/execution.py and schema/plain_rows.py:
which fields are plain, how their values are read, and a Relay id without its resolver (see
schema/execution.py).

A plan's steps are (response key, the field's reader or None for a constant, its completion
or the constant): an object's answer is ``{key: complete(read(source))}`` in their order,
which schema/plain_rows.py writes out as one function of the object."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import GraphQLField, GraphQLObjectType
from strawberry.relay import Node
from strawberry.relay.utils import to_base64

Complete = Callable[[Any], Any]
Step = tuple[str, Callable[[Any], Any] | None, Any]
_SKIP_INCLUDE = frozenset({"skip", "include"})


class _GiveUp(Exception):
    """This object is not plain after all: run the general path for it."""


def _reader(field: GraphQLField) -> Callable[[Any], Any] | None:
    """The field's value as strawberry's basic-field resolver reads it (its default resolver,
    ``getattr``, of the Python attribute); None unless the field is strawberry's "basic"
    field. strawberry marks every resolver without a function of its own ``_is_default``,
    those with field extensions too: a permission (``needs(...)``) is such an extension,
    and must run, so such a field is never plain."""
    name = _basic_name(field)
    return None if name is None else attrgetter(name)


def _basic_name(field: GraphQLField) -> str | None:
    """The Python attribute of strawberry's basic field (see ``_reader``), else None."""
    definition = (field.extensions or {}).get("strawberry-definition")
    if (
        definition is None
        or definition.base_resolver is not None
        or definition.extensions
        or definition.default_resolver is not getattr
    ):
        return None
    name: str = definition.python_name
    return name


def _plain_field(parent_type: GraphQLObjectType, details: Any) -> GraphQLField | None:
    """The field of a plain data selection (as ``_compile`` takes one), else None."""
    nodes = [detail.node for detail in details]
    field: GraphQLField | None = parent_type.fields.get(nodes[0].name.value)
    if (
        field is None
        or field.args
        or not getattr(field.resolve, "_is_default", False)
        or _basic_name(field) is None
        or any(node.arguments for node in nodes)
        or any(d.name.value not in _SKIP_INCLUDE for n in nodes for d in n.directives or ())
    ):
        return None
    return field


def _global_id_resolver(
    parent_type: GraphQLObjectType, field: GraphQLField | None
) -> Callable[[Any], Any] | None:
    """For a Relay node's ``id``: what strawberry's ``Node._id`` gives, without its resolver.

    Only when the type keeps strawberry's own ``resolve_id`` (the ``NodeID`` attribute) and
    ``resolve_typename`` (the GraphQL type's name, which is ``info.path.typename`` there).
    """
    definition = (field.extensions or {}).get("strawberry-definition") if field else None
    resolver = getattr(definition, "base_resolver", None)
    function = getattr(getattr(resolver, "wrapped_func", None), "__func__", None)
    if (
        function is None
        or function.__module__ != Node.__module__
        or function.__qualname__ != "Node._id"
        or getattr(definition, "extensions", None)
    ):
        return None
    type_definition = (parent_type.extensions or {}).get("strawberry-definition")
    origin = getattr(type_definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, Node)):
        return None
    if (
        origin.resolve_id.__func__ is not Node.resolve_id.__func__  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    type_name, attribute = parent_type.name, origin.resolve_id_attr()

    def resolve(source: Any) -> str:
        if not isinstance(source, origin):
            raise _GiveUp
        node_id = getattr(source, attribute)
        if node_id is None:
            raise _GiveUp
        # str(GlobalID(type_name, str(node_id))), which the ID scalar's coercion would give
        return to_base64(type_name, str(node_id))

    return resolve
