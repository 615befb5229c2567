"""A real S3 server on loopback for the tests: moto's, in a thread, with a fresh bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from tests.client import free_port


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

    def settings(self, prefix: str = "reports") -> dict[str, object]:
        """Settings overrides that store report files in this bucket."""
        return {
            "storage_url": f"s3://{self.bucket}/{prefix}",
            "s3_endpoint_url": self.endpoint,
            "s3_access_key_id": "test",
            "s3_secret_access_key": SecretStr("test"),
        }


@contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        bucket = f"detalka-{uuid.uuid4().hex[:8]}"
        httpx.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()
        yield S3Server(endpoint, bucket)
    finally:
        server.stop()
