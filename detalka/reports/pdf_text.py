"""Table text for the PDF as the page operators reportlab's text object writes for it.

``render_pdf`` writes a table row straight into the page's operators (``canvas._code``, what
``showPage`` joins), the very ones a text object writes for a ``textOut`` a cell; through
the text object a row of eight cells cost five times as much (issue #16, bench/RESULTS.md).
tests/test_renderers.py draws the same rows both ways and compares the files byte for byte.

- Widths: the font's ``charWidths`` through a dict by character, summed with ``sum(map())``:
  the same floats as reportlab's ``stringWidth`` (the same widths, summed in order).
- Encoding: a document's font subsets are filled in the order characters are first drawn,
  so ``BodyText`` asks reportlab's ``splitString`` for each new character, one at a time, in
  the order the text object would have; text outside subset 0 goes through it whole.
- ``ColumnCells``: each column's values shown once per document (origin, subset, operators).

Every cache here is emptied at ``CACHED`` entries, and per document: memory stays flat.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from reportlab.lib.rl_accel import escapePDF, fp_str  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from detalka.reports.report import Cell, ColumnKind
from detalka.reports.writing import human_cell

FONT, SIZE = "DejaVuSans", 8.0  # the table's text
TEXT_FONT = f"{fp_str(SIZE)} Tf {fp_str(SIZE * 1.2)} TL"  # a text object's size and leading
CACHED = 4096  # entries a cache holds before it is emptied
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


class ColumnCells:
    """A column's cells in one document: each value shown as the text object would show it
    (its origin's x, its font subset, its string operators), remembered for the values that
    repeat (directions, zones, descriptions, amounts, durations)."""

    def __init__(self, kind: ColumnKind, left: float, right: float | None, room: float) -> None:
        """``left``: the origin's x of a left-aligned text; ``right``: where a right-aligned
        one ends (its origin is ``right`` less its width, evaluated so); ``room``: the most
        width a text may take, cut with «…» past it."""
        self.kind = kind
        self._room = room
        self._right = right
        self._left = fp_str(left)
        # Values whose equality means the same text: never datetimes (one instant in two
        # zones), bools (True == 1) or Decimals outside money (1.0 and 1.00 print apart).
        self.keyed = {str, int, type(None)} | ({Decimal} if kind is ColumnKind.MONEY else set())
        self.shown: dict[Cell, tuple[str, int, Any]] = {}

    def show(self, value: Cell, text: BodyText) -> tuple[str, int, Any]:
        shown_text, text_width = fitted(
            value if type(value) is str else human_cell(value, self.kind),
            self._room,
            measure=_body_width,
        )
        x = self._left if self._right is None else fp_str(self._right - text_width)
        shown = (x, *text.show(shown_text))
        if type(value) in self.keyed:
            if len(self.shown) >= CACHED:
                self.shown.clear()
            self.shown[value] = shown
        return shown


class _Widths(dict[str, float]):
    """The body font's advance widths by character, as reportlab's ``stringWidth`` for a TTF
    takes them (``charWidths``, else the default width), for ``sum(map(...))`` in C."""

    def __init__(self) -> None:
        super().__init__()
        self._face: Any = None

    def __missing__(self, char: str) -> float:
        if self._face is None:
            self._face = getFont(FONT).face
        if len(self) >= CACHED:
            self.clear()
        width: float = self._face.charWidths.get(ord(char), self._face.defaultWidth)
        self[char] = width
        return width


_WIDTHS = _Widths()


def _body_width(text: str) -> float:
    """``stringWidth(text, FONT, SIZE)``, the same float: the same widths summed in order."""
    return 0.001 * SIZE * sum(map(_WIDTHS.__getitem__, text))


class _OtherSubset(Exception):
    """A character the document's font subset 0 does not hold."""


class BodyText:
    """Body text as PDF string operators in one canvas's document: the font subsets of a
    document are filled in the order characters are first drawn, so this asks reportlab's
    ``splitString`` for each new character, in the order the text object would have."""

    def __init__(self, canvas: Canvas) -> None:
        self._doc = canvas._doc
        self._font = getFont(FONT)
        self._codes = _SubsetZero(self._font, self._doc)
        self._names: dict[int, str] = {}

    def show(self, text: str) -> tuple[int, Any]:
        """``(0, "(...) Tj")`` for a text all in the font's subset 0 (``(0, "")`` for none);
        else ``(-1, runs)``, each run ``(subset, "(...) Tj")``, for ``runs``."""
        if not text:
            return 0, ""
        try:
            return 0, f"({''.join(map(self._codes.__getitem__, text))}) Tj"
        except _OtherSubset:
            split = self._font.splitString(text, self._doc)
            return -1, tuple((subset, f"({escapePDF(codes)}) Tj") for subset, codes in split)

    def runs(self, runs: tuple[tuple[int, str], ...], current: int) -> tuple[str, int]:
        """The operators of runs in several subsets, each selecting its subset's font when
        it is not ``current``; and the subset selected after them."""
        parts = []
        for subset, shows in runs:
            if subset != current:
                parts.append(f"{self.subset_name(subset)} {TEXT_FONT}")
                current = subset
            parts.append(shows)
        return " ".join(parts), current

    def subset_name(self, subset: int) -> str:
        name = self._names.get(subset)
        if name is None:
            name = self._names[subset] = self._font.getSubsetInternalName(subset, self._doc)
        return name


class _SubsetZero(dict[str, str]):
    """Characters of font subset 0 of a document, by their escaped code in it."""

    def __init__(self, font: Any, doc: Any) -> None:
        super().__init__()
        self._font, self._doc = font, doc

    def __missing__(self, char: str) -> str:
        ((subset, code),) = self._font.splitString(char, self._doc)
        if subset:
            raise _OtherSubset(char)
        escaped: str = escapePDF(code)
        self[char] = escaped
        return escaped


def fitted(
    text: str,
    width: float,
    font: str = FONT,
    size: float = SIZE,
    measure: Callable[[str], float] | None = None,
) -> tuple[str, float]:
    """The text, cut with «…» if it is wider than ``width``, and its width."""
    if measure is None:
        measure = functools.partial(_string_width, font=font, size=size)
    text = _CONTROLS.sub(" ", text)  # line breaks and tabs have no glyphs
    text_width = measure(text)
    if text_width <= width:
        return text, text_width
    while text:
        text = text[: len(text) - max(len(text) // 8, 1)]
        text_width = measure(text + "…")
        if text_width <= width:
            break
    return text + "…", text_width


def _string_width(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size))
