"""How big an operation is once its fragments are expanded, measured without expanding them.

A fragment that spreads the next one twice, 30 levels deep, is a document under 1 KB that
stands for 2^30 fields. strawberry's alias limiter expanded every spread (13 s at 22 levels,
minutes at 30, before validation even started). Here each fragment definition is measured
once and its measure reused wherever it is spread, so the work is linear in the document
while the counts are those of the expanded operation: every spread counts, even the same
fragment spread twice in one selection set (which no client needs), and the walk stops at
the first count past its limit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from detalka.schema.limits import QueryLimits


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    # How often each response key occurs at this level (fragments merged in): graphql-core's
    # OverlappingFieldsCanBeMerged compares every pair of fields sharing a key, so 1,000
    # copies of one field cost seconds to validate.
    keys: Counter[str] = field(default_factory=Counter)


ZERO = Measure()


class OverLimit(Exception):
    """A count went past its limit: the walk stops at once, so its work stays bounded by
    the limits, not by what the document would expand to."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} > {limit}")
        self.what = what
        self.limit = limit
        self.visits = 0  # selections the walk looked at before it stopped


class _Walk:
    def __init__(self, document: DocumentNode, limits: QueryLimits) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.limits = limits
        self.memo: dict[str, Measure] = {}
        self.in_progress: set[str] = set()
        self.visits = 0  # selections looked at: bounded by the document, proven by a test

    def selection_set(self, node: SelectionSetNode, nesting: int) -> Measure:
        limits = self.limits
        if nesting > limits.nesting:
            raise OverLimit("nesting", limits.nesting)
        depth = aliases = fields = 0
        keys: Counter[str] = Counter()
        for selection in node.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                inner = ZERO
                if selection.selection_set is not None:
                    inner = self.selection_set(selection.selection_set, nesting + 1)
                depth = max(depth, inner.depth + 1)
                aliases += inner.aliases + (selection.alias is not None)
                fields += inner.fields + 1
                keys[(selection.alias or selection.name).value] += 1
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set, nesting + 1)
                else:
                    assert isinstance(selection, FragmentSpreadNode)
                    inner = self.fragment(selection.name.value, nesting + 1)
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                fields += inner.fields
                keys.update(inner.keys)
            _check("depth", depth, limits.depth)
            _check("aliases", aliases, limits.aliases)
            _check("fields", fields, limits.fields)
            _check("repeats", max(keys.values(), default=0), limits.repeats)
        return Measure(depth, aliases, fields, keys)

    def fragment(self, name: str, nesting: int) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return ZERO  # unknown or cyclic: validation reports it
        self.in_progress.add(name)
        measure = self.selection_set(definition.selection_set, nesting)
        self.in_progress.discard(name)
        self.memo[name] = measure
        return measure


def _check(what: str, count: int, limit: int) -> None:
    if count > limit:
        raise OverLimit(what, limit)


def measure_operations(document: DocumentNode, limits: QueryLimits) -> tuple[Measure, int]:
    """The largest measure of each kind over the document's operations, and the number of
    selections visited to find it. Raises :class:`OverLimit` at the first count past its
    limit (``nesting`` counts selection sets inside each other, fragments included)."""
    walk = _Walk(document, limits)
    depth = aliases = fields = 0
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                found = walk.selection_set(definition.selection_set, 1)
                depth = max(depth, found.depth)
                aliases = max(aliases, found.aliases)
                fields = max(fields, found.fields)
    except OverLimit as over:
        over.visits = walk.visits
        raise
    return Measure(depth, aliases, fields), walk.visits
