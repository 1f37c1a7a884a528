"""All queries of payments, refunds and stored provider events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.orders.models import Order, OrderPart
from app.orders.payments.models import EventState, Payment, PaymentEvent, PaymentState, Refund


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT that can say ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Orders (read only: the orders domain owns them) ---------------------------------------------


async def order_by_number(session: AsyncSession, number: str) -> Order | None:
    found: Order | None = await session.scalar(select(Order).where(Order.number == number))
    return found


async def order_by_id(session: AsyncSession, order_id: int) -> Order | None:
    return await session.get(Order, order_id)


async def paid_by(session: AsyncSession, order_id: int) -> str | None:
    """The provider id of the payment the order took (read from the row: the orders domain
    sets it with a bulk update)."""
    found: str | None = await session.scalar(
        select(Order.provider_payment_id).where(Order.id == order_id)
    )
    return found


async def order_parts(session: AsyncSession, order_id: int) -> list[OrderPart]:
    rows = await session.scalars(
        select(OrderPart).where(OrderPart.order_id == order_id).order_by(OrderPart.id)
    )
    return list(rows)


# Payments ---------------------------------------------------------------------------------------


async def insert_payment_once(session: AsyncSession, values: dict[str, Any]) -> Payment:
    """Insert unless a payment with the same idempotency key exists; return the stored one."""
    now = utcnow()
    statement = (
        _insert(session, Payment)
        .values(created_at=now, updated_at=now, **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await session.execute(statement)
    payment = await payment_by_key(session, values["idempotency_key"])
    assert payment is not None
    return payment


async def payment_by_key(session: AsyncSession, key: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        select(Payment)
        .where(Payment.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return found


async def payment_by_id(
    session: AsyncSession, payment_id: int, *, lock: bool = False
) -> Payment | None:
    statement = (
        select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update()
    found: Payment | None = await session.scalar(statement)
    return found


async def payment_by_provider_id(session: AsyncSession, provider_payment_id: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        select(Payment).where(Payment.provider_payment_id == provider_payment_id)
    )
    return found


async def payment_by_intent(session: AsyncSession, intent_id: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        select(Payment).where(Payment.payment_intent_id == intent_id).order_by(Payment.id.desc())
    )
    return found


async def payments_of_order(session: AsyncSession, order_id: int) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
    )
    return list(rows)


async def pending_offline_payments(session: AsyncSession) -> list[Payment]:
    rows = await session.scalars(
        select(Payment)
        .where(Payment.provider == "offline", Payment.state == PaymentState.PENDING)
        .order_by(Payment.id)
    )
    return list(rows)


# Refunds ----------------------------------------------------------------------------------------


async def refunds_of_order(session: AsyncSession, order_id: int) -> list[Refund]:
    rows = await session.scalars(
        select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
    )
    return list(rows)


async def insert_refund_once(session: AsyncSession, values: dict[str, Any]) -> Refund:
    statement = (
        _insert(session, Refund)
        .values(created_at=utcnow(), **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await session.execute(statement)
    found = await session.scalar(
        select(Refund).where(Refund.idempotency_key == values["idempotency_key"])
    )
    assert found is not None
    return found


async def refund_by_provider_id(session: AsyncSession, provider_refund_id: str) -> Refund | None:
    found: Refund | None = await session.scalar(
        select(Refund).where(Refund.provider_refund_id == provider_refund_id)
    )
    return found


async def count_refunds(session: AsyncSession, order_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Refund.order_id == order_id)) or 0)


# Provider events --------------------------------------------------------------------------------


async def store_event_once(
    session: AsyncSession,
    *,
    source: str,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
    order_number: str | None,
    state: EventState,
) -> int | None:
    """Store a provider event unless its (source, id) is stored; returns the new row's id, or
    None for a duplicate delivery (concurrent duplicates included: the unique key decides)."""
    statement = (
        _insert(session, PaymentEvent)
        .values(
            source=source,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            order_number=order_number,
            state=state,
            flag_reason="",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["source", "event_id"])
        .returning(PaymentEvent.id)
    )
    new_id: int | None = (await session.execute(statement)).scalar_one_or_none()
    return new_id


async def event_for_processing(session: AsyncSession, stored_id: int) -> PaymentEvent | None:
    """The event, locked, if it still waits for processing. The first statement is a write, so
    on SQLite the job holds the write lock from the start instead of failing when another
    writer commits between its reads and its writes; on PostgreSQL it locks the row."""
    claimed = await session.execute(
        update(PaymentEvent)
        .where(PaymentEvent.id == stored_id, PaymentEvent.state == EventState.RECEIVED)
        .values(processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    found: PaymentEvent | None = await session.scalar(
        select(PaymentEvent)
        .where(PaymentEvent.id == stored_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def events_with_state(
    session: AsyncSession, state: EventState, limit: int = 200
) -> list[PaymentEvent]:
    rows = await session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.state == state)
        .order_by(PaymentEvent.id.desc())
        .limit(limit)
    )
    return list(rows)


async def events_of_source(session: AsyncSession, source: str) -> list[PaymentEvent]:
    rows = await session.scalars(
        select(PaymentEvent).where(PaymentEvent.source == source).order_by(PaymentEvent.id)
    )
    return list(rows)
