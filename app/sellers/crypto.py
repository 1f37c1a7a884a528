"""Encryption at rest for bank account numbers: AES-256-GCM, key derived from ODOP_SECRET_KEY.

Stored as ``v1:<base64(nonce || ciphertext)>``; the version prefix leaves room for key rotation.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_INFO = b"odop-bazaar seller bank account v1"
_AAD = b"sellers.bank_account"


def aes_gcm(secret_key: str, info: bytes) -> AESGCM:
    """AES-256-GCM under a key derived (HKDF-SHA256) from ODOP_SECRET_KEY for ``info``. The
    library is imported here, on first use, not by every server worker at startup (6 MB)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return AESGCM(key.derive(secret_key.encode()))


def encrypt(secret_key: str, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = aes_gcm(secret_key, _INFO).encrypt(nonce, plaintext.encode(), _AAD)
    return "v1:" + base64.b64encode(nonce + sealed).decode()


def decrypt(secret_key: str, token: str) -> str:
    version, _, payload = token.partition(":")
    if version != "v1":
        raise ValueError("unknown ciphertext version")
    raw = base64.b64decode(payload)
    return aes_gcm(secret_key, _INFO).decrypt(raw[:12], raw[12:], _AAD).decode()
