"""The offline and sandbox providers, and the choice of provider from the settings."""

from __future__ import annotations

import hashlib
import hmac

from app.config import Settings
from app.orders.payments.base import PaymentProvider, PaymentRequest, PaymentStart
from app.orders.payments.stripe_provider import StripeProvider

SANDBOX_SESSION_PREFIX = "cs_sandbox_"


def _stable_id(prefix: str, key: str) -> str:
    """The same key always gives the same id: a retried start or refund is the same one."""
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:24]


class OfflineProvider:
    """Bank transfer (NEFT/RTGS/UPI) or pay on invoice: the buyer is told how to pay and an
    administrator records the payment from the bank statement. Refunds are bank transfers the
    administrator makes; the refund id records that it was done."""

    name = "offline"

    def __init__(self, settings: Settings) -> None:
        self._instructions = settings.offline_payment_instructions

    async def start_payment(self, request: PaymentRequest) -> PaymentStart:
        amount = f"{request.amount_minor / 100:.2f} {request.currency}"
        return PaymentStart(
            provider=self.name,
            provider_payment_id=_stable_id("offline_", request.idempotency_key),
            redirect_url=None,
            instructions=(
                f"{self._instructions} Amount: {amount}. Reference: {request.order_number}."
            ),
        )

    async def refund(
        self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> str:
        return _stable_id("offline_refund_", idempotency_key)

    async def close(self, provider_payment_id: str) -> bool:
        return True


class SandboxProvider:
    """Development only: a local page imitating Stripe's hosted checkout, which sends Stripe-format
    signed events to our own webhook (app/orders/payments/sandbox_views.py)."""

    name = "sandbox"

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.secret_key.encode()

    async def start_payment(self, request: PaymentRequest) -> PaymentStart:
        # Keyed with the secret key: knowing an order number is not enough to open its page.
        digest = hmac.new(self._secret, request.idempotency_key.encode(), hashlib.sha256)
        session_id = SANDBOX_SESSION_PREFIX + digest.hexdigest()[:32]
        return PaymentStart(
            provider=self.name,
            provider_payment_id=session_id,
            redirect_url=f"/payments/sandbox/{session_id}",
            instructions=None,
        )

    async def refund(
        self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> str:
        return _stable_id("re_sandbox_", idempotency_key)

    async def close(self, provider_payment_id: str) -> bool:
        return True  # a replaced attempt's sandbox page is gone (sandbox_views._payment)


def provider_for(settings: Settings, name: str | None = None) -> PaymentProvider:
    """The configured provider, or the one a stored payment was made with (for its refunds)."""
    chosen = name or settings.payment_provider
    if chosen == "stripe":
        return StripeProvider(settings)
    if chosen == "offline":
        return OfflineProvider(settings)
    if chosen == "sandbox":
        if settings.env == "production":
            raise RuntimeError("the payment sandbox is refused in production")
        return SandboxProvider(settings)
    raise ValueError(f"unknown payment provider {chosen!r}")


def webhook_secret(settings: Settings) -> str:
    """The secret our Stripe-format webhook checks signatures with."""
    if settings.payment_provider == "sandbox" and settings.env != "production":
        return settings.sandbox_webhook_secret
    return settings.stripe_webhook_secret
