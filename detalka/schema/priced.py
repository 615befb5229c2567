"""An operation's price kept with its document: priced once, its returned data walked by a
compiled plan (the rules are schema/cost.py's).

The requested cost and the walk are kept per parsed document (schema/derived.py) and per
the values of the variables the pricing read (``first``, ``@skip``/``@include``): with the
same values the pricing makes the same choices, so a document sent again is priced by a
lookup. The walk leaves out what cannot cost anything (leaves, objects whose whole
selection costs 0) and collects selections once, not once an edge: pricing the dashboard's
50 usage edges the general way took ~1 ms a request. An object whose every costly field is
a non-null object of a fixed cost costs the same whatever its data (graphql never returns
a non-null field as null or missing), so a page of such edges is priced by its length, not
walked edge by edge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
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
        # Walks that give the same cost for any data of their type: that cost.
        self.fixed: dict[Walk, int] = {_nothing: 0}

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
            fields = [
                (key, field, self.field(field, nodes))
                for key, nodes in self.p._collect(type_, sets).items()
                if (field := self.p._field(type_, nodes[0])) is not None
                and not is_leaf_type(get_named_type(field.type))
            ]
            parts = [(key, cost) for key, _, cost in fields]
            fixed = [
                self.fixed.get(cost) for _, field, cost in fields if is_non_null_type(field.type)
            ]
            if len(fixed) == len(fields) and None not in fixed:
                walk = self._fixed(sum(c for c in fixed if c is not None))
            else:

                def walk(data: Any) -> int:
                    total = 0
                    for key, cost in parts:
                        value = data.get(key)
                        if value is not None:
                            total += cost(value)
                    return total

        self.objects[memo_key] = walk
        return walk

    def _fixed(self, cost: int) -> Walk:
        def walk(_data: Any) -> int:
            return cost

        self.fixed[walk] = cost
        return walk

    def field(self, field: GraphQLField, nodes: list[FieldNode]) -> Walk:
        named = get_named_type(field.type)
        sets = _selections(nodes)
        if isinstance(named, GraphQLObjectType) and _is_connection(named):
            return self.page(named, sets)
        composite = self.composite(named, sets)
        single = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(single, GraphQLObjectType):  # not a list, not an interface
            inner = self.fixed.get(self.object_(single, sets))
            if inner is not None:
                return self._fixed(OBJECT_COST + inner)
        return lambda value: OBJECT_COST + composite(value)

    def page(self, connection: GraphQLObjectType, sets: tuple[SelectionSetNode, ...]) -> Walk:
        edge_type = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        items = [
            (key, self.object_(edge_type, _selections(nodes)))
            for key, nodes in self.p._collect(connection, sets).items()
            if nodes[0].name.value == "edges"
        ]
        edges = connection.fields["edges"].type
        edges = edges.of_type if isinstance(edges, GraphQLNonNull) else edges
        if isinstance(edges, GraphQLList) and is_non_null_type(edges.of_type):
            each = [(key, self.fixed.get(item)) for key, item in items]
            if all(cost is not None for _, cost in each):
                return self._page_of_fixed_edges(each)

        def walk(value: Any) -> int:
            total = CONNECTION_COST
            for key, item in items:
                for edge in value.get(key) or ():
                    total += max(OBJECT_COST, item(edge))
            return total

        return walk

    @staticmethod
    def _page_of_fixed_edges(each: list[tuple[str, int | None]]) -> Walk:
        """A page whose every edge costs the same: that times the number of edges."""
        costs = [(key, max(OBJECT_COST, cost or 0)) for key, cost in each]

        def walk(value: Any) -> int:
            total = CONNECTION_COST
            for key, cost in costs:
                total += cost * len(value.get(key) or ())
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
