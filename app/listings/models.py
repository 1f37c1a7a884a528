"""The listing: a seller's product offer, its photos and its bulk price tiers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from app.db import Base, TimestampMixin, str_enum
from app.listings import sale_models as _sale_models  # noqa: F401 - listings refer to units
from app.reference.models import Category, District, GiTag, OdopProduct, State

if TYPE_CHECKING:
    from app.sellers.models import Seller


# The codes of the sale_units table (migration 0701), offered in this order on the listing form.
UNITS = ("piece", "pair", "set", "pack", "kg", "g", "litre", "metre", "dozen")


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class Listing(TimestampMixin, Base):
    """A seller's product offer. Prices are integer paise (INR minor units)."""

    __tablename__ = "listings"
    # Public listing pages filter by one scope and the status, then order by a sort key and id
    # (keyset pagination): one index per (scope, sort key) keeps every page a range scan.
    __table_args__ = (
        *(
            Index(f"ix_listings_pub_{name}_{sort}", *scope, "status", key, "id")
            for name, scope in (
                ("all", ()),
                ("state", ("state_id",)),
                ("district", ("district_id",)),
                ("gi", ("gi_tag_id",)),
                ("category", ("category_id",)),
            )
            for sort, key in (("newest", "published_at"), ("price", "price_paise"))
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_hi: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ListingStatus] = mapped_column(
        str_enum(ListingStatus, "listing_status"), default=ListingStatus.DRAFT
    )
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    odop_product_id: Mapped[int | None] = mapped_column(ForeignKey("odop_products.id"), index=True)
    gi_tag_id: Mapped[int | None] = mapped_column(ForeignKey("gi_tags.id"), index=True)
    price_paise: Mapped[int] = mapped_column(BigInteger)
    # Price, MOQ, tiers and stock are counted in this unit of sale (piece, pair, kg ...).
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("sale_units.code"), default="piece", server_default="piece"
    )
    moq: Mapped[int] = mapped_column(default=1)
    unit: Mapped[str] = synonym("unit_code")  # the field list's name for it
    stock: Mapped[int] = mapped_column(default=0)
    made_to_order: Mapped[bool] = mapped_column(default=False)
    # Made-to-order: how many units the seller can make per week (None: no limit).
    weekly_capacity: Mapped[int | None]
    lead_time_days: Mapped[int] = mapped_column(default=3)
    sku: Mapped[str | None] = mapped_column(String(64))
    hsn_code: Mapped[str | None] = mapped_column(String(8))
    # The seller's declared rate, used only when no row of gst_rates matches the HSN or category.
    gst_rate_bp: Mapped[int] = mapped_column(default=0)
    weight_grams: Mapped[int | None]
    dimensions_mm: Mapped[str | None] = mapped_column(String(40))
    export_ready: Mapped[bool] = mapped_column(default=False, index=True)
    hs_code: Mapped[str | None] = mapped_column(String(12))
    ships_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    # The collective's member (artisan) who made it, when a collective attributes a listing.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_members.id", ondelete="SET NULL"), index=True
    )

    seller: Mapped[Seller] = relationship(lazy="raise")
    state: Mapped[State] = relationship(lazy="raise")
    district: Mapped[District] = relationship(lazy="raise")
    category: Mapped[Category | None] = relationship(lazy="raise")
    odop_product: Mapped[OdopProduct | None] = relationship(lazy="raise")
    gi_tag: Mapped[GiTag | None] = relationship(lazy="raise")
    images: Mapped[list[ListingImage]] = relationship(
        lazy="raise", order_by="ListingImage.position", cascade="all, delete-orphan"
    )
    price_tiers: Mapped[list[PriceTier]] = relationship(
        lazy="raise", order_by="PriceTier.min_quantity", cascade="all, delete-orphan"
    )

    @property
    def in_stock(self) -> bool:
        return self.made_to_order or self.stock >= self.moq


class ListingImage(Base):
    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str] = mapped_column(String(255))
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[str] = mapped_column(String(255), default="")


class PriceTier(Base):
    """Unit price from ``min_quantity`` upward (bulk pricing)."""

    __tablename__ = "price_tiers"
    __table_args__ = (UniqueConstraint("listing_id", "min_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    min_quantity: Mapped[int]
    price_paise: Mapped[int] = mapped_column(BigInteger)
