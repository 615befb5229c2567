"""A leaner execution path for selections made only of plain data fields.

graphql-core resolves every field on its own: a resolve-info object, a path, argument
handling, a completion step per nesting level. That is right for fields with resolvers,
and heavy for plain data: an expense summary for a year is ~1,100 fields (365 days x
``date``, ``amount { amount }``), which cost more than the database work under them.

:class:`PlainDataExecutor` takes a shortcut for an object whose *selected* fields are all
plain: strawberry fields without a resolver and without extensions (strawberry's own
"basic" fields: a permission is a field extension, so a guarded field is never plain),
without arguments and without directives other than ``@skip``/``@include``
(already applied when fields are collected), whose types are scalars, enums, lists of those
or objects selected the same way. A Relay node's ``id`` counts as plain when its type keeps
strawberry's own ``resolve_id`` and ``resolve_typename``: the global id is built from the
``NodeID`` attribute as ``Node._id`` builds it (and encoded as its ``str`` encodes it), so
connections of nodes take the shortcut too (before, every page of 100 usage records went the
general way for the sake of its ids).

A keyset page (``RowConnection``, schema/connections.py) keeps the rows it was read from:
when its edges' selection is plain and its node type says what each attribute of a node made
from a row would hold (``row_attributes``), the edges are made from the rows by one list
comprehension compiled for the selection (``_row_edges_function``) -- no ``Edge`` or node
objects, each field's completion the same as above, its first checks written out. A field
with extensions (a permission), an argument or a resolver of its own, or a page of another
node type, takes the way above (its ``edges`` made then).
For such a selection it compiles a small plan (response key, the field's value as
strawberry's own default resolver reads it, completion) and runs it for every object: the
same attribute and the same ``coerce_output_value`` as the general path (a ``str`` for
``String``/``ID`` and a ``bool`` for ``Boolean`` are returned as the coercion would return
them; an enum member's name is looked up once), so the response is identical. Plans are kept
with the parsed document (schema/derived.py), keyed by the selection's field nodes and the
values of the variables its directives read, so a document sent again (the dashboard, every
page of a connection) is not compiled again: that was ~3 ms of a dashboard request.
Anything unusual (a null in a non-null position, an unexpected type, an
exception) makes it give up on that object and run the general path, which reports the error
in its usual place. Nothing in the schema changes.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    OperationDefinitionNode,
    VariableNode,
    is_leaf_type,
)
from graphql import (
    Node as AstNode,
)
from graphql.pyutils import Undefined
from strawberry.relay import Node
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from detalka.schema.connections import Connection, RowConnection
from detalka.schema.derived import bounded_put, derived

Complete = Callable[[Any], Any]
Step = tuple[str, Callable[[Any], Any] | None, Any]
# An edge's field from a page's rows: (response key, "cursor" or "node" or None for a
# constant, the cursor's completion or the node's steps over a row or the constant)
EdgeStep = tuple[str, str | None, Any]
RowEdges = Callable[[Sequence[str], Sequence[Any]], list[dict[str, Any]]]
_SKIP_INCLUDE = frozenset({"skip", "include"})
# What graphql-core's coercion returns unchanged: a value of exactly this type.
_AS_IS = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool}
# Values of these exact types are never awaitable: no need to ask.
_NEVER_AWAITABLE = frozenset({int, float, str, bool, Decimal, datetime, date, time})
# What a compiled page may write out instead of calling a completion (_expression): a
# leaf's first checks (the type it returns as is, whether None passes), the inner completion
# of a non-null one, an object's steps and the class whose instances it completes.
_PASS_THROUGH: weakref.WeakKeyDictionary[Callable[..., Any], tuple[type | None, bool]] = (
    weakref.WeakKeyDictionary()
)
_NON_NULL: weakref.WeakKeyDictionary[Callable[..., Any], Complete] = weakref.WeakKeyDictionary()
_OBJECTS: weakref.WeakKeyDictionary[Callable[..., Any], tuple[list[Step], type]] = (
    weakref.WeakKeyDictionary()
)
MAX_PLANS = 200  # per document and values of its directives' variables


class _GiveUp(Exception):
    """This object is not plain after all: run the general path for it."""


class PlainDataExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so the id stays unique; its plan)
        self._plans: dict[int, tuple[Any, list[Step] | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:  # a middleware wraps every resolver
            steps = self._plan(parent_type, grouped_field_set)
            if steps is not None:
                try:
                    return _run(steps, source_value)
                except Exception:  # noqa: S110 - the general path below reports it
                    pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Step] | None:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        shared, key = self._shared_plans(parent_type, grouped_field_set)
        steps: list[Step] | None
        if shared is not None and key in shared:
            steps = shared[key]
        else:
            try:
                steps = self._compile(parent_type, grouped_field_set)
            except Exception:  # anything unforeseen: no shortcut, the general path decides
                steps = None
            if shared is not None and len(shared) < MAX_PLANS:
                shared[key] = steps
        self._plans[id(grouped_field_set)] = (grouped_field_set, steps)
        return steps

    def _shared_plans(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> tuple[dict[Any, Any] | None, Any]:
        """The plans kept with the document for these values of its directives' variables,
        and this selection's key there (the field nodes are the document's own); None when
        the selection depends on more than the document (fragment variables, @defer)."""
        operation = self.operation
        if not isinstance(operation, OperationDefinitionNode) or inspect.ismethod(
            self.is_awaitable  # a plan keeps it: never one bound to this request
        ):
            return None, None
        nodes = []
        for response_name, details in grouped_field_set.items():
            ids = []
            for detail in details:
                if detail.defer_usage is not None or detail.fragment_variable_values:
                    return None, None
                ids.append(id(detail.node))
            nodes.append((response_name, tuple(ids)))
        kept = derived(operation)
        names = kept.get("directive variables")
        if names is None:
            names = kept["directive variables"] = _directive_variables(operation, self.fragments)
        values = self.variable_values.coerced
        variant = tuple((type(v), v) for v in (values.get(name) for name in names))
        try:
            plans = kept.setdefault("plans", {})
            shared = plans.get((id(self.schema), variant))
            if shared is None:
                shared = {}
                bounded_put(plans, (id(self.schema), variant), shared)
        except TypeError:  # an unhashable value
            return None, None
        return shared, (parent_type.name, tuple(nodes))

    def _compile(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Step] | None:
        steps: list[Step] = []
        for response_name, field_details_list in grouped_field_set.items():
            nodes = [details.node for details in field_details_list]
            name = nodes[0].name.value
            if name == "__typename":
                steps.append((response_name, None, parent_type.name))
                continue
            field = parent_type.fields.get(name)
            global_id = _global_id_resolver(parent_type, field)
            if global_id is not None and not any(
                node.arguments or node.directives for node in nodes
            ):
                complete = self._completer(field.type, field_details_list)
                if complete is None:
                    return None
                steps.append((response_name, global_id, complete))
                continue
            if (
                field is None
                or field.args
                or not getattr(field.resolve, "_is_default", False)  # strawberry: basic field
                or any(node.arguments for node in nodes)
                or any(d.name.value not in _SKIP_INCLUDE for n in nodes for d in n.directives or ())
            ):
                return None
            read = _reader(field)
            complete = self._completer(field.type, field_details_list)
            if read is None or complete is None:
                return None
            if name == "edges" and _is_connection(parent_type):
                from_rows = self._row_edges(field.type, field_details_list)
                if from_rows is not None:
                    read, complete = _itself, _edges(from_rows, read, complete)
            steps.append((response_name, read, complete))
        return steps

    def _row_edges(
        self, type_: GraphQLOutputType, field_details_list: Any
    ) -> tuple[type | None, RowEdges] | None:
        """A plain selection of a connection's edges as one function of a
        :class:`RowConnection`'s cursors and rows (see ``_row_edges_function``), and the node
        type whose ``row_attributes`` it reads (None when no node is selected); None when the
        selection is not plain."""
        edge_type = _unwrap(type_, GraphQLNonNull, GraphQLList, GraphQLNonNull)
        if not isinstance(edge_type, GraphQLObjectType):
            return None
        grouped, defer_usages, _ = self.collect_subfields(edge_type, field_details_list)
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
                complete = self._completer(field.type, details)
                if complete is None:
                    return None
                steps.append((response_name, "cursor", complete))
            elif name == "node":
                node_type = _unwrap(field.type, GraphQLNonNull)
                node = self._row_node(node_type, details) if node_type is not None else None
                if node is None:
                    return None
                origin, node_steps = node
                steps.append((response_name, "node", node_steps))
            else:
                return None
        return origin, _row_edges_function(steps)

    def _row_node(self, node_type: Any, field_details_list: Any) -> tuple[type, list[Step]] | None:
        """A plain selection of a node as steps over a row, through its ``row_attributes``."""
        if not isinstance(node_type, GraphQLObjectType):
            return None
        origin = getattr((node_type.extensions or {}).get("strawberry-definition"), "origin", None)
        attributes = getattr(origin, "row_attributes", None)
        if not isinstance(origin, type) or not isinstance(attributes, dict):
            return None
        grouped, defer_usages, _ = self.collect_subfields(node_type, field_details_list)
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
            complete = self._completer(field.type, details)
            if read is None or complete is None:
                return None
            steps.append((response_name, read, complete))
        return origin, steps

    def _completer(self, type_: GraphQLOutputType, field_details_list: Any) -> Complete | None:
        if isinstance(type_, GraphQLNonNull):
            if is_leaf_type(type_.of_type):
                return self._leaf(type_.of_type, nullable=False)
            inner = self._completer(type_.of_type, field_details_list)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                if value is None:
                    raise _GiveUp
                return inner(value)

            _NON_NULL[non_null] = inner
            return non_null
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, field_details_list)
            if item is None:
                return None

            def listed(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, list | tuple):
                    raise _GiveUp
                return [item(element) for element in value]

            return listed
        if is_leaf_type(type_):
            return self._leaf(type_, nullable=True)
        if isinstance(type_, GraphQLObjectType):
            grouped, defer_usages, _ = self.collect_subfields(type_, field_details_list)
            if defer_usages:
                return None
            steps = self._plan(type_, grouped)
            if steps is None:
                return None
            # strawberry's is_type_of is an isinstance check that never reads the info.
            is_type_of: Callable[[Any, Any], Any] | None = type_.is_type_of
            definition = (type_.extensions or {}).get("strawberry-definition")
            origin = getattr(definition, "origin", None)
            is_awaitable = self.is_awaitable

            def object_(value: Any) -> Any:
                if value is None:
                    return None
                if is_awaitable(value) or (is_type_of and not is_type_of(value, None)):
                    raise _GiveUp
                return _run(steps, value)

            if isinstance(origin, type) and not hasattr(origin, "__await__"):
                _OBJECTS[object_] = (steps, origin)
            return object_
        return None  # interfaces and unions: the general path resolves their type

    def _leaf(self, type_: Any, *, nullable: bool) -> Complete:
        coerce = type_.coerce_output_value
        awaitable = self.is_awaitable
        as_is = _AS_IS.get(id(type_))
        names = _enum_names(type_)
        member = getattr(type_, "wrapped_cls", None)

        def leaf(value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                raise _GiveUp
            kind = type(value)
            if kind is as_is:
                return value
            if names is not None and isinstance(value, member):  # type: ignore[arg-type]
                name = names.get(value.value)
                if name is not None:
                    return name
            if kind not in _NEVER_AWAITABLE and awaitable(value):
                raise _GiveUp
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise _GiveUp
            return coerced

        # What a compiled page may check before calling (see _row_edges_function).
        _PASS_THROUGH[leaf] = (as_is, nullable)
        return leaf


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

    What ``_run`` would do for each edge and its node, written out once for this selection:
    ``[{"cursor": c0(cursor), "node": {"id": r1_0(row)..., "kind": c1_2(r1_2(row))}} ...]``,
    each value the node field's completion of its ``row_attributes`` reader, constants
    (``__typename``) as they are. A page of 100 rows of 14 fields was ~40% of a usage
    page's time through ``_run``'s loop. Only response keys (GraphQL names, already
    parsed) are written into the source, as ``repr`` literals; everything else is a name
    bound in the function's namespace, never source text.
    """
    names: dict[str, Any] = {}
    edge: list[str] = []
    for i, (key, what, payload) in enumerate(steps):
        if what == "cursor":
            edge.append(f"{key!r}: {_expression('cursor', payload, names, str(i))}")
        elif what == "node":
            node: list[str] = []
            for j, (node_key, read, complete) in enumerate(payload):
                if read is None:
                    names[f"k{i}_{j}"] = complete
                    node.append(f"{node_key!r}: k{i}_{j}")
                else:
                    names[f"r{i}_{j}"] = read
                    value = _expression(f"r{i}_{j}(row)", complete, names, f"{i}_{j}")
                    node.append(f"{node_key!r}: {value}")
            edge.append(f"{key!r}: {{{', '.join(node)}}}")
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
        fields = []
        for k, (key, read, complete) in enumerate(steps):
            if read is None:
                names[f"k{at}_{k}"] = complete
                fields.append(f"{key!r}: k{at}_{k}")
            else:
                names[f"r{at}_{k}"] = read
                field = _expression(f"r{at}_{k}(o{at})", complete, names, f"{at}_{k}")
                fields.append(f"{key!r}: {field}")
        built = f"{{{', '.join(fields)}}}"
        if nullable:
            return (
                f"(None if (o{at} := {value}) is None"
                f" else {built} if type(o{at}) is t{at} else {call}(o{at}))"
            )
        return f"({built} if type(o{at} := {value}) is t{at} else {call}(o{at}))"
    as_is, nullable = _PASS_THROUGH.get(completion, (None, False))
    if not nullable and as_is is None:
        return f"{call}({value})"
    walrus = f"(v := {value})"  # the first check reads the value, the others its name
    if nullable:
        condition = f"{walrus} is None"
        if as_is is not None:
            condition += f" or type(v) is {as_is.__name__}"
    else:
        condition = f"type({walrus}) is {as_is.__name__}"  # type: ignore[union-attr]
    return f"(v if {condition} else {call}(v))"


