"""Payment attempts, refunds and the stored webhook events of the payment providers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin, str_enum, utcnow
from app.orders import models as _order_models  # noqa: F401 - payments refer to orders


class PaymentState(enum.StrEnum):
    PENDING = "pending"  # started: the buyer is at the provider, or an offline transfer is awaited
    SUCCEEDED = "succeeded"  # final: a later failure event never undoes it
    FAILED = "failed"


class Payment(TimestampMixin, Base):
    """One attempt to pay an order. ``idempotency_key`` (order number + attempt) is also the key
    sent to the provider, so a double submit or a retry finds this row and the provider's
    first answer, never a second charge."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    order_number: Mapped[str] = mapped_column(String(16), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    # Checkout Session id (Stripe), sandbox id, or "offline-<order number>-<attempt>".
    provider_payment_id: Mapped[str] = mapped_column(String(255), unique=True)
    # The PaymentIntent, once an event names it (refunds are made on it).
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[PaymentState] = mapped_column(
        str_enum(PaymentState, "payment_state"), default=PaymentState.PENDING, index=True
    )
    redirect_url: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    failure_message: Mapped[str] = mapped_column(Text, default="")
    # Offline payments: what the admin recorded from the bank statement.
    offline_reference: Mapped[str | None] = mapped_column(String(80))
    offline_paid_on: Mapped[date | None]
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    succeeded_at: Mapped[datetime | None]


class Refund(Base):
    """A refund the provider accepted, of a whole order (``order_part_id`` None) or one part."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    provider_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A refund the provider accepted can fail later (charge.refund.updated): the money stayed.
    failed_at: Mapped[datetime | None]
    failure_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class EventState(enum.StrEnum):
    RECEIVED = "received"  # stored, its processing job is queued
    PROCESSED = "processed"
    IGNORED = "ignored"  # a type we do not act on
    FLAGGED = "flagged"  # needs an administrator: unknown order, amount mismatch, ...


class PaymentEvent(Base):
    """A provider's webhook event, stored once under its id whatever how often it is delivered."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    order_number: Mapped[str | None] = mapped_column(String(40), index=True)
    state: Mapped[EventState] = mapped_column(
        str_enum(EventState, "payment_event_state"), default=EventState.RECEIVED, index=True
    )
    flag_reason: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
