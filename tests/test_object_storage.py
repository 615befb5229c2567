"""Report files in an S3-compatible bucket (moto's server on loopback): rendered, uploaded
in parts, downloaded through /files/<token>, attached to emails, purged."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import obstore
import pytest

from detalka.adapters.storage import S3Options, S3Storage
from detalka.adapters.transient import is_transient
from detalka.models import Document
from detalka.resolvers.rendering import purge_expired_documents
from detalka.settings import Settings, storage_of
from tests.objects import S3Server, s3_server
from tests.ordering import working


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def _store(s3: S3Server, scratch: Path, prefix: str = "t") -> S3Storage:
    return S3Storage(s3.bucket, prefix, scratch, S3Options(s3.endpoint, "test", "test"))


async def test_a_large_file_goes_up_in_parts_and_comes_back_as_a_stream(
    s3: S3Server, tmp_path: Path
) -> None:
    # given a 20 MiB file (three 8 MiB parts)
    store = _store(s3, tmp_path)
    temporary = store.temporary("big.csv")
    payload = os.urandom(20 << 20)
    temporary.write_bytes(payload)
    # when it is saved, the temporary file goes, and the object reads back whole
    await store.save(temporary, "1/big.csv")
    assert not temporary.exists()
    digest = hashlib.sha256()
    chunks = 0
    async for chunk in store.chunks("1/big.csv"):
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()
    assert chunks > 1, "streamed, not read at once"
    # and removing it twice is fine
    await store.remove("1/big.csv")
    await store.remove("1/big.csv")
    with pytest.raises(FileNotFoundError):
        await store.read("1/big.csv")


async def test_a_store_that_is_away_is_an_infrastructure_error(tmp_path: Path) -> None:
    from tests.client import free_port

    store = S3Storage(
        "b", "", tmp_path, S3Options(f"http://127.0.0.1:{free_port()}", "test", "test")
    )
    with pytest.raises(Exception) as raised:
        await store.check()
    assert is_transient(raised.value), repr(raised.value)


async def test_an_order_is_stored_downloaded_and_purged_in_the_bucket(
    db: Settings, tmp_path: Path, s3: S3Server
) -> None:
    settings = db.model_copy(update={"data_dir": tmp_path, **s3.settings()})
    async with working(settings) as ordering:
        # given an order rendered by the worker into the bucket
        created = await ordering.create(format="CSV")
        ready = await ordering.wait_for(created["order"]["id"], "READY")
        document = ready["document"]
        row = await Document.get(download_token=document["downloadUrl"].rsplit("/", 1)[1])
        store = storage_of(settings)
        listed = [m["path"] async for batch in obstore.list(store.store) for m in batch]
        assert listed == [row.storage_key]  # under the store's prefix, reports/
        assert not list((tmp_path / "scratch").glob("*")), "no scratch file is left"
        # when it is downloaded through its link, the bytes are the document's
        response = await ordering.download(document["downloadUrl"])
        assert response.status_code == 200
        assert response.headers["content-length"] == str(document["sizeBytes"])
        assert hashlib.sha256(response.content).hexdigest() == document["sha256"]
        assert response.content.startswith("\ufeff".encode())
        # then once expired, purge deletes the object and the link answers 410
        ordering.clock.advance(hours=73)
        assert await purge_expired_documents(store, ordering.clock.now()) >= 1
        with pytest.raises(FileNotFoundError):
            await store.read(row.storage_key)
        assert (await ordering.download(document["downloadUrl"])).status_code == 410
    assert timedelta(hours=73) > timedelta(hours=72)
