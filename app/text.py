"""Text helpers shared by every domain."""

from __future__ import annotations

import re
import unicodedata


def slugify(value: str, *, max_length: int = 120) -> str:
    """Stable ASCII slug: 'Uttar Pradesh' -> 'uttar-pradesh', 'Y.S.R.' -> 'y-s-r'."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def comparable(value: str) -> str:
    """Case- and punctuation-insensitive form for matching names from different sources."""
    return re.sub(r"[^a-z0-9]+", "", value.lower())