def _row_global_id(type_name: str, pk: Callable[[Any], Any]) -> Callable[[Any], str]:
    """A node's Relay id from its row, as ``_global_id_resolver`` gives it from the node."""

    def resolve(row: Any) -> str:
        node_id = pk(row)
        if node_id is None:
            raise _GiveUp
        return to_base64(type_name, str(node_id))

    return resolve


def _itself(value: Any) -> Any:
    return value


def _enum_names(type_: Any) -> dict[Any, str] | None:
    """strawberry's enum coercion (the first name whose value equals the member's) as a
    lookup; None where it does not apply."""
    if (
        not isinstance(type_, CustomGraphQLEnumType)
        or type(type_).coerce_output_value is not CustomGraphQLEnumType.coerce_output_value
    ):
        return None
    names: dict[Any, str] = {}
    try:
        for name, value in type_.values.items():
            names.setdefault(value.value, name)
    except TypeError:  # an unhashable value
        return None
    return names


def _directive_variables(operation: OperationDefinitionNode, fragments: Any) -> tuple[str, ...]:
    """The variables any directive of the operation or its fragments reads, sorted."""
    names: set[str] = set()

    def visit(node: Any, in_directive: bool) -> None:
        if isinstance(node, VariableNode):
            if in_directive:
                names.add(node.name.value)
            return
        if isinstance(node, tuple | list):
            for item in node:
                visit(item, in_directive)
            return
        if not isinstance(node, AstNode):
            return
        inside = in_directive or type(node).__name__ == "DirectiveNode"
        for key in node.keys:
            if key not in ("loc", "variable_definitions"):
                visit(getattr(node, key, None), inside)

    visit(operation, False)
    for fragment in fragments.values():
        visit(fragment, False)
    return tuple(sorted(names))


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


def _run(steps: list[Step], source: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for response_name, resolve, complete in steps:
        result[response_name] = complete if resolve is None else complete(resolve(source))
    return result
