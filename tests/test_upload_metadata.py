"""No metadata survives re-encoding: every JPEG/PNG the app writes (listing photos, thumbnails,
KYC document copies) holds pixels only. Checked on the bytes, segment by segment."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from app.config import Settings
from app.sellers import uploads

SCRIPT = b"<script>alert(document.cookie)</script>"
PHP = b"<?php system($_GET['c']); ?>"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>secret-xmp</rdf:Description>'


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def hostile_jpeg() -> bytes:
    """A real JPEG carrying EXIF (with GPS), an ICC profile, XMP, an APP13 block and two COM
    segments with markup, the way a phone or an attacker would send it."""
    image = Image.new("RGB", (64, 48), "teal")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = PHP.decode()  # ImageDescription
    exif[0x8825] = {1: "N", 2: (28.0, 36.0, 0.0)}  # GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=SCRIPT)
    data = out.getvalue()
    extra = (
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
        + _segment(0xED, b"Photoshop 3.0\x00" + PHP)
        + _segment(0xFE, PHP)
    )
    return data[:2] + extra + data[2:]


def hostile_png() -> bytes:
    image = Image.new("RGB", (40, 30), "orange")
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "PNG", icc_profile=icc)
    data = out.getvalue()
    text = b"Comment\x00" + SCRIPT
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + text) & 0xFFFFFFFF)
    return data[:33] + chunk + data[33:]  # after IHDR


def jpeg_markers(data: bytes) -> list[int]:
    """The marker of every segment before the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def assert_pixels_only_jpeg(data: bytes) -> None:
    for needle in (SCRIPT, PHP, b"secret-xmp", b"PhoneMaker", b"Exif\x00", b"ICC_PROFILE"):
        assert needle not in data
    markers = jpeg_markers(data)
    metadata = [hex(m) for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE]
    assert metadata == []  # only APP0 (JFIF) is allowed before the image data


def test_the_fixture_really_carries_the_metadata() -> None:
    data = hostile_jpeg()
    markers = jpeg_markers(data)
    assert {0xE1, 0xE2, 0xED, 0xFE} <= set(markers)
    assert SCRIPT in data and PHP in data and b"secret-xmp" in data
    assert b"tEXt" in hostile_png() and b"iCCP" in hostile_png()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", media_dir=tmp_path / "media", mail_dir=tmp_path / "mail")


def test_listing_photo_and_thumbnail_keep_pixels_only(settings: Settings) -> None:
    for upload in (hostile_jpeg(), hostile_png()):
        variants = uploads.photo_variants(settings, upload)
        assert_pixels_only_jpeg(variants.full)
        assert_pixels_only_jpeg(variants.thumb)
        assert Image.open(io.BytesIO(variants.full)).getpixel((5, 5)) != (0, 0, 0)


def test_kyc_document_copies_keep_pixels_only(settings: Settings) -> None:
    jpeg = uploads.check_document(settings, hostile_jpeg())
    assert jpeg.content_type == "image/jpeg"
    assert_pixels_only_jpeg(jpeg.data)
    png = uploads.check_document(settings, hostile_png())
    assert png.content_type == "image/png"
    assert SCRIPT not in png.data
    chunks = png_chunks(png.data)
    assert not {b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"} & set(chunks), chunks


def test_a_png_keeps_its_transparency(settings: Settings) -> None:
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    copy = uploads.check_document(settings, out.getvalue())
    pixel = Image.open(io.BytesIO(copy.data)).convert("RGBA").getpixel((1, 1))
    assert isinstance(pixel, tuple) and pixel[3] == 0
