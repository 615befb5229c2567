"""#11: a document that would stall the server is refused before validation, in work
bounded by the document's size and the limits, not by what it expands to."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    get_introspection_query,
    parse,
    visit,
)
from graphql.language import Lexer, Source, TokenKind, Visitor

from detalka.schema import build_schema
from detalka.schema import guard as guard_module
from detalka.schema.guard import DocumentCache, Guard, count_tokens
from detalka.schema.limits import LIMITS
from detalka.schema.shape import OverLimit, measure_operations


def doubling(levels: int) -> str:
    """Each fragment spreads the next one twice: 2^levels fields once expanded, under 2 KB."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ regions {{ code }} }}")
    return "query Doubling { ...F0 }\n" + "\n".join(fragments)


def aliased_doubling(levels: int) -> str:
    """The same with aliases, which graphql-core's execution cannot merge."""
    fragments = [
        f"fragment F{i} on Query {{ a{i}: regions {{ code }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ regions {{ code }} }}")
    return "{ ...F0 }\n" + "\n".join(fragments)


def nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth - 2):
        inner = f"region {{ {inner} }}"
    return f'{{ stores(regionCode: "MOW") {{ {inner} }} }}'


class _Selections(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter(self, node: Any, *_: Any) -> None:
        if isinstance(node, FieldNode | FragmentSpreadNode | InlineFragmentNode):
            self.count += 1


def selections_in(text: str) -> int:
    counter = _Selections()
    visit(parse(text), counter)
    return counter.count


def refusal_of(text: str) -> GraphQLError | None:
    return Guard().prepare(text).error


@pytest.mark.parametrize("levels", [22, 30, 60])
def test_fragment_doubling_is_refused_after_visiting_each_selection_at_most_once(
    levels: int,
) -> None:
    text = doubling(levels)
    # when
    with pytest.raises(OverLimit) as over:
        measure_operations(parse(text), LIMITS)
    # then the walk looked at no more selections than the document has: linear work
    assert over.value.visits <= selections_in(text)
    error = refusal_of(text)
    assert error is not None and error.extensions == {"code": "QUERY_TOO_COMPLEX"}


def test_aliased_fragment_doubling_is_refused_too() -> None:
    error = refusal_of(aliased_doubling(30))
    assert error is not None and error.extensions == {"code": "QUERY_TOO_COMPLEX"}


def test_a_ten_megabyte_document_is_refused_before_the_parser_sees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[int] = []
    real_parse = guard_module.parse

    def counting_parse(source: str, **options: Any) -> Any:
        parsed.append(len(source))
        return real_parse(source, **options)

    monkeypatch.setattr(guard_module, "parse", counting_parse)
    text = "{ " + "regions { code } " * (10 * 2**20 // 17) + "}"
    assert len(text) > 10 * 10**6
    # when
    error = refusal_of(text)
    # then
    assert error is not None and error.extensions == {"code": "REQUEST_TOO_LARGE"}
    assert parsed == []
    assert refusal_of("{ regions { code } }") is None
    assert parsed == [len("{ regions { code } }")]


def test_too_many_tokens_are_refused_as_too_large_without_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_parse(source: str, **options: Any) -> Any:
        raise AssertionError("parsed")

    monkeypatch.setattr(guard_module, "parse", no_parse)
    text = "{ regions { " + "code " * LIMITS.tokens + "} }"
    assert len(text) < LIMITS.document_chars
    error = refusal_of(text)
    assert error is not None and error.extensions == {"code": "REQUEST_TOO_LARGE"}


def _lexed(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


@pytest.mark.parametrize(
    "text",
    [
        get_introspection_query(descriptions=True),
        '{ a(x: "he said \\"hi\\" {}", y: -1.5e3) { b } } # a comment { }',
        'query Q($v: [Int!]! = [1, 2]) @d { ...F } fragment F on Q { x: y(z: """a " {} """) }',
        doubling(5),
    ],
)
def test_the_quick_token_count_is_the_lexers(text: str) -> None:
    assert count_tokens(text) == _lexed(text)


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        (nested(LIMITS.depth), True),
        (nested(LIMITS.depth + 1), False),
        ("{ " + " ".join(f"a{i}: regions {{ code }}" for i in range(LIMITS.aliases)) + " }", True),
        ("{ " + " ".join(f"a{i}: regions {{ code }}" for i in range(31)) + " }", False),
        ("{ regions { " + " ".join("code name" for _ in range(10)) + " } }", True),
        ("{ " + "regions { code } " * (LIMITS.repeats + 1) + "}", False),
        ("{ regions { code name timeZone } " * 1 + "}", True),
    ],
)
def test_depth_aliases_and_repeats_have_their_limits(text: str, allowed: bool) -> None:
    error = refusal_of(text)
    assert (error is None) is allowed, error
    if not allowed:
        assert error is not None and error.extensions == {"code": "QUERY_TOO_COMPLEX"}


def stores_with_regions(stores: int) -> str:
    """``stores`` aliased fields of 101 fields each (20 regions of 5 fields): few aliases,
    no key repeated more than 20 times at a level, depth 3."""
    regions = "region { id code name timeZone } " * 20
    fields = " ".join(f's{i}: stores(regionCode: "MOW") {{ ...S }}' for i in range(stores))
    return f"{{ {fields} }} fragment S on Store {{ {regions} }}"


def test_more_than_a_thousand_fields_are_refused() -> None:
    assert refusal_of(stores_with_regions(9)) is None  # 909 fields
    error = refusal_of(stores_with_regions(10))  # 1,010
    assert error is not None and error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert f"{LIMITS.fields}" in error.message


def test_the_introspection_query_of_graphiql_passes_the_guard() -> None:
    assert refusal_of(get_introspection_query(descriptions=True)) is None


def test_the_document_cache_is_bounded_by_characters() -> None:
    cache = DocumentCache(max_chars=1000)
    guard = Guard()
    for i in range(200):
        text = f"query Q{i} {{ regions {{ code }} }}"
        cache.put(text, guard.prepare(text))
    assert cache.chars <= 1000
    assert 0 < len(cache) < 200
    assert cache.get("query Q199 { regions { code } }") is not None
    assert cache.get("query Q0 { regions { code } }") is None


async def test_a_refused_document_never_reaches_validation() -> None:
    schema = build_schema()
    result = await schema.execute(doubling(30))
    assert result.data is None
    assert [e.extensions for e in result.errors or []] == [{"code": "QUERY_TOO_COMPLEX"}]
