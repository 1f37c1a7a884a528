"""Starting payments, refunds, offline payments, and applying provider events to orders.

The orders domain owns the order's state; it is changed only through its contract functions
(``app.orders.service.on_payment_succeeded`` and friends), which return True only when they
changed something. This module writes a ledger entry and an email only for such a change, so
duplicated or re-ordered provider events have one effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import FormErrors
from app.i18n import gettext as _
from app.jobs import enqueue
from app.money import InvalidAmount, to_minor
from app.orders import service as orders_service
from app.orders.ledger import service as ledger_service
from app.orders.models import Order, PartState
from app.orders.models import PaymentStatus as OrderPaymentStatus
from app.orders.payments import emails, repository
from app.orders.payments.base import PaymentRequest, PaymentStart
from app.orders.payments.errors import (
    AlreadyPaid,
    NothingToRefund,
    OrderCancelled,
    OrderNotFound,
    PaymentBeingConfirmed,
    PaymentNotFound,
    RefundTooLarge,
)
from app.orders.payments.models import EventState, Payment, PaymentState
from app.orders.payments.providers import provider_for

logger = logging.getLogger(__name__)
DUPLICATE_REFUND_JOB = "payments.refund_duplicate"


def _start_of(payment: Payment) -> PaymentStart:
    return PaymentStart(
        provider=payment.provider,
        provider_payment_id=payment.provider_payment_id,
        redirect_url=payment.redirect_url,
        instructions=payment.instructions,
    )


def order_url(settings: Settings, order_number: str) -> str:
    return f"{settings.base_url.rstrip('/')}/orders/{order_number}"


async def start_payment(
    session: AsyncSession, settings: Settings, *, order_number: str
) -> PaymentStart:
    """Start (or find) the payment of an unpaid order.

    Nothing is written before the provider answers, so no row lock of ours is held across the
    network call; the provider gets the same idempotency key for the same attempt, so a double
    submit makes one payment, and the unique key keeps one row."""
    order = await repository.order_by_number(session, order_number)
    if order is None:
        raise OrderNotFound()
    if order.payment_status in (OrderPaymentStatus.PAID, OrderPaymentStatus.REFUNDED):
        raise AlreadyPaid()
    parts = await repository.order_parts(session, order.id)
    if parts and all(part.state == PartState.CANCELLED for part in parts):
        raise OrderCancelled()
    amount_minor, currency = await orders_service.payable_amount(session, order_number=order_number)
    payments = await repository.payments_of_order(session, order.id)
    if any(p.state == PaymentState.SUCCEEDED for p in payments):
        raise AlreadyPaid()
    provider = provider_for(settings)
    for payment in reversed(payments):
        if (
            payment.state == PaymentState.PENDING
            and payment.provider == provider.name
            and (payment.amount_minor, payment.currency) == (amount_minor, currency)
        ):
            return _start_of(payment)
    # A Checkout page stays open after a declined card: close it before a new attempt.
    for earlier in payments:
        if (
            earlier.state == PaymentState.FAILED
            and earlier.provider == provider.name
            and not await provider.close(earlier.provider_payment_id)
        ):
            raise PaymentBeingConfirmed()
    attempt = 1 + sum(1 for p in payments if p.state == PaymentState.FAILED)
    key = f"{provider.name}-{order_number}-{attempt}"
    start = await provider.start_payment(
        PaymentRequest(
            order_number=order_number,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=key,
            description=f"ODOP Bazaar order {order_number}",
            customer_email=order.buyer_email or None,
            success_url=order_url(settings, order_number) + "?payment=done",
            cancel_url=order_url(settings, order_number) + "?payment=cancelled",
        )
    )
    # SQLite: take the write lock only now, after the network call, and wait for it rather than
    # fail because a concurrent double submit wrote since our reads.
    await begin_write(session)
    payment = await repository.insert_payment_once(
        session,
        {
            "order_id": order.id,
            "order_number": order_number,
            "provider": start.provider,
            "attempt": attempt,
            "idempotency_key": key,
            "provider_payment_id": start.provider_payment_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "state": PaymentState.PENDING,
            "redirect_url": start.redirect_url,
            "instructions": start.instructions,
            "failure_message": "",
        },
    )
    return _start_of(payment)


# Applying outcomes (from webhook events or an administrator's record) -------------------------


@dataclass(frozen=True)
class Outcome:
    changed: bool
    flag: str = ""  # why an administrator should look, if they should


async def payment_succeeded(
    session: AsyncSession,
    settings: Settings,
    payment_id: int,
    *,
    amount_minor: int,
    currency: str,
    payment_intent_id: str | None = None,
) -> Outcome:
    payment = await repository.payment_by_id(session, payment_id, lock=True)
    if payment is None:
        raise PaymentNotFound()
    if payment_intent_id and payment.payment_intent_id is None:
        payment.payment_intent_id = payment_intent_id
    if (amount_minor, currency.upper()) != (payment.amount_minor, payment.currency):
        return Outcome(
            False,
            f"paid {amount_minor} {currency.upper()} but the payment expects "
            f"{payment.amount_minor} {payment.currency}",
        )
    if payment.state == PaymentState.SUCCEEDED:
        return Outcome(False)
    payment.state = PaymentState.SUCCEEDED
    payment.succeeded_at = utcnow()
    changed = await orders_service.on_payment_succeeded(
        session,
        order_number=payment.order_number,
        provider=payment.provider,
        provider_payment_id=payment.provider_payment_id,
        amount_minor=amount_minor,
        currency=payment.currency,
    )
    if not changed:
        # The order was paid already, by another attempt (an earlier Checkout page paid late):
        # this money goes back by itself, in a job after this commits (no lock held across the
        # provider's call), with an idempotency key of its own.
        enqueue(session, DUPLICATE_REFUND_JOB, {"payment_id": payment.id})
        return Outcome(
            False, "the order was already paid by another payment: this one is refunded by itself"
        )
    await ledger_service.record_sale(
        session, settings, order_number=payment.order_number, paid_on=utcnow().date()
    )
    # The buyer's "payment received" email is the orders domain's "paid" step email.
    return Outcome(True)


async def payment_failed(
    session: AsyncSession, payment_id: int, *, message: str, payment_intent_id: str | None = None
) -> Outcome:
    payment = await repository.payment_by_id(session, payment_id, lock=True)
    if payment is None:
        raise PaymentNotFound()
    if payment_intent_id and payment.payment_intent_id is None:
        payment.payment_intent_id = payment_intent_id
    if payment.state != PaymentState.PENDING:
        return Outcome(False)  # a failure never undoes a success, and is recorded once
    payment.state = PaymentState.FAILED
    payment.failure_message = message[:2000]
    changed = await orders_service.on_payment_failed(
        session, order_number=payment.order_number, provider_payment_id=payment.provider_payment_id
    )
    if changed:
        emails.queue(session, payment.id, emails.PAYMENT_FAILED)
    return Outcome(changed)


async def record_offline_payment(
    session: AsyncSession,
    settings: Settings,
    *,
    payment_id: int,
    reference: str,
    paid_on: date,
    amount_minor: int,
    recorded_by: int,
) -> Outcome:
    """An administrator saw the transfer on the bank statement."""
    await begin_write(session)
    payment = await repository.payment_by_id(session, payment_id, lock=True)
    if payment is None or payment.provider != "offline":
        raise PaymentNotFound()
    if payment.state == PaymentState.SUCCEEDED:
        raise AlreadyPaid()
    if amount_minor != payment.amount_minor:
        expected = f"{payment.amount_minor / 100:.2f} {payment.currency}"
        raise FormErrors(
            {
                "amount": _(
                    "The order's amount is %(amount)s; record the full payment "
                    "(part payments are not taken).",
                    amount=expected,
                )
            }
        )
    payment.offline_reference = reference
    payment.offline_paid_on = paid_on
    payment.recorded_by_user_id = recorded_by
    await session.flush()  # payment_succeeded reloads the row
    return await payment_succeeded(
        session, settings, payment.id, amount_minor=amount_minor, currency=payment.currency
    )


# Refunds ----------------------------------------------------------------------------------------


async def refund(
    session: AsyncSession,
    settings: Settings,
    *,
    order_number: str,
    order_part_id: int | None,
    amount_minor: int,
    requested_by: int | None = None,
    reason: str = "",
) -> None:
    """Refund a whole order (``order_part_id`` None) or part of one seller's part, through the
    provider the order was paid with; recorded, then the orders domain and the ledger follow."""
    order = await repository.order_by_number(session, order_number)
    if order is None:
        raise OrderNotFound()
    payment = await _payment_that_paid(session, order)
    if payment is None:
        raise NothingToRefund()
    shares = await ledger_service.part_shares(
        session, order_number=order_number, total_minor=payment.amount_minor
    )
    if order_part_id is not None and order_part_id not in shares:
        raise OrderNotFound("That part does not belong to this order")
    made = [
        r
        for r in await repository.refunds_of_order(session, order.id)
        if r.payment_id == payment.id
    ]
    refunds = [r for r in made if r.failed_at is None]
    refunded_total = sum(r.amount_minor for r in refunds)
    left = payment.amount_minor - refunded_total
    if order_part_id is not None:
        whole_order_refunds = sum(r.amount_minor for r in refunds if r.order_part_id is None)
        if whole_order_refunds:
            left = 0
        else:
            left = min(
                left,
                shares[order_part_id]
                - sum(r.amount_minor for r in refunds if r.order_part_id == order_part_id),
            )
    if amount_minor <= 0:
        raise RefundTooLarge("The refund must be more than zero")
    if amount_minor > left:
        raise RefundTooLarge(f"At most {left / 100:.2f} {payment.currency} is left to refund here")
    key = f"refund-{order_number}-{len(made) + 1}"
    provider = provider_for(settings, payment.provider)
    provider_refund_id = await provider.refund(
        provider_payment_id=payment.payment_intent_id or payment.provider_payment_id,
        amount_minor=amount_minor,
        currency=payment.currency,
        idempotency_key=key,
    )
    await begin_write(session)
    stored = await repository.insert_refund_once(
        session,
        {
            "payment_id": payment.id,
            "order_id": order.id,
            "order_part_id": order_part_id,
            "amount_minor": amount_minor,
            "currency": payment.currency,
            "idempotency_key": key,
            "provider_refund_id": provider_refund_id,
            "requested_by_user_id": requested_by,
            "reason": reason,
        },
    )
    await refund_succeeded(session, settings, stored.provider_refund_id)


async def _payment_that_paid(session: AsyncSession, order: Order) -> Payment | None:
    """The successful payment the order took; any other success was a duplicate, refunded."""
    paid_by = await repository.paid_by(session, order.id)
    for payment in await repository.payments_of_order(session, order.id):
        if payment.state == PaymentState.SUCCEEDED and payment.provider_payment_id == paid_by:
            return payment
    return None


async def refund_duplicate(session: AsyncSession, settings: Settings, payment_id: int) -> bool:
    """Give back in full a successful payment that its order did not take because another
    attempt had paid it. Returns whether a refund was made (False on a repeat)."""
    payment = await repository.payment_by_id(session, payment_id)
    if payment is None or payment.state != PaymentState.SUCCEEDED:
        return False
    order = await repository.order_by_id(session, payment.order_id)
    if order is None or await repository.paid_by(session, order.id) == payment.provider_payment_id:
        return False
    refunds = await repository.refunds_of_order(session, order.id)
    if any(r.payment_id == payment.id and r.failed_at is None for r in refunds):
        return False
    tries = sum(1 for r in refunds if r.payment_id == payment.id)
    key = f"refund-duplicate-{payment.id}-{tries + 1}"
    provider = provider_for(settings, payment.provider)
    provider_refund_id = await provider.refund(
        provider_payment_id=payment.payment_intent_id or payment.provider_payment_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        idempotency_key=key,
    )
    await begin_write(session)
    await repository.insert_refund_once(
        session,
        {
            "payment_id": payment.id,
            "order_id": order.id,
            "order_part_id": None,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "idempotency_key": key,
            "provider_refund_id": provider_refund_id,
            "requested_by_user_id": None,
            "reason": "paid twice: the order was already paid by another payment",
        },
    )
    return True


async def refund_succeeded(
    session: AsyncSession, settings: Settings, provider_refund_id: str
) -> Outcome:
    stored = await repository.refund_by_provider_id(session, provider_refund_id)
    if stored is None:
        return Outcome(False, f"refund {provider_refund_id} was not made through ODOP Bazaar")
    if stored.failed_at is not None:
        return Outcome(False, f"refund {provider_refund_id} failed earlier; it cannot succeed now")
    order = await repository.order_by_id(session, stored.order_id)
    payment = await repository.payment_by_id(session, stored.payment_id)
    assert order is not None and payment is not None
    if payment.provider_payment_id != await repository.paid_by(session, order.id):
        return Outcome(False)  # a duplicate payment given back: the order and ledger keep
    changed = await orders_service.on_refund_succeeded(
        session,
        order_number=order.number,
        order_part_id=stored.order_part_id,
        provider_refund_id=stored.provider_refund_id,
        amount_minor=stored.amount_minor,
    )
    # Each refund row is one refund, so its ledger reversal is keyed by it (a part can be
    # refunded in several goes, while the part's state changes only on the first).
    written = await ledger_service.record_refund(
        session,
        order_number=order.number,
        refund_id=stored.id,
        order_part_id=stored.order_part_id,
        amount_minor=stored.amount_minor,
        total_minor=payment.amount_minor,
    )
    return Outcome(changed or written > 0)


async def refund_failed(session: AsyncSession, provider_refund_id: str, *, reason: str) -> Outcome:
    """The provider could not return a refund it had accepted (Stripe: a card closed since, or
    the refund was cancelled): the money stayed with us. The refund is marked failed (so what
    is left to refund counts it no more), the seller is owed its reversal again, and an
    administrator is asked to refund another way."""
    await begin_write(session)
    stored = await repository.refund_by_provider_id(session, provider_refund_id)
    if stored is None:
        return Outcome(False, f"refund {provider_refund_id} was not made through ODOP Bazaar")
    if stored.failed_at is not None:
        return Outcome(False)
    stored.failed_at = utcnow()
    stored.failure_reason = reason[:2000]
    await ledger_service.reinstate_refund(session, refund_id=stored.id)
    order = await repository.order_by_id(session, stored.order_id)
    number = order.number if order else "?"
    return Outcome(
        True,
        f"refund {provider_refund_id} of order {number} ({stored.amount_minor / 100:.2f} "
        f"{stored.currency}) failed at the provider ({reason}): the buyer has not got it back; "
        "refund again or by bank transfer",
    )


def summary(payment: Payment) -> dict[str, Any]:
    return {
        "order_number": payment.order_number,
        "provider": payment.provider,
        "provider_payment_id": payment.provider_payment_id,
        "state": payment.state.value,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "redirect_url": payment.redirect_url,
        "instructions": payment.instructions,
    }


def parse_amount(text: str, field: str = "amount") -> int:
    """A form's amount in rupees (or the order's currency units), "1,234.50", to minor units,
    read by the one money parser (``app.money.to_minor``); anything else is a field error."""
    try:
        minor = to_minor(text)
    except InvalidAmount:
        raise FormErrors({field: _("Enter an amount like 1250 or 1250.50.")}) from None
    if minor <= 0:
        raise FormErrors({field: _("Enter an amount above zero.")})
    return minor


async def owned_order_number(session: AsyncSession, order_number: str, user_id: int) -> str:
    """The order if it is the user's; another buyer's order is a 404, as if it did not exist."""
    order = await repository.order_by_number(session, order_number)
    if order is None or order.buyer_user_id != user_id:
        raise OrderNotFound()
    return order.number


async def admin_overview(session: AsyncSession) -> dict[str, Any]:
    return {
        "flagged": await repository.events_with_state(session, EventState.FLAGGED),
        "offline": await repository.pending_offline_payments(session),
    }
