"""A buyer organisation's requirement, the L1 comparisons shown for it and sealed bids against
it.

A bid's price, lead time and validity are kept only as ciphertext until the bid closes
(``sealed``); opening the bids decrypts them into the plain columns. Before closing there is
nothing in the database a query, page or API could leak.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts import models as _account_models  # noqa: F401 - buyers are users
from app.db import Base, TimestampMixin, str_enum
from app.listings import models as _listing_models  # noqa: F401 - offers are listings
from app.procurement.organisations import models as _organisation_models  # noqa: F401
from app.procurement.purchase_orders import models as _po_models  # noqa: F401
from app.sellers import models as _seller_models  # noqa: F401 - bids are by sellers


class BuyingMethod(enum.StrEnum):
    L1 = "l1"
    BID = "bid"


class RequirementStatus(enum.StrEnum):
    OPEN = "open"  # L1: comparing; bid: published, quotes accepted until closes_at
    ORDERED = "ordered"  # L1: the purchase order is raised
    AWARDED = "awarded"  # bid: awarded, one purchase order per seller
    CANCELLED = "cancelled"


class Requirement(TimestampMixin, Base):
    """What a buyer of an organisation needs: the demand an L1 comparison or a bid answers."""

    __tablename__ = "procurement_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    method: Mapped[BuyingMethod] = mapped_column(str_enum(BuyingMethod, "buying_method"))
    status: Mapped[RequirementStatus] = mapped_column(
        str_enum(RequirementStatus, "requirement_status"), default=RequirementStatus.OPEN
    )
    title: Mapped[str] = mapped_column(String(200))
    odop_product_id: Mapped[int | None] = mapped_column(ForeignKey("odop_products.id"))
    gi_tag_id: Mapped[int | None] = mapped_column(ForeignKey("gi_tags.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    # Only sellers of this district are eligible, when set.
    seller_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    specifications: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int]
    delivery_address_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_addresses.id", ondelete="RESTRICT")
    )
    delivery_district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    delivery_by: Mapped[date]
    # Bids only.
    closes_at: Mapped[datetime | None]
    sample_required: Mapped[bool] = mapped_column(default=False)
    sample_details: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime | None]  # when the sealed bids were decrypted
    justification: Mapped[str | None] = mapped_column(Text)  # choosing other than L1
    decided_at: Mapped[datetime | None]


class Comparison(Base):
    """An L1 comparison as it was shown: the offers, ranked, with every amount the buyer saw.

    The order is placed against a shown comparison, so the sheet saved with the purchase order
    is exactly what the buyer compared."""

    __tablename__ = "procurement_comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("procurement_requirements.id", ondelete="CASCADE"), index=True
    )
    shown_to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    shown_at: Mapped[datetime]
    # [{rank, listing_id, seller_id, seller, title, unit, unit_price_paise, goods_paise,
    #   shipping_paise, tax_paise, landed_paise, lead_time_days}], L1 first.
    offers: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    chosen_listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    sheet_csv_key: Mapped[str | None] = mapped_column(String(255))
    sheet_pdf_key: Mapped[str | None] = mapped_column(String(255))


class Bid(TimestampMixin, Base):
    """A seller's sealed quote against a bid; one per seller, revisable until closing."""

    __tablename__ = "procurement_bids"
    __table_args__ = (UniqueConstraint("requirement_id", "seller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("procurement_requirements.id", ondelete="CASCADE"), index=True
    )
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="RESTRICT"))
    revision: Mapped[int] = mapped_column(default=1)
    # AES-GCM ciphertext of {unit_price_paise, quantity, lead_time_days, valid_until}.
    sealed: Mapped[str] = mapped_column(Text)
    # Filled when the bids are opened, after closing.
    unit_price_paise: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[int | None]  # how many the seller can supply
    lead_time_days: Mapped[int | None]
    valid_until: Mapped[date | None]
    awarded_quantity: Mapped[int | None]
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
