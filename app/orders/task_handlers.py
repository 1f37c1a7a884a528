"""Handlers of the orders domain's jobs: release an expired reservation; refund a cancelled part."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.emails import current_settings
from app.jobs import job_handler
from app.orders import repository, service
from app.orders.ledger import service as ledger_service
from app.orders.models import PartState
from app.orders.payments import service as payments_service
from app.orders.tasks import EXPIRE_JOB, REFUND_JOB


@job_handler(EXPIRE_JOB)
async def expire_reservation(session: AsyncSession, payload: dict[str, Any]) -> None:
    await service.expire_order(session, int(payload["order_id"]))


@job_handler(REFUND_JOB)
async def refund_cancelled_part(session: AsyncSession, payload: dict[str, Any]) -> None:
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
