"""Uploaded files: request body limits, content checks, image re-encoding, and storage that
follows the database transaction.

- ``BodyLimitMiddleware`` refuses an upload that is too big before any multipart parsing: at once
  from its Content-Length, and while streaming when the header lies or is absent.
- ``check_document`` accepts PDF, JPEG and PNG by their magic bytes (never by name or declared
  type), within size and pixel limits; images are decoded and re-encoded, which drops anything
  appended to the image.
- ``photo_variants`` re-encodes a listing photo (EXIF orientation applied) and makes a thumbnail.
- Every image written goes through ``_encode``, which keeps the pixels only: no EXIF (camera,
  GPS), XMP, comment (COM) or other APPn segment, no PNG text chunk, no ICC profile (colours are
  converted to sRGB first), whatever Pillow would otherwise carry over from the upload.
- Files are written before the commit; ``remove_on_rollback`` deletes new files if the transaction
  fails and ``remove_after_commit`` deletes replaced files only once the change is committed.
"""

from __future__ import annotations

import html
import io
import json
import secrets
import warnings
from dataclasses import dataclass
from functools import cache
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import AppError
from app.i18n import LANGUAGE_COOKIE, negotiate, reset_language, set_language
from app.i18n import gettext as _
from app.storage import Storage

if TYPE_CHECKING:
    from PIL import Image, ImageCms

# Pillow is imported by the functions that decode images, on first use: a server worker that
# never receives an upload does not hold it (2.6 MB).

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
THUMB_SIZE = (400, 300)
PHOTO_MAX_SIDE = 2000


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    title = "That upload is too large"


class BadUpload(AppError):
    status_code = 422
    code = "bad_upload"
    title = "That file cannot be used"


