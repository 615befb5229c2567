"""What an explorer (GraphiQL, codegen) reads in the committed SDL (#12): a description on
every enum value, the scope each scoped field needs, nullable fields where one can fail on its
own, and one documented enum of the codes top-level errors carry."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from detalka.errors import ErrorCode, RequestErrorCode
from detalka.resolvers.access import Scope

ROOT = Path(__file__).resolve().parent.parent
SDL = ROOT / "detalka" / "schema" / "schema.graphql"


def committed() -> GraphQLSchema:
    return build_schema(SDL.read_text(encoding="utf-8"))


def enums(schema: GraphQLSchema) -> list[GraphQLEnumType]:
    return [
        t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLEnumType) and not name.startswith("__")
    ]


def test_every_enum_value_has_a_description() -> None:
    values = {
        f"{enum.name}.{name}": value.description
        for enum in enums(committed())
        for name, value in enum.values.items()
    }
    assert [v for v, text in values.items() if not text] == []
    # the 63 domain values, 8 of webhooks (#14), the userErrors codes and the top-level codes
    assert len(values) == 63 + 8 + len(ErrorCode) + len(RequestErrorCode)


def test_the_top_level_codes_are_one_enum_next_to_the_user_error_codes() -> None:
    schema = committed()
    top_level = schema.type_map["RequestErrorCode"]
    user_errors = schema.type_map["ErrorCode"]
    assert isinstance(top_level, GraphQLEnumType) and isinstance(user_errors, GraphQLEnumType)
    assert set(top_level.values) == {c.value for c in RequestErrorCode}
    assert set(user_errors.values) == {c.value for c in ErrorCode}
    # the one overlap: a period argument that breaks a rule answers with the rule's code
    assert set(top_level.values) & set(user_errors.values) == {
        "NOT_FOUND",
        "PERIOD_REVERSED",
        "PERIOD_IN_FUTURE",
        "PERIOD_BEFORE_HORIZON",
    }


def test_every_code_an_error_is_raised_with_is_in_the_enum() -> None:
    # Literal codes in extensions, and the enum's members named in code, across the package.
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "detalka").rglob("*.py"))
    literals = set(re.findall(r'"code":\s*"([A-Z_]+)"', sources))
    members = set(re.findall(r"RequestErrorCode\.([A-Z_]+)", sources))
    assert literals, "the search found no literal codes: the pattern is stale"
    assert (literals | members) - {c.value for c in RequestErrorCode} == set()


def test_every_scoped_field_names_its_scope_and_is_nullable() -> None:
    schema = committed()
    text = SDL.read_text(encoding="utf-8")
    named = re.findall(r'@scope\(name: "([^"]+)"\)', text)
    assert named and set(named) <= {s.value for s in Scope}
    assert text.count("@scope(") == len(named) + 1  # and the directive's definition
    checked = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            node = field.ast_node
            directives = [d.name.value for d in (node.directives or ())] if node else []
            if {"scope", "sessionOnly"} & set(directives):
                assert not isinstance(field.type, GraphQLNonNull), f"{type_.name}.{name}"
                checked += 1
    assert checked == len(named) + text.count("@sessionOnly") - 1


def test_connections_and_expenses_are_nullable_so_one_failure_keeps_the_rest() -> None:
    subscriber = committed().type_map["Subscriber"]
    assert isinstance(subscriber, GraphQLObjectType)
    for name in ("usage", "payments", "detailOrders", "expenses", "balances", "msisdn"):
        assert not isinstance(subscriber.fields[name].type, GraphQLNonNull), name


def test_nodes_takes_global_ids_and_says_its_bound() -> None:
    query = committed().query_type
    assert query is not None
    nodes = query.fields["nodes"]
    assert str(nodes.type) == "[Node]"
    assert str(nodes.args["ids"].type) == "[ID!]!"
    assert "100" in (nodes.args["ids"].description or "")
