"""Upload attacks and limits: content sniffing, decompression bombs, sizes, body caps, storage."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import httpx
import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Receive, Scope, Send

from app.accounts.models import User
from app.config import Settings
from app.sellers import repository, uploads
from tests import factories
from tests.factories import onboarded_seller
from tests.helpers import csrf_token
from tests.sellers import files

SignIn = Callable[[User], Awaitable[str]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (files.php_renamed_jpg(), "Upload a PDF, JPEG or PNG file."),
        (files.decompression_bomb_png(), "too many pixels"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "damaged or not really an image"),
        (b"%PDF-1.4\nno end marker", "incomplete or damaged"),
        (b"", "Choose a file"),
    ],
)
def test_hostile_or_broken_documents_are_refused(
    settings: Settings, data: bytes, message: str
) -> None:
    with pytest.raises(uploads.BadUpload, match=message):
        uploads.check_document(settings, data)


def test_an_oversized_pdf_is_refused(settings: Settings) -> None:
    big = files.pdf(padding=settings.document_max_bytes)
    with pytest.raises(uploads.BadUpload, match="larger than"):
        uploads.check_document(settings, big)


def test_document_images_are_re_encoded_without_metadata(settings: Settings) -> None:
    checked = uploads.check_document(settings, files.jpeg_with_gps_exif())
    assert checked.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(checked.data)).getexif()


def test_photos_lose_exif_and_get_a_thumbnail(settings: Settings) -> None:
    variants = uploads.photo_variants(settings, files.jpeg_with_gps_exif(600, 400))
    full = Image.open(io.BytesIO(variants.full))
    thumb = Image.open(io.BytesIO(variants.thumb))
    assert not full.getexif() and full.size == (600, 400)
    assert thumb.size == uploads.THUMB_SIZE


async def _post_document(
    client: httpx.AsyncClient, name: str, data: bytes, content_type: str
) -> httpx.Response:
    return await client.post(
        "/sell/documents",
        data={"kind": "identity", "csrf_token": await csrf_token(client)},
        files={"file": (name, data, content_type)},
    )


async def test_a_php_file_named_jpg_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    before = await repository.documents(db, seller.id)
    response = await _post_document(client, "shell.jpg", files.php_renamed_jpg(), "image/jpeg")
    assert response.status_code == 422
    assert "Upload a PDF, JPEG or PNG file." in response.text
    assert len(await repository.documents(db, seller.id)) == len(before)
    stored = list((settings.media_dir / "private").rglob("*"))
    assert not any(
        path.suffix == ".php" or b"<?php" in path.read_bytes() for path in stored if path.is_file()
    )


async def test_a_decompression_bomb_is_refused_through_the_page(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, _seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    response = await _post_document(client, "bomb.png", files.decompression_bomb_png(), "image/png")
    assert response.status_code == 422 and "too many pixels" in response.text


async def test_a_body_over_the_cap_is_refused_before_parsing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, _seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    token = await csrf_token(client)
    big = files.pdf(padding=settings.upload_max_request_bytes)
    response = await client.post(
        "/sell/documents",
        data={"kind": "identity", "csrf_token": token},
        files={"file": ("big.pdf", big, "application/pdf")},
    )
    assert response.status_code == 413 and "Uploads are limited" in response.text


async def test_a_lying_content_length_is_caught_while_streaming() -> None:
    received: list[bytes] = []
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})

    chunks: list[Message] = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 3

    async def receive() -> Message:
        return chunks.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = uploads.BodyLimitMiddleware(app, max_bytes=1000, prefixes=("/sell",))
    scope: Scope = {
        "type": "http",
        "path": "/sell/documents",
        "headers": [(b"content-length", b"10")],
    }
    await middleware(scope, receive, send)
    assert len(received) == 1  # the second chunk crossed the limit and was never handed on
    assert sent[0]["status"] == 413


async def test_a_declared_oversized_body_is_refused_without_running_the_app() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not run")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        raise AssertionError("the body must not be read")

    middleware = uploads.BodyLimitMiddleware(app, max_bytes=1000, prefixes=("/api/v1/seller",))
    scope: Scope = {
        "type": "http",
        "path": "/api/v1/seller/listings",
        "headers": [(b"content-length", b"5000")],
    }
    await middleware(scope, receive, send)
    assert sent[0]["status"] == 413 and b"payload_too_large" in sent[1]["body"]


async def test_documents_are_private_to_their_owner_and_admins(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    document = (await repository.documents(db, seller.id))[0]
    other_owner, _other = await onboarded_seller(
        db, settings, submit=False, owner=await factories.user(db)
    )
    assert other_owner.id != owner.id
    await sign_in(other_owner)
    assert (await client.get(f"/sell/documents/{document.id}")).status_code == 404
    assert (await client.get(f"/admin/documents/{document.id}")).status_code == 403
    # Nothing private is reachable under the public media mount.
    assert (await client.get(f"/media/{document.storage_key}")).status_code == 404


async def test_a_failed_transaction_leaves_no_file_behind(
    db: AsyncSession, settings: Settings
) -> None:
    from app.storage import LocalStorage

    storage = LocalStorage(settings.media_dir / "private")
    async with db.begin_nested() as savepoint:
        uploads.save_with_transaction(db, storage, "sellers/1/kept.pdf", b"%PDF-")
        await savepoint.rollback()
    assert storage.exists("sellers/1/kept.pdf")  # a savepoint rollback keeps the outer work
    await db.rollback()
    assert not storage.exists("sellers/1/kept.pdf")


async def test_replaced_files_are_deleted_only_after_commit(
    db: AsyncSession, settings: Settings
) -> None:
    from app.storage import LocalStorage

    storage = LocalStorage(settings.media_dir / "private")
    storage.save("sellers/1/old.pdf", b"%PDF-")
    uploads.remove_after_commit(db, storage, "sellers/1/old.pdf")
    await db.flush()
    assert storage.exists("sellers/1/old.pdf")
    await db.commit()
    assert not storage.exists("sellers/1/old.pdf")
