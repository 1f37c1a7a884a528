"""Jobs the orders domain enqueues. Their handlers are in app/orders/tasks.py, which imports the
services; this module imports none, so the services can enqueue without an import cycle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs import enqueue

EXPIRE_JOB = "orders.expire_reservation"
REFUND_JOB = "orders.refund_cancelled_part"


def schedule_expiry(session: AsyncSession, order_id: int, delay: timedelta) -> None:
    enqueue(session, EXPIRE_JOB, {"order_id": order_id}, delay=delay)


def schedule_refund(session: AsyncSession, order_number: str, part_id: int) -> None:
    """A paid part was cancelled: refund its share through the provider, after this commits
    (a job, so no request waits on the provider and no lock is held across its call)."""
    enqueue(session, REFUND_JOB, {"order_number": order_number, "part_id": part_id})
