"""What a token needs to read each field, worked out from the schema itself (the SDL's
``@scope`` and ``@sessionOnly``), and selection sets that ask for every field.

``tests/test_scope_matrix.py`` uses it both ways: statically (no field a payload returns
needs less than the same data needs from ``Query``) and against a live server (a token reads
exactly what the directives let it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
)

from detalka.schema import sdl

SESSION = "session"  # @sessionOnly: no API token holds it
# Fields whose reader is checked in code rather than by a directive: `node`/`nodes`
# (each type's resolve_nodes) and the subscription (its own scope check).
CHECKED_IN_CODE = {"node", "nodes"}


def schema() -> GraphQLSchema:
    return build_schema(sdl())


def own_scopes(field: GraphQLField) -> frozenset[str]:
    """The scopes a field's own directives ask for."""
    needed: set[str] = set()
    for directive in (field.ast_node.directives or ()) if field.ast_node else ():
        if directive.name.value == "sessionOnly":
            needed.add(SESSION)
        if directive.name.value == "scope":
            (argument,) = directive.arguments
            needed.add(argument.value.value)  # type: ignore[attr-defined]
    return frozenset(needed)


def object_fields(type_: Any) -> dict[str, GraphQLField]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return dict(named.fields)
    return {}


def query_reach(gql: GraphQLSchema) -> dict[str, set[frozenset[str]]]:
    """For each object type reachable from ``Query``: the scope sets of the paths to it,
    fewest first (only minimal ones: a superset of another is dropped). Reading the type
    anywhere else needs one of them."""
    assert gql.query_type is not None
    found: dict[str, set[frozenset[str]]] = {}
    todo = [(gql.query_type.name, frozenset[str]())]
    seen = set(todo)
    while todo:
        name, needed = todo.pop()
        for field_name, field in object_fields(gql.get_type(name)).items():
            if name == gql.query_type.name and field_name in CHECKED_IN_CODE:
                continue
            target = get_named_type(field.type)
            if not isinstance(target, GraphQLObjectType):
                continue
            state = (target.name, needed | own_scopes(field))
            found.setdefault(target.name, set()).add(state[1])
            if state not in seen:
                seen.add(state)
                todo.append(state)
    return {name: {s for s in sets if not any(o < s for o in sets)} for name, sets in found.items()}


@dataclass(frozen=True)
class Reached:
    """A field met on a walk: its path from the root field and the scopes the path needs."""

    path: tuple[str, ...]
    parent: str
    field: str
    target: str
    needed: frozenset[str]


def walk(gql: GraphQLSchema, root: str, field_name: str) -> Iterator[Reached]:
    """Every field under a root field, once per type on a path (no cycles)."""
    root_type = gql.get_type(root)
    field = object_fields(root_type)[field_name]
    needed = own_scopes(field)
    yield Reached((field_name,), root, field_name, get_named_type(field.type).name, needed)
    yield from _below(gql, field, (field_name,), needed, {root})


def _below(
    gql: GraphQLSchema,
    field: GraphQLField,
    path: tuple[str, ...],
    needed: frozenset[str],
    seen: set[str],
) -> Iterator[Reached]:
    parent = get_named_type(field.type)
    if not isinstance(parent, GraphQLObjectType) or parent.name in seen:
        return
    for name, child in parent.fields.items():
        child_needed = needed | own_scopes(child)
        target = get_named_type(child.type).name
        yield Reached((*path, name), parent.name, name, target, child_needed)
        yield from _below(gql, child, (*path, name), child_needed, seen | {parent.name})


def selection(
    gql: GraphQLSchema, field: GraphQLField, arguments: dict[str, str], seen: frozenset[str]
) -> str:
    """``{ every field { every field ... } }`` under ``field``; a cycle is cut at its id."""
    parent = get_named_type(field.type)
    if isinstance(parent, GraphQLUnionType | GraphQLInterfaceType):
        return "{ __typename }"
    if not isinstance(parent, GraphQLObjectType):
        return ""
    parts = []
    for name, child in parent.fields.items():
        target = get_named_type(child.type)
        if isinstance(target, GraphQLObjectType) and target.name in seen:
            continue
        args = call_arguments(f"{parent.name}.{name}", child, arguments)
        if args is None:
            continue
        below = selection(gql, child, arguments, seen | {parent.name})
        parts.append(f"{name}{args} {below}".strip())
    return "{ " + " ".join(parts) + " }"


def call_arguments(key: str, field: GraphQLField, arguments: dict[str, str]) -> str | None:
    """``(a: …)`` from ``arguments[key]``; a field with a required argument must have one."""
    if key in arguments:
        return arguments[key]
    required = [n for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)]
    assert not required, f"{key} needs arguments {required}: add them to ARGUMENTS"
    return ""


def is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
