"""An operation's price kept with its document: priced once, its returned data walked by a
compiled plan (the rules are schema/cost.py's).

The requested cost and the walk are kept per parsed document (schema/derived.py) and per
the values of the variables the pricing read (``first``, ``@skip``/``@include``): with the
same values the pricing makes the same choices, so a document sent again is priced by a
lookup. The walk leaves out what cannot cost anything (leaves, objects whose whole
selection costs 0) and collects selections once, not once an edge: pricing the dashboard's
50 usage edges the general way took ~1 ms a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast

from detalka.schema.cost import (
    _STATIC,
    CONNECTION_COST,
    MUTATION_COST,
    OBJECT_COST,
    Pricing,
    UnpricedDocument,
    _is_connection,
    _selections,
)
from detalka.schema.derived import bounded_put, derived

Walk = Callable[[Any], int]  # returned data -> its cost


def _nothing(_data: Any) -> int:
    return 0


@dataclass(frozen=True)
class Priced:
    """One operation of a document, priced: ``requested`` (None when it cannot be priced)
    and :meth:`actual` of the data it returned."""

    requested: int | None
    walk: Walk
    pricing: Pricing

    def actual(self, data: Mapping[str, Any] | None) -> int:
        try:
            return self.walk(data or {})
        except Exception:  # data of an unforeseen shape: the general walk decides
            return self.pricing.actual(data)


def priced(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Priced:
    """The operation's :class:`Priced`, from the document's cache when the variables the
    pricing reads have the same values (type and value) as when it was priced."""
    variables = variables or {}
    key = ("cost", id(schema), operation_name)
    variants: dict[Any, tuple[Any, Priced]] = derived(document).setdefault(key, {})
    for read, found in variants.values():
        if found.pricing.schema is schema and all(
            _same(variables.get(name), value) for name, value in read
        ):
            return found
    pricing = Pricing(schema, document, operation_name, variables)
    try:
        result = Priced(pricing.requested(), _Compiler(pricing).operation(), pricing)
    except UnpricedDocument:
        result = Priced(None, _nothing, pricing)
    read = tuple(pricing.read.items())
    pricing.variables = dict(read)  # all the fallback walk needs; no request's values kept
    bounded_put(variants, read, (read, result))
    return result


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


class _Compiler:
    """:meth:`Pricing.actual` as closures over what one document selects: fields that
    cannot cost anything (leaves, and objects whose whole selection costs 0) are left out,
    selections are collected once. Built right after ``requested()``, whose memo it reads."""

    def __init__(self, pricing: Pricing) -> None:
        self.p = pricing
        self.objects: dict[tuple[str, tuple[int, ...]], Walk] = {}

    def operation(self) -> Walk:
        p = self.p
        operation = get_operation_ast(p.document, p.operation_name)
        assert operation is not None  # requested() priced it
        root = p.schema.get_root_type(operation.operation)
        assert root is not None
        if operation.operation != OperationType.MUTATION:
            return self.object_(root, (operation.selection_set,))
        parts: list[tuple[str, Walk | None]] = []
        for key, nodes in p._collect(root, (operation.selection_set,)).items():
            field = p._field(root, nodes[0])
            named = get_named_type(field.type) if field else None
            leaf = named is None or is_leaf_type(named)
            composite = None if named is None or leaf else self.composite(named, _selections(nodes))
            parts.append((key, composite))

        def mutation(data: Any) -> int:
            total = 0
            for key, composite in parts:
                total += MUTATION_COST
                value = data.get(key)
                if composite is not None and value is not None:
                    total += composite(value)
            return total

        return mutation

    def object_(self, type_: GraphQLObjectType, sets: tuple[SelectionSetNode, ...]) -> Walk:
        memo_key = (type_.name, tuple(id(s) for s in sets))
        found = self.objects.get(memo_key)
        if found is not None:
            return found
        walk: Walk = _nothing
        if self.p._object(type_, sets, _STATIC) != 0:  # else nothing in it costs anything
            parts = [
                (key, self.field(field, nodes))
                for key, nodes in self.p._collect(type_, sets).items()
                if (field := self.p._field(type_, nodes[0])) is not None
                and not is_leaf_type(get_named_type(field.type))
            ]

            def walk(data: Any) -> int:
                total = 0
                for key, cost in parts:
                    value = data.get(key)
                    if value is not None:
                        total += cost(value)
                return total

        self.objects[memo_key] = walk
        return walk

    def field(self, field: GraphQLField, nodes: list[FieldNode]) -> Walk:
        named = get_named_type(field.type)
        sets = _selections(nodes)
        if isinstance(named, GraphQLObjectType) and _is_connection(named):
            return self.page(named, sets)
        composite = self.composite(named, sets)
        return lambda value: OBJECT_COST + composite(value)

    def page(self, connection: GraphQLObjectType, sets: tuple[SelectionSetNode, ...]) -> Walk:
        edge_type = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        items = [
            (key, self.object_(edge_type, _selections(nodes)))
            for key, nodes in self.p._collect(connection, sets).items()
            if nodes[0].name.value == "edges"
        ]

        def walk(value: Any) -> int:
            total = CONNECTION_COST
            for key, item in items:
                for edge in value.get(key) or ():
                    total += max(OBJECT_COST, item(edge))
            return total

        return walk

    def composite(self, named: GraphQLNamedType, sets: tuple[SelectionSetNode, ...]) -> Walk:
        whole_list = self.p._composite(named, sets, _STATIC)  # a list costs as requested
        one: Walk
        if is_abstract_type(named):
            possible = [self.object_(t, sets) for t in self.p.schema.get_possible_types(named)]

            def one(data: Any) -> int:
                return max((walk(data) for walk in possible), default=0)

        else:
            assert isinstance(named, GraphQLObjectType)
            one = self.object_(named, sets)

        def walk(data: Any) -> int:
            if isinstance(data, list):
                return whole_list if data else 0
            return one(data)

        return walk
