"""Random secrets and their digests. Only digests are stored; the secret goes to the browser
(session cookie), the inbox (emailed link) or the API client (personal token), once."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "odop_"  # noqa: S105 - a public prefix, not a secret


def digest(secret: str) -> str:
    """SHA-256 hex. Enough for 256-bit random secrets (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "") -> tuple[str, str]:
    """A fresh 256-bit URL-safe secret and its digest."""
    secret = prefix + secrets.token_urlsafe(32)
    return secret, digest(secret)
