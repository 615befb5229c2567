"""Keyset pages answered from their rows.

A keyset page (``RowConnection``, schema/connections.py) keeps the rows it was read from:
when its edges' selection is plain and its node type says what each attribute of a node made
from a row would hold (``row_attributes``), the edges are made from the rows by one list
comprehension compiled for the selection (``_row_edges_function``) -- no ``Edge`` or node
objects, each field's completion the one schema/execution.py compiles, its first checks
written out. A field with extensions (a permission), an argument or a resolver of its own,
or a page of another node type, takes execution.py's object-by-object way (its ``edges``
made then).
"""

from __future__ import annotations

import weakref
from binascii import b2a_base64
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from operator import methodcaller
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.type.scalars import serialize_int

from detalka.schema.connections import Connection, RowConnection
from detalka.schema.plain_fields import (
    Complete,
    Step,
    _basic_name,
    _GiveUp,
    _global_id_resolver,
    _plain_field,
)

# An edge's field from a page's rows: (response key, "cursor" or "node" or None for a
# constant, the cursor's completion or the node's steps over a row or the constant)
EdgeStep = tuple[str, str | None, Any]
# A leaf's coercion written out for one exact type: (the type, the result's source in terms
# of ``v`` and of the bound name ``s``, what ``s`` is); None where the result may be None.
Shortcut = tuple[type, str, Any]
RowEdges = Callable[[Sequence[str], Sequence[Any]], list[dict[str, Any]]]
# What a compiled page may write out instead of calling a completion (_expression): a
# leaf's first checks (the type it returns as is, whether None passes), the inner completion
# of a non-null one, an object's steps and the class whose instances it completes.
_PASS_THROUGH: weakref.WeakKeyDictionary[
    Callable[..., Any], tuple[type | None, bool, Shortcut | None]
] = weakref.WeakKeyDictionary()
_NON_NULL: weakref.WeakKeyDictionary[Callable[..., Any], Complete] = weakref.WeakKeyDictionary()
_OBJECTS: weakref.WeakKeyDictionary[Callable[..., Any], tuple[list[Step], type]] = (
    weakref.WeakKeyDictionary()
)


def row_edges(
    executor: Any, type_: GraphQLOutputType, field_details_list: Any
) -> tuple[type | None, RowEdges] | None:
    """A plain selection of a connection's edges as one function of a
    :class:`RowConnection`'s cursors and rows (see ``_row_edges_function``), and the node
    type whose ``row_attributes`` it reads (None when no node is selected); None when the
    selection is not plain."""
    edge_type = _unwrap(type_, GraphQLNonNull, GraphQLList, GraphQLNonNull)
    if not isinstance(edge_type, GraphQLObjectType):
        return None
    grouped, defer_usages, _ = executor.collect_subfields(edge_type, field_details_list)
    if defer_usages:
        return None
    origin: type | None = None
    steps: list[EdgeStep] = []
    for response_name, details in grouped.items():
        name = details[0].node.name.value
        if name == "__typename":
            steps.append((response_name, None, edge_type.name))
            continue
        field = _plain_field(edge_type, details)
        if field is None:
            return None
        if name == "cursor":
            complete = executor._completer(field.type, details)
            if complete is None:
                return None
            steps.append((response_name, "cursor", complete))
        elif name == "node":
            node_type = _unwrap(field.type, GraphQLNonNull)
            node = _row_node(executor, node_type, details) if node_type is not None else None
            if node is None:
                return None
            origin, node_steps = node
            steps.append((response_name, "node", node_steps))
        else:
            return None
    return origin, _row_edges_function(steps)


