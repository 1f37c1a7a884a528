"""Carts, orders split into one part per seller, stock reservations, state history, invoices.

Money is integer minor units. Order amounts are kept in INR paise (the ledger currency); an order
paid in another currency also stores the locked rate and the charged amount in that currency.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts import models as _account_models  # noqa: F401 - carts and orders need users
from app.db import Base, TimestampMixin, str_enum, utcnow
from app.listings import models as _listing_models  # noqa: F401 - lines refer to listings
from app.sellers import models as _seller_models  # noqa: F401 - parts refer to sellers


class Cart(TimestampMixin, Base):
    """A signed-in buyer's cart (``user_id``) or an anonymous visitor's (``token`` in a cookie)."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    # SHA-256 of the anonymous cookie's random token.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    lines: Mapped[list[CartLine]] = relationship(
        lazy="raise", order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    # The unit price the buyer last saw, so a change is flagged instead of applied silently.
    seen_unit_price_paise: Mapped[int] = mapped_column(BigInteger)
    # A price agreed with the seller (a quote): it replaces the tier price, and the quantity is
    # the agreed one. Set only by the server (``cart.add_agreed``), never from a form.
    agreed_unit_price_paise: Mapped[int | None] = mapped_column(BigInteger)
    agreement: Mapped[str] = mapped_column(String(80), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_agreed(self) -> bool:
        return self.agreed_unit_price_paise is not None


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # placed, stock reserved, waiting for the payment
    PAID = "paid"
    FAILED = "failed"  # the payment failed or the reservation expired unpaid
    REFUNDED = "refunded"  # every part refunded


class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # "OD-" + 10 random base32
    buyer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_language: Mapped[str] = mapped_column(String(8), default="en")
    payment_status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING, index=True
    )
    # Charged currency and the rate locked at checkout (INR per unit, in millionths; INR: 1e6).
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    inr_per_unit_micros: Mapped[int] = mapped_column(BigInteger, default=1_000_000)
    goods_inr_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    shipping_inr_paise: Mapped[int] = mapped_column(BigInteger)
    tax_inr_paise: Mapped[int] = mapped_column(BigInteger)  # included in goods and shipping
    total_inr_paise: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)  # in ``currency``: what is charged
    is_export: Mapped[bool] = mapped_column(default=False)
    buyer_gstin: Mapped[str | None] = mapped_column(String(15))
    ship_name: Mapped[str] = mapped_column(String(140))
    ship_phone: Mapped[str] = mapped_column(String(20), default="")
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(120))
    ship_state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))  # India only
    ship_region: Mapped[str] = mapped_column(String(120), default="")  # abroad: state/province
    ship_postal_code: Mapped[str] = mapped_column(String(12))
    ship_country: Mapped[str] = mapped_column(String(2), default="IN")
    reserved_until: Mapped[datetime | None]
    payment_attempt: Mapped[int] = mapped_column(default=1)
    payment_provider: Mapped[str | None] = mapped_column(String(20))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None]

    parts: Mapped[list[OrderPart]] = relationship(
        lazy="raise", order_by="OrderPart.id", back_populates="order"
    )


class PartState(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    ACCEPTED = "accepted"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class OrderPart(TimestampMixin, Base):
    """One seller's share of an order: fulfilled, invoiced and paid out on its own."""

    __tablename__ = "order_parts"
    __table_args__ = (
        UniqueConstraint("order_id", "seller_id"),
        Index("ix_order_parts_seller_queue", "seller_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    state: Mapped[PartState] = mapped_column(
        str_enum(PartState, "order_part_state"), default=PartState.PLACED
    )
    # Snapshot of the seller's place of business; CGST+SGST when it is the place of supply.
    seller_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    seller_gstin: Mapped[str | None] = mapped_column(String(15))
    goods_inr_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    shipping_inr_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    taxable_inr_paise: Mapped[int] = mapped_column(BigInteger)
    cgst_inr_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_inr_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_inr_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_inr_paise: Mapped[int] = mapped_column(BigInteger)
    dispatch_days: Mapped[int] = mapped_column(default=2)
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    refunded_inr_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(lazy="raise", back_populates="parts")
    lines: Mapped[list[OrderLine]] = relationship(lazy="raise", order_by="OrderLine.id")

    @property
    def tax_inr_paise(self) -> int:
        return self.cgst_inr_paise + self.sgst_inr_paise + self.igst_inr_paise


class OrderLine(Base):
    """A listing as it was sold: title, unit, HSN, GST rate and price are copied, not joined."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(String(16))
    hsn_code: Mapped[str] = mapped_column(String(8), default="")
    gst_rate_bp: Mapped[int]
    quantity: Mapped[int]
    list_unit_price_paise: Mapped[int] = mapped_column(BigInteger)  # before the tier discount
    unit_price_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive, tier applied
    total_paise: Mapped[int] = mapped_column(BigInteger)
    taxable_paise: Mapped[int] = mapped_column(BigInteger)
    tax_paise: Mapped[int] = mapped_column(BigInteger)
    agreement: Mapped[str] = mapped_column(String(80), default="")  # the agreed price's source


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    CONSUMED = "consumed"  # the order was paid
    RELEASED = "released"  # payment failed, the reservation expired, or the part was cancelled


class StockReservation(Base):
    """Units taken from a listing's stock (or a made-to-order week's capacity) for an order."""

    __tablename__ = "stock_reservations"
    __table_args__ = (Index("ix_stock_reservations_expiry", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    week_start: Mapped[date | None]  # made to order: the Monday of the capacity week
    status: Mapped[ReservationStatus] = mapped_column(
        str_enum(ReservationStatus, "reservation_status"), default=ReservationStatus.HELD
    )
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WeeklyCapacity(Base):
    """Units of a made-to-order listing promised for one week (capacity is on the listing)."""

    __tablename__ = "weekly_capacity"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(primary_key=True)
    reserved: Mapped[int] = mapped_column(default=0)


class ActorKind(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"
    SYSTEM = "system"  # jobs: payment events, expiry


class OrderPartEvent(Base):
    """One recorded state transition of an order part: who, when, from, to."""

    __tablename__ = "order_part_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[PartState | None] = mapped_column(
        str_enum(PartState, "order_part_event_from")
    )
    to_state: Mapped[PartState] = mapped_column(str_enum(PartState, "order_part_event_to"))
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "order_actor_kind"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceCounter(Base):
    """The last invoice number a seller issued in a financial year (April to March)."""

    __tablename__ = "invoice_counters"

    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    financial_year: Mapped[int] = mapped_column(primary_key=True)  # 2026 = April 2026-March 2027
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(Base):
    """The GST tax invoice of one order part; its number is sequential per seller and year."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("seller_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), unique=True
    )
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    financial_year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
