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

Pages of rows (``RowConnection``) take a further shortcut: schema/plain_rows.py.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from graphql import (
    GraphQLBoolean,
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
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from detalka.schema.derived import bounded_put, derived
from detalka.schema.plain_fields import (
    _SKIP_INCLUDE,
    Complete,
    Step,
    _GiveUp,
    _global_id_resolver,
    _reader,
)
from detalka.schema.plain_rows import (
    _NON_NULL,
    _OBJECTS,
    _PASS_THROUGH,
    _edges,
    _is_connection,
    _itself,
    leaf_shortcut,
    object_function,
    row_edges,
)

# What graphql-core's coercion returns unchanged: a value of exactly this type.
_AS_IS = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool}
# Values of these exact types are never awaitable: no need to ask.
_NEVER_AWAITABLE = frozenset({int, float, str, bool, Decimal, datetime, date, time})
MAX_PLANS = 200  # per document and values of its directives' variables
# A selection's steps, and them written out as one function of the object (object_function)
Plan = tuple[list[Step], Callable[[Any], dict[str, Any]]]


class PlainDataExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so the id stays unique; its plan)
        self._plans: dict[int, tuple[Any, Plan | None]] = {}

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
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return plan[1](source_value)
                except Exception:  # noqa: S110 - the general path below reports it
                    pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        shared, key = self._shared_plans(parent_type, grouped_field_set)
        plan: Plan | None
        if shared is not None and key in shared:
            plan = shared[key]
        else:
            try:
                steps = self._compile(parent_type, grouped_field_set)
                plan = None if steps is None else (steps, object_function(steps))
            except Exception:  # anything unforeseen: no shortcut, the general path decides
                plan = None
            if shared is not None and len(shared) < MAX_PLANS:
                shared[key] = plan
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

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
                from_rows = row_edges(self, field.type, field_details_list)
                if from_rows is not None:
                    read, complete = _itself, _edges(from_rows, read, complete)
            steps.append((response_name, read, complete))
        return steps

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
            plan = self._plan(type_, grouped)
            if plan is None:
                return None
            steps, run = plan
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
                return run(value)

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
        _PASS_THROUGH[leaf] = (as_is, nullable, leaf_shortcut(coerce, names, member))
        return leaf


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
