"""Report files: rendered to a local temporary file, then saved under a key, read back by
key as a stream. ``file://`` keeps them under a directory (the embedded mode); ``s3://``
in an S3-compatible bucket (the distributed mode: every worker and API process reaches it,
which no shared disk does across machines).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

CHUNK = 1 << 20  # what a download or a file read holds at once


class Storage(Protocol):
    def temporary(self, key: str) -> Path:
        """A fresh local path to write the file of ``key`` to; nothing sees it until saved."""
        ...

    async def save(self, temporary: Path, key: str) -> None:
        """Put the written file under ``key`` (the temporary file is gone afterwards)."""
        ...

    async def remove(self, key: str) -> None:
        """Delete the file of ``key``; a missing one is not an error."""
        ...

    async def read(self, key: str) -> bytes:
        """The whole file (an email attachment, 10 MB at most)."""
        ...

    def chunks(self, key: str) -> AsyncIterator[bytes]:
        """The file as a stream of chunks, memory flat whatever its size."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file's path on this machine's disk, when it has one."""
        ...

    async def check(self) -> None:
        """Raise when the store cannot be used (readiness)."""
        ...


class FileStorage:
    """Files under one directory (the embedded mode, or one machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def temporary(self, key: str) -> Path:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")

    def commit(self, temporary: Path, key: str) -> None:
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, self.path(key))  # atomic on one filesystem

    async def save(self, temporary: Path, key: str) -> None:
        await asyncio.to_thread(self.commit, temporary, key)

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(self.delete, key)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        with self.path(key).open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    async def check(self) -> None:
        def probe() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            probe_path = self.root / f".ready-{secrets.token_hex(4)}"
            probe_path.write_bytes(b"")
            probe_path.unlink()

        await asyncio.to_thread(probe)


@dataclass(frozen=True)
class S3Options:
    endpoint_url: str | None = None  # MinIO, moto, another S3-compatible service
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"


class S3Storage:
    """An S3-compatible bucket through obstore (Rust's object_store: async, typed, one
    wheel). Files are uploaded in 8 MiB parts from the temporary file (multipart, at most
    4 parts in flight: 32 MiB of memory whatever the file's size) and downloaded as a
    stream."""

    PART = 8 << 20

    def __init__(self, bucket: str, prefix: str, scratch: Path, options: S3Options) -> None:
        from obstore.store import S3Store

        config: dict[str, str] = {"region": options.region}
        if options.endpoint_url:
            config["endpoint"] = options.endpoint_url
        if options.access_key_id and options.secret_access_key:
            config["access_key_id"] = options.access_key_id
            config["secret_access_key"] = options.secret_access_key
        http = bool(options.endpoint_url and options.endpoint_url.startswith("http://"))
        self.store = S3Store(
            bucket,
            prefix=prefix or None,
            config=config,  # type: ignore[arg-type]
            # Fail within seconds when the store is away: the message is retried later.
            client_options={"allow_http": http, "timeout": "30s", "connect_timeout": "3s"},
            retry_config={"max_retries": 2, "retry_timeout": timedelta(seconds=10)},
        )
        self.scratch = scratch

    def temporary(self, key: str) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / f".{secrets.token_hex(8)}.part"

    async def save(self, temporary: Path, key: str) -> None:
        import obstore

        try:
            await obstore.put_async(
                self.store,
                key,
                temporary,
                use_multipart=True,
                chunk_size=self.PART,
                max_concurrency=4,
            )
        finally:
            temporary.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink

    async def remove(self, key: str) -> None:
        import obstore

        # S3 answers a delete of a missing key with success; another store may not.
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self.store, key)

    async def read(self, key: str) -> bytes:
        import obstore

        result = await obstore.get_async(self.store, key)
        return bytes(await result.bytes_async())

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        import obstore

        result = await obstore.get_async(self.store, key)
        async for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    def local_path(self, key: str) -> Path | None:
        return None

    async def check(self) -> None:
        import obstore

        # One listing request: the bucket exists and the credentials work.
        stream = obstore.list(self.store, chunk_size=1)
        async for _ in stream:
            break


def storage_for(url: str, scratch: Path, options: S3Options) -> FileStorage | S3Storage:
    """``file:///path`` (or a bare path) or ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return S3Storage(parts.netloc, parts.path.strip("/"), scratch, options)
    return FileStorage(Path(parts.path if parts.scheme == "file" else url))
