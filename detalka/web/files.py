"""Downloads: ``GET /files/<token>``, an unguessable capability valid until expiry."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from detalka.adapters.storage import FileStorage
from detalka.clock import Clock
from detalka.resolvers.order_views import document_by_download_token


def content_disposition(file_name: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` so that a Cyrillic name survives."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download_endpoint(storage: FileStorage, clock: Clock):  # type: ignore[no-untyped-def]
    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        document = await document_by_download_token(token)
        if document is None:
            return PlainTextResponse("Файл не найден.", status_code=404)
        if document.deleted_at is not None or document.expires_at <= clock.now():
            return PlainTextResponse("Срок хранения файла истёк.", status_code=410)
        return FileResponse(
            storage.path(document.storage_key),
            media_type=document.content_type,
            headers={
                "Content-Disposition": content_disposition(document.file_name),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
