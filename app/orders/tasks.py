"""Jobs of the orders domain: releasing the stock of orders left unpaid past their reservation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs import enqueue, job_handler

EXPIRE_JOB = "orders.expire_reservation"
REFUND_JOB = "orders.refund_cancelled_part"


def schedule_expiry(session: AsyncSession, order_id: int, delay: timedelta) -> None:
    enqueue(session, EXPIRE_JOB, {"order_id": order_id}, delay=delay)


@job_handler(EXPIRE_JOB)
async def expire_reservation(session: AsyncSession, payload: dict[str, Any]) -> None:
    from app.orders import service

    await service.expire_order(session, int(payload["order_id"]))


def schedule_refund(session: AsyncSession, order_number: str, part_id: int) -> None:
    """A paid part was cancelled: refund its share through the provider, after this commits
    (a job, so no request waits on the provider and no lock is held across its call)."""
    enqueue(session, REFUND_JOB, {"order_number": order_number, "part_id": part_id})


@job_handler(REFUND_JOB)
async def refund_cancelled_part(session: AsyncSession, payload: dict[str, Any]) -> None:
    from app.accounts.emails import current_settings
    from app.orders import repository
    from app.orders.ledger import service as ledger_service
    from app.orders.models import PartState
    from app.orders.payments import service as payments_service

    order = await repository.order_by_number(session, str(payload["order_number"]))
    part_id = int(payload["part_id"])
    if order is None:
        return
    part = next((p for p in order.parts if p.id == part_id), None)
    if part is None or part.state != PartState.CANCELLED:
        return  # already refunded (a retry) or not cancelled
    shares = await ledger_service.part_shares(
        session, order_number=order.number, total_minor=order.total_minor
    )
    await payments_service.refund(
        session,
        current_settings(),
        order_number=order.number,
        order_part_id=part_id,
        amount_minor=shares[part_id],
        reason=part.cancel_reason,
    )
