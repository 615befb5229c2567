"""What a GraphQL operation costs: requested (static, before execution) and actual (from what
was returned). The model is Shopify's, written down exactly in docs/aggregators.md
("Query cost"):

- a field returning a scalar or an enum costs 0 (``__typename`` too);
- a field returning an object (or a plain list of objects, counted once: such lists have
  no page argument and are bounded by the domain) costs 1 plus its selection;
- an interface or union costs the most expensive of its possible types;
- a connection (a type with ``edges`` and ``pageInfo``) costs 2 plus, when ``edges`` is
  selected, ``first`` (or ``last``; the default page size when absent; never more than the
  largest page) times one item, an item being 1 plus its ``node``'s selection;
- a root mutation field costs 10 plus its payload's selection (10 takes the place of the
  payload object's 1).

Selections merge as graphql-core executes them: fields with one response key count once,
and a fragment spread twice in one selection set counts once. Requested costs are
memoised per (type, selection sets), so a fragment reused all over a document is priced
once. The actual cost walks the returned data with the same rules, except that a
connection counts the edges it returned, a null object costs nothing and an empty plain
list only its 1 (one with items costs as requested).

A request prices through schema/priced.py, which keeps the price with the document and
walks returned data by a compiled plan of these rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities import get_operation_ast

from detalka.schema.connections import DEFAULT_PAGE, MAX_PAGE

OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10

_STATIC = object()  # "no data": price the selection as requested
_META_FIELDS: dict[str, GraphQLField] = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


class UnpricedDocument(Exception):
    """The operation cannot be priced (it is missing, or nested past Python's recursion
    limit); the caller refuses it as too complex."""


class Pricing:
    """One operation of a validated document, priced before it runs (:meth:`requested`)
    and after (:meth:`actual`, from the data it returned)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        self.schema = schema
        self.document = document
        self.operation_name = operation_name
        self.variables = variables or {}
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, tuple[int, ...]], int] = {}
        # The variables the pricing looked at, with their values: with the same values, the
        # walk makes the same choices (and reads the same variables), so the price holds.
        self.read: dict[str, Any] = {}

    def requested(self) -> int:
        """The most the operation can cost; raises :class:`UnpricedDocument`."""
        return self._operation(_STATIC)

    def actual(self, data: Mapping[str, Any] | None) -> int:
        """What the returned ``data`` cost: edges returned, not asked for."""
        return self._operation(data or {})

    def _operation(self, data: Any) -> int:
        operation = get_operation_ast(self.document, self.operation_name)
        if operation is None:
            raise UnpricedDocument("no such operation")
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            raise UnpricedDocument("no root type for the operation")
        try:
            return self._root(operation, root, data)
        except RecursionError:
            raise UnpricedDocument("nested too deeply to price") from None

    def _root(self, operation: OperationDefinitionNode, root: GraphQLObjectType, data: Any) -> int:
        if operation.operation != OperationType.MUTATION:
            return self._object(root, (operation.selection_set,), data)
        total = 0
        for key, nodes in self._collect(root, (operation.selection_set,)).items():
            field = self._field(root, nodes[0])
            value = data if data is _STATIC else data.get(key)
            named = get_named_type(field.type) if field else None
            # The payload's object is inside the mutation's 10; null or not, it was attempted.
            total += MUTATION_COST
            if named is not None and not is_leaf_type(named) and value is not None:
                total += self._composite(named, _selections(nodes), value)
        return total

    # -- the walk ---------------------------------------------------------------------

    def _composite(
        self, named: GraphQLNamedType, sets: tuple[SelectionSetNode, ...], data: Any
    ) -> int:
        """The selection ``sets`` on a composite type, for requested (``_STATIC``) or
        returned data (an object, or a plain list of them)."""
        if isinstance(data, list):
            # Items are not walked: a list returned whole costs what it was priced at (for
            # introspection's ~100 types walking them cost a fifth of the request).
            return self._composite(named, sets, _STATIC) if data else 0
        if is_abstract_type(named):
            possible = self.schema.get_possible_types(named)
            return max((self._object(t, sets, data) for t in possible), default=0)
        assert isinstance(named, GraphQLObjectType)
        return self._object(named, sets, data)

    def _object(
        self, type_: GraphQLObjectType, sets: tuple[SelectionSetNode, ...], data: Any
    ) -> int:
        memo_key = (type_.name, tuple(id(s) for s in sets))
        if data is _STATIC and memo_key in self.memo:
            return self.memo[memo_key]
        if data is not _STATIC and self.memo.get(memo_key) == 0:
            return 0  # nothing in it costs anything: no need to walk the data
        total = 0
        for key, nodes in self._collect(type_, sets).items():
            field = self._field(type_, nodes[0])
            if field is None:
                continue  # __typename
            value = data if data is _STATIC else data.get(key)
            total += self._field_cost(field, nodes, value)
        if data is _STATIC:
            self.memo[memo_key] = total
        return total

    def _field_cost(self, field: GraphQLField, nodes: list[FieldNode], value: Any) -> int:
        named = get_named_type(field.type)
        if is_leaf_type(named) or value is None:
            return 0
        sets = _selections(nodes)
        if isinstance(named, GraphQLObjectType) and _is_connection(named):
            return CONNECTION_COST + self._page(named, nodes, sets, value)
        return OBJECT_COST + self._composite(named, sets, value)

    def _page(
        self,
        connection: GraphQLObjectType,
        nodes: list[FieldNode],
        sets: tuple[SelectionSetNode, ...],
        value: Any,
    ) -> int:
        """A connection's items: page size (or edges returned) times one item, an item being
        its edge's selection and at least 1 (a row is read whatever is selected of it)."""
        edge_type = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        total = 0
        for key, edge_nodes in self._collect(connection, sets).items():
            if edge_nodes[0].name.value != "edges":
                continue  # pageInfo is inside the connection's 2
            item_sets = _selections(edge_nodes)
            if value is _STATIC:
                item = max(OBJECT_COST, self._object(edge_type, item_sets, value))
                total += self._page_size(nodes[0]) * item
            else:
                for edge in value.get(key) or ():
                    total += max(OBJECT_COST, self._object(edge_type, item_sets, edge))
        return total

    # -- selections as graphql-core collects them ------------------------------------------

    def _collect(
        self, type_: GraphQLObjectType, sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        pending: list[SelectionNode] = [s for ss in reversed(sets) for s in reversed(ss.selections)]
        while pending:
            selection = pending.pop()
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, type_):
                    pending.extend(reversed(selection.selection_set.selections))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition, type_):
                    pending.extend(reversed(fragment.selection_set.selections))
        return fields

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        wanted = self.schema.get_type(condition.name.value)
        if wanted is None or wanted is type_:
            return wanted is type_
        return is_abstract_type(wanted) and self.schema.is_sub_type(wanted, type_)

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (a.value for a in directive.arguments or () if a.name.value == "if"), None
            )
            value = self._value(condition)
            if isinstance(value, bool) and value == (name == "skip"):
                return False
        return True

    def _field(self, type_: GraphQLObjectType, node: FieldNode) -> GraphQLField | None:
        name = node.name.value
        if name in _META_FIELDS and type_ is self.schema.query_type:
            return _META_FIELDS[name]
        field: GraphQLField | None = type_.fields.get(name)
        return field

    def _page_size(self, node: FieldNode) -> int:
        """``first`` (or ``last``) as given, the default page when absent, at most a page."""
        for argument in ("first", "last"):
            given = next((a.value for a in node.arguments or () if a.name.value == argument), None)
            size = self._value(given)
            if isinstance(size, int) and not isinstance(size, bool):
                return min(max(size, 0), MAX_PAGE)
        return DEFAULT_PAGE

    def _value(self, node: Any) -> Any:
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value)
            self.read[node.name.value] = value
            return value
        if isinstance(node, IntValueNode):
            return int(node.value)
        return getattr(node, "value", None)


def _selections(nodes: Sequence[FieldNode]) -> tuple[SelectionSetNode, ...]:
    return tuple(n.selection_set for n in nodes if n.selection_set is not None)


def _is_connection(type_: GraphQLObjectType) -> bool:
    return "edges" in type_.fields and "pageInfo" in type_.fields