def _row_node(
    executor: Any, node_type: Any, field_details_list: Any
) -> tuple[type, list[Step]] | None:
    """A plain selection of a node as steps over a row, through its ``row_attributes``."""
    if not isinstance(node_type, GraphQLObjectType):
        return None
    origin = getattr((node_type.extensions or {}).get("strawberry-definition"), "origin", None)
    attributes = getattr(origin, "row_attributes", None)
    if not isinstance(origin, type) or not isinstance(attributes, dict):
        return None
    grouped, defer_usages, _ = executor.collect_subfields(node_type, field_details_list)
    if defer_usages:
        return None
    steps: list[Step] = []
    for response_name, details in grouped.items():
        nodes = [detail.node for detail in details]
        name = nodes[0].name.value
        if name == "__typename":
            steps.append((response_name, None, node_type.name))
            continue
        field = node_type.fields.get(name)
        read: Callable[[Any], Any] | None
        if _global_id_resolver(node_type, field) is not None:
            if any(node.arguments or node.directives for node in nodes):
                return None
            pk = attributes.get(origin.resolve_id_attr())  # type: ignore[attr-defined]
            read = None if pk is None else _row_global_id(node_type.name, pk)
        else:
            field = _plain_field(node_type, details)
            read = None if field is None else attributes.get(_basic_name(field))
        if read is None or field is None:
            return None
        complete = executor._completer(field.type, details)
        if read is None or complete is None:
            return None
        steps.append((response_name, read, complete))
    return origin, steps


def _is_connection(type_: GraphQLObjectType) -> bool:
    definition = (type_.extensions or {}).get("strawberry-definition")
    return getattr(getattr(definition, "concrete_of", None), "origin", None) is Connection


def _unwrap(type_: Any, *wrappers: type) -> Any:
    """``type_`` inside exactly these wrappers, outermost first; None if it is not so."""
    for wrapper in wrappers:
        if not isinstance(type_, wrapper):
            return None
        type_ = type_.of_type  # type: ignore[attr-defined]
    return type_


def _edges(
    from_rows: tuple[type | None, RowEdges], read: Callable[[Any], Any], complete: Complete
) -> Complete:
    """A connection's edges: from the rows of a :class:`RowConnection` (of the node type the
    function reads) in one pass, no ``Edge`` or node objects; else from its ``edges``."""
    origin, from_page = from_rows

    def edges(connection: Any) -> Any:
        if isinstance(connection, RowConnection) and (
            origin is None or connection.node_type is origin
        ):
            return from_page(connection.cursors, connection.rows)
        return complete(read(connection))

    return edges


def _row_edges_function(steps: list[EdgeStep]) -> RowEdges:
    """One list comprehension that makes a page's edges from its cursors and rows.

    What a plan's steps do for each edge and its node, written out once for this selection:
    ``[{"cursor": c0(cursor), "node": {"id": r1_0(row)..., "kind": c1_2(r1_2(row))}} ...]``,
    each value the node field's completion of its ``row_attributes`` reader, constants
    (``__typename``) as they are. A page of 100 rows of 14 fields was ~40% of a usage
    page's time through a loop over the steps. Only response keys (GraphQL names, already
    parsed) are written into the source, as ``repr`` literals; everything else is a name
    bound in the function's namespace, never source text.
    """
    names: dict[str, Any] = {}
    edge: list[str] = []
    for i, (key, what, payload) in enumerate(steps):
        if what == "cursor":
            edge.append(f"{key!r}: {_expression('cursor', payload, names, str(i))}")
        elif what == "node":
            edge.append(f"{key!r}: {_fields(payload, 'row', names, str(i))}")
        else:
            names[f"k{i}"] = payload
            edge.append(f"{key!r}: k{i}")
    source = (
        "def edges(cursors, rows):\n"
        f"    return [{{{', '.join(edge)}}} for cursor, row in zip(cursors, rows, strict=True)]\n"
    )
    exec(compile(source, "<plain row edges>", "exec"), names)  # noqa: S102 - see above
    function: RowEdges = names["edges"]
    return function


def object_function(steps: Sequence[Step]) -> Callable[[Any], dict[str, Any]]:
    """An object's answer from its plan's steps, ``{key: complete(read(src)), ...}``,
    written out once for this selection as a page's node is (``_fields``): a leaf's first
    checks and a nested plain object's fields inline, anything else through its completion.
    Before, a loop over the steps ran for each object: a month's expenses by day was 30
    loops of a day and 30 of its amount."""
    names: dict[str, Any] = {}
    source = f"def run(src):\n    return {_fields(steps, 'src', names, 'x')}\n"
    exec(compile(source, "<plain object>", "exec"), names)  # noqa: S102 - as _row_edges_function
    function: Callable[[Any], dict[str, Any]] = names["run"]
    return function


