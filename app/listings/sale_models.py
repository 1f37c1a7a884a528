"""What a listing needs before it can be sold: units of sale, GST rates over time, shipping.

Units, GST rates and shipping zones are data (seeded by migration 0701, editable by an admin),
not constants: GST slabs change by notification, and a rate applies from its effective date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin


class SaleUnit(Base):
    """A unit of sale (piece, pair, kg ...); prices, MOQ and tiers of a listing are in it."""

    __tablename__ = "sale_units"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    name_hi: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)


class GstRate(Base):
    """A GST rate for goods whose HSN code starts with ``hsn_prefix`` (or, when no prefix
    matches, for a category), from ``effective_from`` until the day before ``effective_to``.

    The longest matching HSN prefix wins; among its rows the latest one already in effect.
    """

    __tablename__ = "gst_rates"
    __table_args__ = (Index("ix_gst_rates_lookup", "hsn_prefix", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hsn_prefix: Mapped[str | None] = mapped_column(String(8))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    rate_bp: Mapped[int]  # basis points: 500 = 5 %, 25 = 0.25 %
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    description: Mapped[str] = mapped_column(String(200), default="")


class ShippingZone(Base):
    """An export destination zone; each country belongs to at most one zone."""

    __tablename__ = "shipping_zones"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_hi: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)


class ShippingZoneCountry(Base):
    __tablename__ = "shipping_zone_countries"

    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    zone_code: Mapped[str] = mapped_column(
        ForeignKey("shipping_zones.code", ondelete="CASCADE"), index=True
    )


class SellerShipping(TimestampMixin, Base):
    """A seller's shipping terms: one charge per order part (the seller's share of an order)."""

    __tablename__ = "seller_shipping"

    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    domestic_flat_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    # Domestic shipping is free when the part's goods reach this amount (None: never free).
    free_above_paise: Mapped[int | None] = mapped_column(BigInteger)
    dispatch_days: Mapped[int] = mapped_column(default=2)


class SellerExportRate(Base):
    """What the seller charges to ship one order part to a zone (absent: does not ship there)."""

    __tablename__ = "seller_export_rates"

    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    zone_code: Mapped[str] = mapped_column(
        ForeignKey("shipping_zones.code", ondelete="CASCADE"), primary_key=True
    )
    rate_paise: Mapped[int] = mapped_column(BigInteger)
