"""Purchase orders to one seller each: frozen lines and address, deliveries, the seller's GST
invoice, payment, and incidents (late delivery, overdue payment)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, str_enum, utcnow
from app.listings import models as _listing_models  # noqa: F401 - lines refer to listings
from app.procurement.organisations import models as _organisation_models  # noqa: F401
from app.sellers import models as _seller_models  # noqa: F401 - a PO is to one seller


class POState(enum.StrEnum):
    ISSUED = "issued"  # waiting for the seller
    ACCEPTED = "accepted"  # the seller accepted the order
    DECLINED = "declined"  # the seller declined (with a reason)
    PARTLY_DELIVERED = "partly_delivered"
    DELIVERED = "delivered"  # every ordered unit delivered
    RECEIVED = "received"  # provisionally received by the consignee
    GOODS_ACCEPTED = "goods_accepted"  # final acceptance by the consignee
    GOODS_REJECTED = "goods_rejected"  # rejected by the consignee (with a reason)
    INVOICED = "invoiced"  # the seller's GST invoice is issued
    PAID = "paid"  # the paying authority recorded the payment
    CANCELLED = "cancelled"  # by the buyer before the seller accepted


class PurchaseOrder(TimestampMixin, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        Index("ix_purchase_orders_seller_state", "seller_id", "state", "id"),
        UniqueConstraint("seller_id", "invoice_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "PO-" + 10 random base32
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    consignee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delivery_address_id: Mapped[int] = mapped_column(ForeignKey("delivery_addresses.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    mode: Mapped[str] = mapped_column(String(8))  # app.procurement.rules.BuyingMode
    source: Mapped[str] = mapped_column(String(40))  # "listing", "l1_comparison", "bid", ...
    source_id: Mapped[int | None]
    justification: Mapped[str | None] = mapped_column(Text)
    state: Mapped[POState] = mapped_column(
        str_enum(POState, "purchase_order_state"), default=POState.ISSUED, index=True
    )
    terms: Mapped[str] = mapped_column(Text, default="")
    # The delivery address and both parties' tax facts as they were when the PO was issued.
    ship_to: Mapped[str] = mapped_column(Text)
    ship_district: Mapped[str] = mapped_column(String(120))
    ship_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # the place of supply
    ship_pin: Mapped[str] = mapped_column(String(6))
    buyer_gstin: Mapped[str | None] = mapped_column(String(15))
    seller_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    seller_gstin: Mapped[str | None] = mapped_column(String(15))
    goods_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    shipping_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    taxable_paise: Mapped[int] = mapped_column(BigInteger)
    cgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_paise: Mapped[int] = mapped_column(BigInteger)
    delivery_by: Mapped[date]
    accept_by: Mapped[date]  # the seller accepts or declines by this day
    seller_answered_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    received_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acceptance_due: Mapped[date | None]  # final acceptance or rejection by this day
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    invoice_number: Mapped[str | None] = mapped_column(String(16))
    invoice_financial_year: Mapped[int | None]
    invoice_sequence: Mapped[int | None]
    invoiced_at: Mapped[datetime | None]
    payment_due: Mapped[date | None]
    payment_reference: Mapped[str] = mapped_column(String(80), default="")
    paid_on: Mapped[date | None]
    paid_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        lazy="raise", order_by="PurchaseOrderLine.id"
    )

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise

    @property
    def intra_state(self) -> bool:
        return self.ship_state_id == self.seller_state_id


class PurchaseOrderLine(Base):
    """A listing as ordered: title, unit, HSN, GST rate and price are copied, not joined."""

    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
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
    unit_price_paise: Mapped[int] = mapped_column(BigInteger)  # GST-inclusive
    total_paise: Mapped[int] = mapped_column(BigInteger)
    taxable_paise: Mapped[int] = mapped_column(BigInteger)
    tax_paise: Mapped[int] = mapped_column(BigInteger)
    delivered_quantity: Mapped[int] = mapped_column(default=0)


class Delivery(Base):
    """One consignment the seller delivered against a PO (partial deliveries allowed)."""

    __tablename__ = "purchase_order_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    delivered_on: Mapped[date]
    challan: Mapped[str] = mapped_column(String(80), default="")  # delivery note / tracking
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[DeliveryLine]] = relationship(lazy="raise", order_by="DeliveryLine.id")


class DeliveryLine(Base):
    __tablename__ = "purchase_order_delivery_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order_deliveries.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"))
    quantity: Mapped[int]


class IncidentKind(enum.StrEnum):
    LATE_ACCEPTANCE = "late_acceptance"  # the seller did not answer by accept_by
    LATE_DELIVERY = "late_delivery"  # not fully delivered by delivery_by
    LATE_DECISION = "late_decision"  # goods neither accepted nor rejected by acceptance_due
    OVERDUE_PAYMENT = "overdue_payment"  # not paid by payment_due


class Incident(Base):
    """A missed deadline on a PO, raised by the deadline job; one per PO and kind."""

    __tablename__ = "purchase_order_incidents"
    __table_args__ = (UniqueConstraint("purchase_order_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, "po_incident_kind"))
    due_on: Mapped[date]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class SplitEvent(Base):
    """Direct purchases of one item by one organisation within the window whose sum crosses the
    direct-purchase limit: the buyer was warned and went on. Admins see these."""

    __tablename__ = "procurement_split_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"))
    odop_product_id: Mapped[int | None] = mapped_column(ForeignKey("odop_products.id"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    earlier_order_ids: Mapped[list[int]] = mapped_column(JSON)
    earlier_total_paise: Mapped[int] = mapped_column(BigInteger)
    this_total_paise: Mapped[int] = mapped_column(BigInteger)
    limit_paise: Mapped[int] = mapped_column(BigInteger)
    window_days: Mapped[int]
    created_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")
