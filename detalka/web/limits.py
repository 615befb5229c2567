"""The first step of the input pipeline (schema/guard.py has the rest): a request's size,
refused before its body is read, and a WebSocket message's.

An HTTP body is refused from its ``Content-Length`` at once, and a body without one
(chunked) as soon as the bytes received pass the limit, so no more than the limit plus one
chunk is ever held. A WebSocket message over it closes the socket with 1009 ("message too
big", RFC 6455); uvicorn's own ``ws_max_size`` (16 MiB) is the bound before that.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Send

from detalka.errors import RequestErrorCode
from detalka.web.over_http import Refused

TOO_BIG = 1009  # RFC 6455: a message too big to process


def too_large(limit: int) -> Refused:
    return Refused(
        RequestErrorCode.REQUEST_TOO_LARGE,
        f"Запрос больше {limit} байт. Разделите его на несколько.",
        status=413,
    )


def check_declared(content_length: str | None, query_string: bytes, limit: int) -> None:
    """Raise :class:`Refused` when the declared body or the query string is over ``limit``."""
    if len(query_string) > limit:
        raise too_large(limit)
    if content_length is None:
        return
    if not content_length.strip().isdigit():
        raise Refused(RequestErrorCode.BAD_REQUEST, "Content-Length is not a number.")
    if int(content_length) > limit:
        raise too_large(limit)


def bounded_body(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises :class:`Refused` once the body passes ``limit`` bytes."""
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    return wrapped


def bounded_messages(receive: Receive, send: Send, limit: int) -> Receive:
    """``receive`` of a WebSocket that closes it (1009) on a message over ``limit``."""

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive":
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode("utf-8", "surrogatepass")) if text else len(data or b"")
            if size > limit:
                await send({"type": "websocket.close", "code": TOO_BIG, "reason": ""})
                return {"type": "websocket.disconnect", "code": TOO_BIG}
        return message

    return wrapped
