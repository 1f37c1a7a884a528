"""Stripe through the official library: hosted Checkout Sessions and refunds.

The client is the library's ``StripeClient`` with its httpx transport, so calls are awaited on the
event loop instead of blocking it. Every create call carries an idempotency key derived from the
order (or the refund), so a retried request, ours or the library's own network retry, returns the
first answer instead of charging or refunding twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.orders.payments.base import (
    ZERO_DECIMAL_CURRENCIES,
    PaymentProviderError,
    PaymentRequest,
    PaymentStart,
)

if TYPE_CHECKING:
    import stripe

STRIPE_TIMEOUT_SECONDS = 20.0
# Our own idempotency keys make the library's retries safe; two retries ride out a network blip.
STRIPE_NETWORK_RETRIES = 2


def stripe_amount(amount_minor: int, currency: str) -> int:
    """Stripe counts in the smallest unit, as we do; zero-decimal currencies are refused."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        raise PaymentProviderError(f"{currency} has no minor unit; orders are not taken in it")
    return amount_minor


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_secret_key:
            raise PaymentProviderError("ODOP_STRIPE_SECRET_KEY is not set")
        self._secret_key = settings.stripe_secret_key
        self._api_base = settings.stripe_api_base

    def _client(self) -> tuple[stripe.StripeClient, stripe.HTTPXClient]:
        import stripe  # imported on first use, not by every worker at startup (5 MB)

        # One client per call: httpx's async pool belongs to the event loop it was used on.
        http = stripe.HTTPXClient(timeout=STRIPE_TIMEOUT_SECONDS)
        client = stripe.StripeClient(
            self._secret_key,
            base_addresses={"api": self._api_base},
            http_client=http,
            max_network_retries=STRIPE_NETWORK_RETRIES,
        )
        return client, http

    async def start_payment(self, request: PaymentRequest) -> PaymentStart:
        import stripe

        # The payment key tells which attempt a PaymentIntent's events are about.
        metadata = {"order_number": request.order_number, "payment_key": request.idempotency_key}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": request.order_number,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": stripe_amount(request.amount_minor, request.currency),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": metadata,
            # The PaymentIntent carries the order number too: its own events name the order.
            "payment_intent_data": {"metadata": metadata},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        client, http = self._client()
        try:
            session = await client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_message(exc)) from exc
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        return PaymentStart(
            provider=self.name,
            provider_payment_id=session.id,
            redirect_url=session.url,
            instructions=None,
        )

    async def refund(
        self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> str:
        import stripe

        client, http = self._client()
        try:
            payment_intent = provider_payment_id
            if provider_payment_id.startswith("cs_"):
                # A Checkout Session id: the refund is made on its PaymentIntent.
                session = await client.v1.checkout.sessions.retrieve_async(provider_payment_id)
                if not session.payment_intent:
                    raise PaymentProviderError("this checkout session has no payment to refund")
                payment_intent = _id_of(session.payment_intent)
            refund = await client.v1.refunds.create_async(
                {
                    "payment_intent": payment_intent,
                    "amount": stripe_amount(amount_minor, currency),
                    "metadata": {"idempotency_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_message(exc)) from exc
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        if refund.status in ("failed", "canceled"):
            raise PaymentProviderError(f"Stripe refused the refund ({refund.status})")
        return refund.id

    async def close(self, provider_payment_id: str) -> bool:
        if not provider_payment_id.startswith("cs_"):
            return True
        import stripe

        client, http = self._client()
        try:
            session = await client.v1.checkout.sessions.retrieve_async(provider_payment_id)
            if session.status == "open":
                session = await client.v1.checkout.sessions.expire_async(provider_payment_id)
        except stripe.StripeError as exc:
            raise PaymentProviderError(_message(exc)) from exc
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        return session.status != "complete"


def _id_of(value: object) -> str:
    found = value if isinstance(value, str) else getattr(value, "id", None)
    if not isinstance(found, str):
        raise PaymentProviderError("unexpected answer from Stripe")
    return found


def _message(exc: stripe.StripeError) -> str:
    detail = exc.user_message or str(exc).strip() or type(exc).__name__
    return f"Stripe: {detail}"
