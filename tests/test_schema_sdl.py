"""The committed SDL is the contract front-ends read; it may not drift from the code."""

from __future__ import annotations

from detalka.schema import SDL_PATH, build_schema, sdl


def test_the_committed_sdl_matches_the_schema() -> None:
    committed = SDL_PATH.read_text(encoding="utf-8")
    assert committed == sdl(), (
        "schema changed: run `detalka schema > detalka/schema/schema.graphql`"
    )


def test_every_type_field_and_argument_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not hasattr(graphql_type, "fields"):
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in graphql_type.fields.items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []


def test_production_turns_introspection_off() -> None:
    result = build_schema(production=True).execute_sync("{ __schema { types { name } } }")
    assert result.errors
    assert build_schema().execute_sync("{ __schema { queryType { name } } }").errors is None
