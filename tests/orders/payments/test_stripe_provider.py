"""The Stripe adapter through the real ``stripe`` library against a local recording server.

Response bodies follow Stripe's API reference for Checkout Sessions and Refunds (trimmed to the
fields a real answer always has). Live tests against Stripe's test mode run only when
ODOP_STRIPE_TEST_SECRET_KEY is set.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest

from app.config import Settings
from app.orders.payments.base import PaymentProviderError, PaymentRequest
from app.orders.payments.stripe_provider import StripeProvider
from tests.orders.payments.recording_server import RecordingServer, recording_server

SECRET = "sk_test_recorded_123"

CHECKOUT_SESSION = {
    "id": "cs_test_a1b2c3",
    "object": "checkout.session",
    "amount_subtotal": 158_000,
    "amount_total": 158_000,
    "client_reference_id": "OD-ABCDEFGHJK",
    "currency": "inr",
    "customer_email": "buyer@example.com",
    "livemode": False,
    "metadata": {"order_number": "OD-ABCDEFGHJK"},
    "mode": "payment",
    "payment_intent": None,
    "payment_status": "unpaid",
    "status": "open",
    "success_url": "http://shop.test/orders/OD-ABCDEFGHJK?paid=1",
    "cancel_url": "http://shop.test/orders/OD-ABCDEFGHJK",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3#fidk",
}
REFUND = {
    "id": "re_3MtwBw",
    "object": "refund",
    "amount": 50_000,
    "charge": "ch_3MtwBw",
    "currency": "inr",
    "metadata": {"idempotency_key": "refund-OD-ABCDEFGHJK-1"},
    "payment_intent": "pi_3MtwBw",
    "reason": None,
    "status": "succeeded",
}


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as server:
        yield server


def provider(server: RecordingServer) -> StripeProvider:
    return StripeProvider(
        Settings(env="test", stripe_secret_key=SECRET, stripe_api_base=server.url)
    )


def request(**overrides: object) -> PaymentRequest:
    values: dict[str, object] = {
        "order_number": "OD-ABCDEFGHJK",
        "amount_minor": 158_000,
        "currency": "INR",
        "idempotency_key": "odop-OD-ABCDEFGHJK-1",
        "description": "ODOP Bazaar order OD-ABCDEFGHJK",
        "customer_email": "buyer@example.com",
        "success_url": "http://shop.test/orders/OD-ABCDEFGHJK?paid=1",
        "cancel_url": "http://shop.test/orders/OD-ABCDEFGHJK",
    }
    values.update(overrides)
    return PaymentRequest(**values)  # type: ignore[arg-type]


def basic_auth_user(header: str) -> str:
    scheme, _, value = header.partition(" ")
    if scheme == "Bearer":
        return value
    return base64.b64decode(value).decode().split(":")[0]


async def test_a_checkout_session_is_created_with_the_order_and_an_idempotency_key(
    server: RecordingServer,
) -> None:
    server.reply("POST", "/v1/checkout/sessions", CHECKOUT_SESSION)
    start = await provider(server).start_payment(request())

    assert start.provider == "stripe"
    assert start.provider_payment_id == "cs_test_a1b2c3"
    assert start.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_a1b2c3#fidk"
    assert start.instructions is None
    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert basic_auth_user(sent.headers["authorization"]) == SECRET
    assert sent.headers["idempotency-key"] == "odop-OD-ABCDEFGHJK-1"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["stripe-version"]  # the library pins its API version
    assert sent.form == {
        "mode": "payment",
        "client_reference_id": "OD-ABCDEFGHJK",
        "success_url": "http://shop.test/orders/OD-ABCDEFGHJK?paid=1",
        "cancel_url": "http://shop.test/orders/OD-ABCDEFGHJK",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "inr",
        "line_items[0][price_data][unit_amount]": "158000",
        "line_items[0][price_data][product_data][name]": "ODOP Bazaar order OD-ABCDEFGHJK",
        "metadata[order_number]": "OD-ABCDEFGHJK",
        "metadata[payment_key]": "odop-OD-ABCDEFGHJK-1",
        "payment_intent_data[metadata][order_number]": "OD-ABCDEFGHJK",
        "payment_intent_data[metadata][payment_key]": "odop-OD-ABCDEFGHJK-1",
        "customer_email": "buyer@example.com",
    }


async def test_amounts_are_sent_in_the_orders_currency_minor_units(
    server: RecordingServer,
) -> None:
    server.reply("POST", "/v1/checkout/sessions", {**CHECKOUT_SESSION, "currency": "usd"})
    await provider(server).start_payment(
        request(amount_minor=1_899, currency="USD", customer_email=None)
    )
    [sent] = server.requests
    assert sent.form["line_items[0][price_data][currency]"] == "usd"
    assert sent.form["line_items[0][price_data][unit_amount]"] == "1899"
    assert "customer_email" not in sent.form


async def test_a_stripe_error_becomes_a_provider_error_and_is_not_retried_blindly(
    server: RecordingServer,
) -> None:
    server.reply(
        "POST",
        "/v1/checkout/sessions",
        {
            "error": {
                "type": "invalid_request_error",
                "code": "amount_too_small",
                "message": "The Checkout Session's total amount due must add up to at least ₹30.00",
                "param": "line_items[0][price_data][unit_amount]",
            }
        },
        status=400,
    )
    with pytest.raises(PaymentProviderError, match="at least"):
        await provider(server).start_payment(request(amount_minor=100))
    assert len(server.requests) == 1  # a 400 is final: the library does not retry it


async def test_a_refund_is_made_on_the_payment_intent_with_its_own_idempotency_key(
    server: RecordingServer,
) -> None:
    server.reply("POST", "/v1/refunds", REFUND)
    refund_id = await provider(server).refund(
        provider_payment_id="pi_3MtwBw",
        amount_minor=50_000,
        currency="INR",
        idempotency_key="refund-OD-ABCDEFGHJK-1",
    )
    assert refund_id == "re_3MtwBw"
    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/refunds")
    assert sent.headers["idempotency-key"] == "refund-OD-ABCDEFGHJK-1"
    assert sent.form == {
        "payment_intent": "pi_3MtwBw",
        "amount": "50000",
        "metadata[idempotency_key]": "refund-OD-ABCDEFGHJK-1",
    }


async def test_a_refund_given_a_checkout_session_finds_its_payment_intent(
    server: RecordingServer,
) -> None:
    paid = {**CHECKOUT_SESSION, "payment_intent": "pi_3MtwBw", "payment_status": "paid"}
    server.reply("GET", "/v1/checkout/sessions/cs_test_a1b2c3", paid)
    server.reply("POST", "/v1/refunds", REFUND)
    await provider(server).refund(
        provider_payment_id="cs_test_a1b2c3",
        amount_minor=50_000,
        currency="INR",
        idempotency_key="refund-OD-ABCDEFGHJK-1",
    )
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/v1/checkout/sessions/cs_test_a1b2c3"),
        ("POST", "/v1/refunds"),
    ]
    assert server.requests[1].form["payment_intent"] == "pi_3MtwBw"


async def test_a_failed_refund_is_an_error(server: RecordingServer) -> None:
    server.reply("POST", "/v1/refunds", {**REFUND, "status": "failed"})
    with pytest.raises(PaymentProviderError, match="failed"):
        await provider(server).refund(
            provider_payment_id="pi_3MtwBw", amount_minor=1, currency="INR", idempotency_key="k"
        )


async def test_an_unreachable_stripe_is_a_provider_error() -> None:
    with recording_server() as gone:
        url = gone.url
    settings = Settings(env="test", stripe_secret_key=SECRET, stripe_api_base=url)
    with pytest.raises(PaymentProviderError):
        await StripeProvider(settings).start_payment(request())


LIVE_KEY = os.environ.get("ODOP_STRIPE_TEST_SECRET_KEY", "")


@pytest.mark.skipif(not LIVE_KEY, reason="ODOP_STRIPE_TEST_SECRET_KEY is not set")
async def test_live_checkout_session_in_stripe_test_mode_is_idempotent() -> None:
    assert LIVE_KEY.startswith("sk_test_"), "live tests only run against test mode"
    live = StripeProvider(Settings(env="test", stripe_secret_key=LIVE_KEY))
    key = f"odop-live-test-{os.getpid()}-{os.urandom(4).hex()}"
    first = await live.start_payment(request(idempotency_key=key, amount_minor=5_000))
    again = await live.start_payment(request(idempotency_key=key, amount_minor=5_000))
    assert first.provider_payment_id.startswith("cs_test_")
    assert again.provider_payment_id == first.provider_payment_id
    assert first.redirect_url and first.redirect_url.startswith("https://checkout.stripe.com/")


async def test_closing_an_earlier_attempt_expires_its_open_checkout_session(
    server: RecordingServer,
) -> None:
    server.reply("GET", "/v1/checkout/sessions/cs_test_a1b2c3", CHECKOUT_SESSION)
    expired = {**CHECKOUT_SESSION, "status": "expired", "url": None}
    server.reply("POST", "/v1/checkout/sessions/cs_test_a1b2c3/expire", expired)
    assert await provider(server).close("cs_test_a1b2c3") is True
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/v1/checkout/sessions/cs_test_a1b2c3"),
        ("POST", "/v1/checkout/sessions/cs_test_a1b2c3/expire"),
    ]


async def test_closing_an_attempt_that_was_paid_after_all_says_so(
    server: RecordingServer,
) -> None:
    paid = {**CHECKOUT_SESSION, "status": "complete", "payment_status": "paid"}
    server.reply("GET", "/v1/checkout/sessions/cs_test_a1b2c3", paid)
    assert await provider(server).close("cs_test_a1b2c3") is False
    assert len(server.requests) == 1  # nothing to expire
