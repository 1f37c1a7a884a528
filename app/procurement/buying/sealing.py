"""Sealed bid values: AES-256-GCM under a key derived from ODOP_SECRET_KEY, bound to the bid.

The associated data names the requirement and seller, so a sealed value copied onto another
bid row does not open. Stored as ``v1:<base64(nonce || ciphertext)>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date

from app.sellers.crypto import aes_gcm

_INFO = b"odop-bazaar procurement sealed bid v1"


@dataclass(frozen=True)
class SealedValues:
    unit_price_paise: int
    quantity: int
    lead_time_days: int
    valid_until: date


def _aad(requirement_id: int, seller_id: int) -> bytes:
    return f"procurement_bids:{requirement_id}:{seller_id}".encode()


def seal(secret_key: str, requirement_id: int, seller_id: int, values: SealedValues) -> str:
    plaintext = json.dumps(
        {
            "unit_price_paise": values.unit_price_paise,
            "quantity": values.quantity,
            "lead_time_days": values.lead_time_days,
            "valid_until": values.valid_until.isoformat(),
        }
    ).encode()
    nonce = os.urandom(12)
    sealed = aes_gcm(secret_key, _INFO).encrypt(nonce, plaintext, _aad(requirement_id, seller_id))
    return "v1:" + base64.b64encode(nonce + sealed).decode()


def unseal(secret_key: str, requirement_id: int, seller_id: int, token: str) -> SealedValues:
    version, _, payload = token.partition(":")
    if version != "v1":
        raise ValueError("unknown sealed bid version")
    raw = base64.b64decode(payload)
    plain = aes_gcm(secret_key, _INFO).decrypt(raw[:12], raw[12:], _aad(requirement_id, seller_id))
    data = json.loads(plain)
    return SealedValues(
        unit_price_paise=int(data["unit_price_paise"]),
        quantity=int(data["quantity"]),
        lead_time_days=int(data["lead_time_days"]),
        valid_until=date.fromisoformat(data["valid_until"]),
    )


def fingerprint(token: str) -> str:
    """What the audit trail records of a sealed bid before opening: it proves later which sealed
    value was submitted, without revealing it (the ciphertext has a random nonce)."""
    return hashlib.sha256(token.encode()).hexdigest()
