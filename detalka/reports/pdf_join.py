"""Joins PDFs that reportlab saved one chunk of pages at a time into one PDF, as they come.

A reportlab canvas keeps every page in memory until it is saved (some 16,000 pages for a
million rows), so ``render_pdf`` saves one every few hundred pages and hands it here. Each
chunk is copied into the output at once: its objects renumbered, its page tree hung under
one root; streams are copied byte for byte. Memory holds one chunk, plus one offset per
object (8 bytes) for the cross-reference table written at the end.
"""

from __future__ import annotations

import re
from array import array
from datetime import UTC, datetime
from typing import BinaryIO

_OBJECT_START = re.compile(rb"\d+ 0 obj\s*")
_STREAM_START = re.compile(rb">>\s*stream\r?\n")
_REFERENCE = re.compile(rb"(?<![\d.])(\d+) 0 R\b")
_XREF_ENTRY = re.compile(rb"(\d{10}) \d{5} ([nf])")
_ROOT_PAGES, _CATALOG, _INFO = 1, 2, 3  # object numbers the joiner keeps for itself
_XREF_BATCH = 1000


class PdfJoiner:
    """Writes one PDF from many that reportlab saved (classic xref, one subsection each).

    Each chunk's objects are copied as they are, renumbered, except its catalog and info;
    its page tree becomes a kid of the root page tree. Streams are copied byte for byte.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._written = 0
        self._offsets = array("Q", [0, 0, 0, 0])  # by object number; 0 is the free head
        self._kids: list[int] = []
        self._page_count = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def add(self, chunk: bytes) -> None:
        xref_at = int(chunk[chunk.rindex(b"startxref") + len(b"startxref") :].split()[0])
        entries = _XREF_ENTRY.findall(chunk, xref_at)
        starts = {n: int(offset) for n, (offset, kind) in enumerate(entries) if kind == b"n"}
        trailer = chunk[chunk.index(b"trailer", xref_at) :]
        catalog, info = (_number_after(key, trailer) for key in (b"/Root", b"/Info"))
        order = sorted(starts, key=starts.__getitem__)
        bounds = [*(starts[number] for number in order), xref_at]
        bodies = {
            number: _object_body(chunk, bounds[index], bounds[index + 1])
            for index, number in enumerate(order)
        }
        pages = _number_after(b"/Pages", bodies[catalog])
        self._page_count += int(_number_after(b"/Count", bodies[pages]))
        kept = [number for number in sorted(bodies) if number not in (catalog, info)]
        renumbered = {old: len(self._offsets) + index for index, old in enumerate(kept)}
        for old in kept:
            body = bodies[old]
            if old == pages:
                body = body.replace(b"<<", b"<< /Parent %d 0 R" % _ROOT_PAGES, 1)
            self._object(renumbered[old], _renumber(body, renumbered))
        self._kids.append(renumbered[pages])

    def finish(self, title: str) -> None:
        kids = b" ".join(b"%d 0 R" % kid for kid in self._kids)
        count = self._page_count
        self._object(_ROOT_PAGES, b"<< /Type /Pages /Kids [%s] /Count %d >>\n" % (kids, count))
        catalog = b"<< /Type /Catalog /Pages %d 0 R /Lang (ru-RU) >>\n" % _ROOT_PAGES
        self._object(_CATALOG, catalog)
        created = datetime.now(UTC).strftime("D:%Y%m%d%H%M%SZ").encode()
        info = b"<< /Title <%s> /Producer (Detalka, ReportLab) /CreationDate (%s) >>\n"
        self._object(_INFO, info % (_pdf_text(title), created))
        xref_at = self._written
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets))
        for start in range(1, len(self._offsets), _XREF_BATCH):  # a few KB at a time
            batch = self._offsets[start : start + _XREF_BATCH]
            self._write(b"".join(b"%010d 00000 n \n" % offset for offset in batch))
        trailer = b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        self._write(trailer % (len(self._offsets), _CATALOG, _INFO, xref_at))

    def _object(self, number: int, body: bytes) -> None:
        if number < len(self._offsets):
            self._offsets[number] = self._written
        else:
            self._offsets.append(self._written)
        self._write(b"%d 0 obj\n%sendobj\n" % (number, body))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)


def _object_body(chunk: bytes, start: int, end: int) -> bytes:
    """What lies between ``N 0 obj`` and ``endobj``."""
    head = _OBJECT_START.match(chunk, start)
    if head is None:
        raise ValueError(f"no PDF object at offset {start}")
    return chunk[head.end() : chunk.rindex(b"endobj", start, end)]


def _renumber(body: bytes, renumbered: dict[int, int]) -> bytes:
    """Rewrites references in the dictionary; a stream after it is copied untouched."""
    stream = _STREAM_START.search(body)
    split = stream.end() if stream else len(body)
    head = _REFERENCE.sub(lambda match: b"%d 0 R" % renumbered[int(match[1])], body[:split])
    return head + body[split:]


def _number_after(key: bytes, text: bytes) -> int:
    match = re.search(re.escape(key) + rb"\s+(\d+)", text)
    if match is None:
        raise ValueError(f"no {key.decode()} in a PDF chunk")
    return int(match[1])


def _pdf_text(text: str) -> bytes:
    """A PDF text string in UTF-16BE with its byte order mark, as hex."""
    return ("\ufeff" + text).encode("utf-16-be").hex().upper().encode()