def _fields(steps: Sequence[Step], owner: str, names: dict[str, Any], at: str) -> str:
    """Python source of the dict of an object's fields (a node's from its ``row``, a nested
    object's from ``o<at>``): a field with no reader is its constant ``k<at>_<n>``, the others
    ``_expression`` of their reader ``r<at>_<n>`` applied to ``owner``."""
    fields = []
    for n, (key, read, complete) in enumerate(steps):
        if read is None:
            names[f"k{at}_{n}"] = complete
            fields.append(f"{key!r}: k{at}_{n}")
        else:
            names[f"r{at}_{n}"] = read
            value = _expression(f"r{at}_{n}({owner})", complete, names, f"{at}_{n}")
            fields.append(f"{key!r}: {value}")
    return f"{{{', '.join(fields)}}}"


def _expression(value: str, completion: Complete, names: dict[str, Any], at: str) -> str:
    """Python source of ``completion(value)``, with what the completion would check first
    written out: a leaf's (a ``str`` of ``String`` returned as is, a None where it may be),
    an object's (None, an instance of its class: then its fields, each written out the same
    way). Anything else, or a value those checks do not settle, calls the completion,
    bound in ``names`` as ``c<at>``. The walrus names: ``v`` for a leaf's value (used up
    before the next is read), ``o<at>`` for an object's (alive while its fields are read)."""
    names[f"c{at}"] = completion
    call = f"c{at}"
    inner = _NON_NULL.get(completion)
    nullable = inner is None
    target = completion if inner is None else inner
    if target in _OBJECTS:
        steps, origin = _OBJECTS[target]
        names[f"t{at}"] = origin
        built = _fields(steps, f"o{at}", names, at)
        if nullable:
            return (
                f"(None if (o{at} := {value}) is None"
                f" else {built} if type(o{at}) is t{at} else {call}(o{at}))"
            )
        return f"({built} if type(o{at} := {value}) is t{at} else {call}(o{at}))"
    as_is, nullable, shortcut = _PASS_THROUGH.get(completion, (None, False, None))
    checks = (["v is None"] if nullable else []) + (
        [] if as_is is None else [f"type(v) is {as_is.__name__}"]
    )
    branches = [("v", " or ".join(checks))] if checks else []  # (result, its condition)
    if shortcut is not None:
        kind, result, bound = shortcut
        names[f"s{at}"], names[f"y{at}"] = bound, kind
        branches.append((result.replace("{s}", f"s{at}"), f"type(v) is y{at}"))
    if not branches:
        return f"{call}({value})"
    # The first condition reads the value (a walrus); it starts with "v is" or "type(v)".
    result, condition = branches[0]
    branches[0] = (result, condition.replace("v", f"(v := {value})", 1))
    written = " else ".join(f"({result}) if {condition}" for result, condition in branches)
    return f"({written} else {call}(v))"


def leaf_shortcut(coerce: Any, names: dict[Any, str] | None, member: Any) -> Shortcut | None:
    """What a leaf's completion gives for a value of one exact type, as source, where it is
    sure: an enum member's name (the first name of its value, as strawberry's coercion),
    ``Int``'s int in range (``serialize_int`` returns it), ``isoformat()`` of the
    ``DateTime`` scalar's datetime, ``str`` of the ``Decimal`` scalar's Decimal."""
    if names is not None and isinstance(member, type):
        return member, "{s}[v.value]", names  # a KeyError falls back to the general path
    if coerce is serialize_int:
        return int, f"v if {GRAPHQL_MIN_INT} <= v <= {GRAPHQL_MAX_INT} else {{s}}(v)", coerce
    if isinstance(coerce, methodcaller) and repr(coerce) == "operator.methodcaller('isoformat')":
        return datetime, "v.isoformat()", None
    if coerce is str:
        return Decimal, "str(v)", None
    return None


def _row_global_id(type_name: str, pk: Callable[[Any], Any]) -> Callable[[Any], str]:
    """A node's Relay id from its row, as ``_global_id_resolver`` gives it from the node."""

    prefix = f"{type_name}:"

    def resolve(row: Any) -> str:
        node_id = pk(row)
        if node_id is None:
            raise _GiveUp
        # strawberry's to_base64(type_name, str(node_id)) is base64.b64encode of this text,
        # which is b2a_base64 without the newline
        return b2a_base64(f"{prefix}{node_id!s}".encode(), newline=False).decode()

    return resolve


def _itself(value: Any) -> Any:
    return value
