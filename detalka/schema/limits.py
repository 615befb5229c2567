"""What one request may ask of the server before it runs: every bound of the input pipeline.

docs/security.md ("Input limits") lists the same values and what a client gets past each.
The body and WebSocket message sizes are settings (``DETALKA_MAX_BODY_BYTES``); the bounds
of a document are the schema's, the same for every deployment, since a client written for
one must work on another.
"""

from __future__ import annotations

from dataclasses import dataclass

# The largest id a database primary key here holds (PostgreSQL INTEGER, SQLite's too as we
# use it): a larger one names nothing, and asyncpg refuses it with "out of int32 range".
MAX_PK = 2**31 - 1
# Any string argument: the longest legitimate one (an email address) is 254 characters.
MAX_STRING_CHARS = 1000
# Any ID argument: a global ID of the largest type name and key is under 40 characters.
MAX_ID_CHARS = 100


@dataclass(frozen=True)
class QueryLimits:
    """Bounds of a GraphQL document, checked in this order, cheapest first."""

    # Characters of the document text: checked before the lexer sees it.
    document_chars: int = 50_000
    # Lexical tokens (graphql-core stops lexing at this count) and comments: parsing costs
    # about 10 us a token, so the largest document refused at the count takes ~50 ms.
    tokens: int = 5_000
    comments: int = 1_000
    # Counted over the operation with every fragment spread expanded, each fragment
    # measured once (memoised): fields nested deeper than `depth`, more than `aliases`
    # aliases or `fields` fields refuse the document before validation.
    depth: int = 20
    aliases: int = 30
    fields: int = 1_000
    # Fields sharing one response key at one level (fragments merged in): validation
    # compares each pair of them, so this bounds a quadratic step.
    repeats: int = 20
    # Selection sets nested inside each other, fragments included: the walk stops here.
    nesting: int = 64
    # Parsed documents (and their validation) kept between requests, by document text
    # length; an AST costs about 100 bytes of memory per character of text.
    cache_chars: int = 256 * 1024


LIMITS = QueryLimits()