class BodyLimitMiddleware:
    """Caps request bodies on the given path prefixes (uploads live there).

    A declared Content-Length over the cap is answered with 413 before the app runs; a body that
    grows past the cap while streaming stops the app's reading, and its response is replaced by
    the same 413 (FastAPI would otherwise report a parsing error as 400).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, headers, send)
            return
        received = 0
        overflowed = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflowed = True
                    raise PayloadTooLarge(_too_large_message(self.max_bytes))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if overflowed:
                if not response_started:
                    response_started = True
                    await self._refuse(scope, headers, send)
                return
            response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge:
            if not response_started:
                await self._refuse(scope, headers, send)

    async def _refuse(self, scope: Scope, headers: dict[bytes, bytes], send: Send) -> None:
        cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        language = negotiate(
            cookie[LANGUAGE_COOKIE].value if LANGUAGE_COOKIE in cookie else None,
            headers.get(b"accept-language", b"").decode("latin-1"),
        )
        token = set_language(language)
        try:
            message = _too_large_message(self.max_bytes)
        finally:
            reset_language(token)
        if scope["path"].startswith("/api/"):
            body = json.dumps({"error": {"code": "payload_too_large", "message": message}})
            content_type = b"application/json"
        else:
            back = html.escape(scope["path"], quote=True)
            body = (
                f'<!DOCTYPE html><html lang="{language}"><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>413</title><h1>{html.escape(message)}</h1>"
                f'<p><a href="{back}">&larr;</a></p></html>'
            )
            content_type = b"text/html; charset=utf-8"
        payload = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _too_large_message(limit: int) -> str:
    return _("Uploads are limited to %(mb)s MB per form. Send smaller files.", mb=limit // 2**20)


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    extension: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    return None


def _open_image(settings: Settings, data: bytes) -> Image.Image:
    """Decode an image fully, refusing decompression bombs before the pixels are allocated."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > settings.image_max_pixels:
                raise BadUpload(
                    _(
                        "This image has too many pixels (%(w)s × %(h)s). "
                        "Send one under %(mp)s megapixels.",
                        w=width,
                        h=height,
                        mp=settings.image_max_pixels // 1_000_000,
                    )
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadUpload(_("This image has too many pixels.")) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadUpload(_("This image is damaged or not really an image.")) from exc
    return image


# Kept from the decoded image's ``info``: how to draw the pixels, not facts about the file.
PIXEL_INFO = frozenset({"transparency"})


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _pixels_only(image: Image.Image) -> Image.Image:
    """A copy of the image with nothing of the upload but its pixels. Pillow writes what it
    finds in ``info`` (a JPEG comment, XMP, an ICC profile, PNG text) back into the new file."""
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    clean = image.copy()
    if icc and clean.mode in ("RGB", "RGBA", "L"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(clean, profile, _srgb())
            if converted is not None:
                clean = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are
    clean.info = {key: value for key, value in image.info.items() if key in PIXEL_INFO}
    return clean


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image = _pixels_only(image)
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def check_document(settings: Settings, data: bytes) -> CheckedFile:
    if not data:
        raise BadUpload(_("Choose a file to upload."))
    if len(data) > settings.document_max_bytes:
        raise BadUpload(
            _(
                "This file is larger than %(mb)s MB. Send a smaller scan.",
                mb=settings.document_max_bytes // 2**20,
            )
        )
    kind = _sniff(data)
    if kind is None:
        raise BadUpload(_("Upload a PDF, JPEG or PNG file."))
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise BadUpload(_("This PDF is incomplete or damaged."))
        return CheckedFile(data, "application/pdf", "pdf")
    from PIL import ImageOps

    image = ImageOps.exif_transpose(_open_image(settings, data))
    if kind == "png":
        return CheckedFile(_encode(image, "PNG"), "image/png", "png")
    return CheckedFile(_encode(image, "JPEG"), "image/jpeg", "jpg")


@dataclass(frozen=True)
class PhotoVariants:
    full: bytes
    thumb: bytes
    width: int
    height: int


def photo_variants(settings: Settings, data: bytes) -> PhotoVariants:
    if not data:
        raise BadUpload(_("Choose a photo to upload."))
    if len(data) > settings.photo_max_bytes:
        raise BadUpload(
            _(
                "This photo is larger than %(mb)s MB.",
                mb=settings.photo_max_bytes // 2**20,
            )
        )
    if _sniff(data) not in ("png", "jpeg"):
        raise BadUpload(_("Upload photos as JPEG or PNG."))
    from PIL import ImageOps

    image = ImageOps.exif_transpose(_open_image(settings, data)).convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    thumb = ImageOps.fit(image, THUMB_SIZE)
    return PhotoVariants(_encode(image, "JPEG"), _encode(thumb, "JPEG"), *image.size)


def new_key(prefix: str, extension: str) -> str:
    return f"{prefix}/{secrets.token_hex(16)}.{extension}"


def _files_hook(session: AsyncSession, bucket: str) -> list[tuple[Storage, str]]:
    info: dict[str, Any] = session.info
    if "file_hooks" not in info:
        info["file_hooks"] = True
        info["files_to_remove_after_commit"] = []
        info["files_to_remove_on_rollback"] = []
        sync = session.sync_session

        def after_commit(_session: Any) -> None:
            for storage, key in info.pop("files_to_remove_after_commit", []):
                storage.delete(key)
            info["files_to_remove_after_commit"] = []
            info["files_to_remove_on_rollback"] = []

        def after_rollback(_session: Any, previous: Any) -> None:
            if previous.nested:  # a savepoint (for example a slug retry): files stay
                return
            for storage, key in info.pop("files_to_remove_on_rollback", []):
                storage.delete(key)
            info["files_to_remove_after_commit"] = []
            info["files_to_remove_on_rollback"] = []

        event.listen(sync, "after_commit", after_commit)
        event.listen(sync, "after_soft_rollback", after_rollback)
    files: list[tuple[Storage, str]] = info[bucket]
    return files


def remove_after_commit(session: AsyncSession, storage: Storage, key: str) -> None:
    _files_hook(session, "files_to_remove_after_commit").append((storage, key))


def save_with_transaction(session: AsyncSession, storage: Storage, key: str, data: bytes) -> None:
    """Write a file now; it is deleted again if the transaction rolls back."""
    storage.save(key, data)
    _files_hook(session, "files_to_remove_on_rollback").append((storage, key))
