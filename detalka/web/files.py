"""Downloads: ``GET /files/<token>``, an unguessable capability valid until expiry.

From object storage the file is streamed through this process rather than redirected to
a presigned URL: the link stays the capability checked at every request (410 once the
document expired or was purged, when a presigned URL would still work for its lifetime),
the bucket need not be reachable from subscribers' devices (MinIO inside the network), and
the headers (the Cyrillic file name, no-store, nosniff) stay ours. The price: the bytes
pass through the API, 1 MiB at a time (memory flat, bandwidth not).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from detalka.adapters.storage import Storage
from detalka.clock import Clock
from detalka.resolvers.order_views import document_by_download_token


def content_disposition(file_name: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` so that a Cyrillic name survives."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download_endpoint(storage: Storage, clock: Clock):  # type: ignore[no-untyped-def]
    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        document = await document_by_download_token(token)
        if document is None:
            return PlainTextResponse("Файл не найден.", status_code=404)
        if document.deleted_at is not None or document.expires_at <= clock.now():
            return PlainTextResponse("Срок хранения файла истёк.", status_code=410)
        headers = {
            "Content-Disposition": content_disposition(document.file_name),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        }
        local = storage.local_path(document.storage_key)
        if local is not None:
            return FileResponse(local, media_type=document.content_type, headers=headers)
        headers["Content-Length"] = str(document.size_bytes)
        return StreamingResponse(
            storage.chunks(document.storage_key),
            media_type=document.content_type,
            headers=headers,
        )

    return download
