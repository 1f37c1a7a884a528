"""The development payment sandbox: a local page in place of Stripe's hosted checkout.

The buyer chooses an outcome (pay, decline, or a 3-D Secure-style authentication step that can
pass or fail); the page then sends the events Stripe would send, in Stripe's JSON shape and signed
with Stripe's scheme using ODOP_SANDBOX_WEBHOOK_SECRET, to our own ``POST /webhooks/stripe``
through the application itself, so the same verification, storage and processing job run as for
Stripe. Mounted only outside production (app/main.py); the provider is refused there too.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.config import Settings
from app.errors import NotFound
from app.i18n import gettext as _
from app.orders.payments import repository, service, stripe_events
from app.orders.payments.models import Payment, PaymentState
from app.orders.payments.providers import SANDBOX_SESSION_PREFIX
from app.web import templates_of

router = APIRouter(include_in_schema=False)
Outcome = Annotated[str, Form(max_length=20)]
NO_STORE = {"cache-control": "no-store"}


def _derived(prefix: str, session_id: str) -> str:
    return prefix + hashlib.sha256(session_id.encode()).hexdigest()[:24]


async def _payment(request: Request, session_id: str) -> Payment:
    """Read in a short session of its own: the webhook call that follows must find no
    transaction of this request open (SQLite has one writer). Like an expired Checkout Session,
    the page of an attempt that a newer attempt replaced is gone."""
    if not session_id.startswith(SANDBOX_SESSION_PREFIX):
        raise NotFound()
    async with request.app.state.session_factory() as session:
        payment = await repository.payment_by_provider_id(session, session_id)
        replaced = payment is not None and any(
            p.id > payment.id for p in await repository.payments_of_order(session, payment.order_id)
        )
    if payment is None or payment.provider != "sandbox" or replaced:
        raise NotFound(_("There is no such sandbox payment."))
    return payment


def _page(
    request: Request, payment: Payment, template: str, message: str = "", status: int = 200
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    return templates_of(request).render(
        request,
        template,
        {
            "payment": payment,
            "message": message,
            "order_url": service.order_url(settings, payment.order_number),
        },
        status_code=status,
        headers=NO_STORE,
    )


async def deliver(request: Request, event: dict[str, object]) -> int:
    """POST one signed event to our own webhook, through the application; returns the status."""
    settings: Settings = request.app.state.settings
    body = stripe_events.encode(event)
    headers = {
        "content-type": "application/json",
        "stripe-signature": stripe_events.sign(body, settings.sandbox_webhook_secret),
    }
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.internal") as client:
        response = await client.post(
            request.app.url_path_for("stripe_webhook"), content=body, headers=headers
        )
    return response.status_code


async def _succeed(request: Request, payment: Payment) -> None:
    session_id = payment.provider_payment_id
    intent = _derived("pi_sandbox_", session_id)
    charge = _derived("ch_sandbox_", session_id)
    # Stripe sends both, in no promised order; so do we.
    await deliver(
        request,
        stripe_events.event(
            "payment_intent.succeeded",
            stripe_events.payment_intent(
                intent_id=intent,
                order_number=payment.order_number,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                succeeded=True,
                charge_id=charge,
                payment_key=payment.idempotency_key,
            ),
        ),
    )
    await deliver(
        request,
        stripe_events.event(
            "checkout.session.completed",
            stripe_events.checkout_session(
                session_id=session_id,
                intent_id=intent,
                order_number=payment.order_number,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                paid=True,
                payment_key=payment.idempotency_key,
            ),
        ),
    )


async def _fail(request: Request, payment: Payment) -> None:
    await deliver(
        request,
        stripe_events.event(
            "payment_intent.payment_failed",
            stripe_events.payment_intent(
                intent_id=_derived("pi_sandbox_", payment.provider_payment_id),
                order_number=payment.order_number,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                succeeded=False,
                payment_key=payment.idempotency_key,
            ),
        ),
    )


@router.get("/payments/sandbox/{session_id}", name="payment_sandbox")
async def sandbox_page(request: Request, session_id: str) -> HTMLResponse:
    payment = await _payment(request, session_id)
    return _page(request, payment, "orders/payments/sandbox.html")


@router.post("/payments/sandbox/{session_id}", name="payment_sandbox_submit")
async def sandbox_submit(request: Request, session_id: str, outcome: Outcome = "") -> Response:
    payment = await _payment(request, session_id)
    settings: Settings = request.app.state.settings
    if payment.state == PaymentState.SUCCEEDED:
        return RedirectResponse(service.order_url(settings, payment.order_number), 303)
    if outcome == "authenticate":
        return RedirectResponse(
            request.app.url_path_for("payment_sandbox_authenticate", session_id=session_id), 303
        )
    if outcome == "succeed":
        await _succeed(request, payment)
        return RedirectResponse(
            service.order_url(settings, payment.order_number) + "?payment=done", 303
        )
    if outcome == "fail":
        await _fail(request, payment)
        return _page(
            request,
            payment,
            "orders/payments/sandbox.html",
            _("Your card was declined. Nothing was charged."),
            402,
        )
    return _page(request, payment, "orders/payments/sandbox.html", _("Choose an outcome."), 422)


@router.get("/payments/sandbox/{session_id}/authenticate", name="payment_sandbox_authenticate")
async def authenticate_page(request: Request, session_id: str) -> HTMLResponse:
    payment = await _payment(request, session_id)
    return _page(request, payment, "orders/payments/sandbox_authenticate.html")


@router.post("/payments/sandbox/{session_id}/authenticate", name="payment_sandbox_authenticated")
async def authenticate_submit(request: Request, session_id: str, outcome: Outcome = "") -> Response:
    payment = await _payment(request, session_id)
    settings: Settings = request.app.state.settings
    if outcome == "succeed":
        await _succeed(request, payment)
        return RedirectResponse(
            service.order_url(settings, payment.order_number) + "?payment=done", 303
        )
    await _fail(request, payment)
    return _page(
        request,
        payment,
        "orders/payments/sandbox.html",
        _("Authentication failed. Nothing was charged."),
        402,
    )
