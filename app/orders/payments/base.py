"""The payment provider interface shared by Stripe, the offline provider and the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.errors import AppError


@dataclass(frozen=True)
class PaymentRequest:
    order_number: str
    amount_minor: int  # in `currency` minor units (INR paise, USD cents, ...)
    currency: str  # ISO 4217 upper case
    idempotency_key: str  # order number + attempt: a retry never makes a second payment
    description: str
    customer_email: str | None
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class PaymentStart:
    provider: str  # "stripe" | "sandbox" | "offline"
    provider_payment_id: str  # Checkout Session id / sandbox id / offline reference
    redirect_url: str | None  # where to send the buyer; None for offline
    instructions: str | None  # offline: how to pay (bank details, the reference to quote)


class PaymentProvider(Protocol):
    name: str

    async def start_payment(self, request: PaymentRequest) -> PaymentStart: ...

    async def refund(
        self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> str:
        """Refund part or all of a payment; returns the provider's refund id."""
        ...

    async def close(self, provider_payment_id: str) -> bool:
        """Close an earlier attempt's hosted page before a new attempt starts, so the buyer
        cannot pay both. Returns False if that attempt was paid after all."""
        ...


class PaymentProviderError(AppError):
    """The provider refused or could not be reached; nothing was charged or refunded by us."""

    status_code = 502
    code = "payment_provider_error"
    title = "The payment provider could not be reached. Please try again in a minute."


# Currencies Stripe counts in whole units (no minor unit); the rest we use have two decimals.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})
