"""Stripe's webhook event format and signature scheme, for the sandbox and for tests.

Verification of incoming events is the library's (``stripe.Webhook.construct_event``); this module
only *makes* events the way Stripe does: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

# The API version our event shapes follow (Stripe stamps each event with the account's version).
API_VERSION = "2025-03-31.basil"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def encode(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt, separators=(",", ":")).encode()


def _metadata(order_number: str, payment_key: str | None) -> dict[str, str]:
    return {"order_number": order_number, **({"payment_key": payment_key} if payment_key else {})}


def payment_intent(
    *,
    intent_id: str,
    order_number: str,
    amount_minor: int,
    currency: str,
    succeeded: bool,
    charge_id: str | None = None,
    payment_key: str | None = None,
) -> dict[str, Any]:
    failure = None
    if not succeeded:
        failure = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount_minor,
        "amount_received": amount_minor if succeeded else 0,
        "currency": currency.lower(),
        "latest_charge": charge_id,
        "last_payment_error": failure,
        "livemode": False,
        "metadata": _metadata(order_number, payment_key),
        "payment_method_types": ["card"],
        "status": "succeeded" if succeeded else "requires_payment_method",
    }


def checkout_session(
    *,
    session_id: str,
    intent_id: str | None,
    order_number: str,
    amount_minor: int,
    currency: str,
    paid: bool,
    payment_key: str | None = None,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": amount_minor,
        "client_reference_id": order_number,
        "currency": currency.lower(),
        "livemode": False,
        "metadata": _metadata(order_number, payment_key),
        "mode": "payment",
        "payment_intent": intent_id,
        "payment_status": "paid" if paid else "unpaid",
        "status": "complete" if paid else "open",
        "url": None,
    }


def refunded_charge(
    *,
    charge_id: str,
    intent_id: str,
    order_number: str,
    amount_minor: int,
    currency: str,
    refunds: list[tuple[str, int]],
) -> dict[str, Any]:
    """A ``charge.refunded`` object; ``refunds`` are (refund id, amount), newest first."""
    refunded = sum(amount for _, amount in refunds)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount_minor,
        "amount_captured": amount_minor,
        "amount_refunded": refunded,
        "captured": True,
        "currency": currency.lower(),
        "livemode": False,
        "metadata": {"order_number": order_number},
        "paid": True,
        "payment_intent": intent_id,
        "refunded": refunded >= amount_minor,
        "status": "succeeded",
        "refunds": {
            "object": "list",
            "data": [
                {
                    "id": refund_id,
                    "object": "refund",
                    "amount": amount,
                    "charge": charge_id,
                    "currency": currency.lower(),
                    "payment_intent": intent_id,
                    "status": "succeeded",
                }
                for refund_id, amount in refunds
            ],
            "has_more": False,
            "total_count": len(refunds),
            "url": f"/v1/charges/{charge_id}/refunds",
        },
    }


def refund(
    *, refund_id: str, intent_id: str, amount_minor: int, currency: str, status: str
) -> dict[str, Any]:
    """A ``refund`` object, as ``charge.refund.updated`` carries it."""
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount_minor,
        "currency": currency.lower(),
        "payment_intent": intent_id,
        "status": status,
        "failure_reason": "expired_or_canceled_card" if status == "failed" else None,
        "metadata": {},
    }
