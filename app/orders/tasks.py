"""Jobs of the orders domain: releasing the stock of orders left unpaid past their reservation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs import enqueue, job_handler

EXPIRE_JOB = "orders.expire_reservation"


def schedule_expiry(session: AsyncSession, order_id: int, delay: timedelta) -> None:
    enqueue(session, EXPIRE_JOB, {"order_id": order_id}, delay=delay)


@job_handler(EXPIRE_JOB)
async def expire_reservation(session: AsyncSession, payload: dict[str, Any]) -> None:
    from app.orders import service

    await service.expire_order(session, int(payload["order_id"]))
