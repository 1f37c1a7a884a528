"""The job that applies a stored provider event: idempotent and order-independent.

Each event row is locked while it is processed and marked processed, ignored or flagged in the
same transaction, so a job that runs twice does nothing the second time. Several events about one
payment (``checkout.session.completed`` and ``payment_intent.succeeded`` both say "paid") meet
at the payment row, which is locked too; the first moves it, the others find it moved. A failure
arriving after a success does not undo it. An event naming no known order or payment is kept and
flagged for an administrator rather than failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import utcnow
from app.jobs import job_handler
from app.orders.payments import repository, service
from app.orders.payments.models import EventState, Payment, PaymentEvent, PaymentState
from app.orders.payments.webhook import PROCESS_JOB


@job_handler(PROCESS_JOB)
async def process_event_job(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await process_event(session, settings, int(payload["event"]))


@job_handler(service.DUPLICATE_REFUND_JOB)
async def refund_duplicate_job(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await service.refund_duplicate(session, settings, int(payload["payment_id"]))


async def process_event(session: AsyncSession, settings: Settings, stored_id: int) -> None:
    event = await repository.event_for_processing(session, stored_id)
    if event is None or event.state != EventState.RECEIVED:
        return
    obj = event.payload.get("data", {}).get("object", {})
    flag = await _apply(session, settings, event, obj if isinstance(obj, dict) else {})
    event.state = EventState.FLAGGED if flag else EventState.PROCESSED
    event.flag_reason = flag
    event.processed_at = utcnow()


async def _payment_for(
    session: AsyncSession, event: PaymentEvent, obj: dict[str, Any]
) -> tuple[Payment | None, str]:
    """The payment an event is about, or why none was found."""
    metadata = obj.get("metadata")
    key = metadata.get("payment_key") if isinstance(metadata, dict) else None
    if isinstance(key, str) and (keyed := await repository.payment_by_key(session, key)):
        return keyed, ""
    if event.event_type == "checkout.session.completed":
        payment = await repository.payment_by_provider_id(session, str(obj.get("id", "")))
    else:
        intent = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
        payment = await repository.payment_by_intent(session, str(intent or ""))
        if payment is None and event.order_number:
            # The PaymentIntent's events can come before the session's: match by the order.
            order = await repository.order_by_number(session, event.order_number)
            if order is not None:
                candidates = [
                    p
                    for p in await repository.payments_of_order(session, order.id)
                    if p.provider in ("stripe", "sandbox") and p.payment_intent_id in (None, intent)
                ]
                payment = candidates[-1] if candidates else None
    if payment is not None:
        return payment, ""
    if not event.order_number:
        return None, "the event names no order"
    if await repository.order_by_number(session, event.order_number) is None:
        return None, f"unknown order {event.order_number}"
    return None, f"no payment of order {event.order_number} matches this event"


async def _apply(
    session: AsyncSession, settings: Settings, event: PaymentEvent, obj: dict[str, Any]
) -> str:
    kind = event.event_type
    if kind == "charge.refund.updated":  # a refund object: found by its own id
        return await _refund_updated(session, settings, obj)
    payment, problem = await _payment_for(session, event, obj)
    if payment is None:
        return problem
    currency = str(obj.get("currency", "")).upper()
    if kind == "checkout.session.completed":
        if obj.get("payment_status") != "paid":
            return ""  # paid later (bank debits): payment_intent.succeeded will say so
        intent = obj.get("payment_intent")
        outcome = await service.payment_succeeded(
            session,
            settings,
            payment.id,
            amount_minor=int(obj.get("amount_total") or 0),
            currency=currency,
            payment_intent_id=str(intent) if intent else None,
        )
        return outcome.flag
    if kind == "payment_intent.succeeded":
        outcome = await service.payment_succeeded(
            session,
            settings,
            payment.id,
            amount_minor=int(obj.get("amount_received") or obj.get("amount") or 0),
            currency=currency,
            payment_intent_id=str(obj.get("id")),
        )
        return outcome.flag
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        outcome = await service.payment_failed(
            session,
            payment.id,
            message=message or "The payment failed",
            payment_intent_id=str(obj.get("id")),
        )
        return outcome.flag
    if kind == "charge.refunded":
        return await _refunded(session, settings, payment, obj)
    return ""


async def _refund_updated(session: AsyncSession, settings: Settings, obj: dict[str, Any]) -> str:
    """A refund's status moved: ``succeeded`` confirms it; ``failed`` or ``canceled`` means the
    money did not go back. ``pending`` and ``requires_action`` change nothing yet."""
    refund_id = str(obj.get("id", ""))
    status = obj.get("status")
    if status == "succeeded":
        return (await service.refund_succeeded(session, settings, refund_id)).flag
    if status in ("failed", "canceled"):
        reason = str(obj.get("failure_reason") or status)
        return (await service.refund_failed(session, refund_id, reason=reason)).flag
    return ""


async def _refunded(
    session: AsyncSession, settings: Settings, payment: Payment, obj: dict[str, Any]
) -> str:
    if payment.state != PaymentState.SUCCEEDED:
        return "a refund of a payment we have not seen succeed"
    listed = (
        (obj.get("refunds") or {}).get("data") if isinstance(obj.get("refunds"), dict) else None
    )
    problems = []
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, dict) and item.get("status") in ("succeeded", "pending"):
                outcome = await service.refund_succeeded(session, settings, str(item.get("id")))
                if outcome.flag:
                    problems.append(outcome.flag)
    else:
        # Newer API versions leave the refunds list out: compare totals instead.
        order = await repository.order_by_id(session, payment.order_id)
        known = sum(
            r.amount_minor
            for r in await repository.refunds_of_order(session, payment.order_id)
            if r.payment_id == payment.id and r.failed_at is None
        )
        if order is not None and int(obj.get("amount_refunded") or 0) > known:
            problems.append("more was refunded at the provider than through ODOP Bazaar")
    return "; ".join(problems)
