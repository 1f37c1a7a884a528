"""Sellers (artisans, SHGs, FPOs, cooperatives, MSMEs) and their GI authorisation claims."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, str_enum

if TYPE_CHECKING:
    from app.catalog.models import District, GiTag, State


class SellerType(enum.StrEnum):
    ARTISAN = "artisan"
    SHG = "shg"
    FPO = "fpo"
    COOPERATIVE = "cooperative"
    MSME = "msme"


class SellerStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Seller(TimestampMixin, Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(140))
    seller_type: Mapped[SellerType] = mapped_column(str_enum(SellerType, "seller_type"))
    status: Mapped[SellerStatus] = mapped_column(
        str_enum(SellerStatus, "seller_status"), default=SellerStatus.DRAFT, index=True
    )
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    export_ready: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[datetime | None]

    state: Mapped[State] = relationship(lazy="raise")
    district: Mapped[District] = relationship(lazy="raise")

    @property
    def is_verified(self) -> bool:
        return self.status == SellerStatus.VERIFIED


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"


class SellerGiClaim(TimestampMixin, Base):
    """A seller's claim to be a registered authorised user of a GI; an admin verifies it."""

    __tablename__ = "seller_gi_claims"
    __table_args__ = (UniqueConstraint("seller_id", "gi_tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    gi_tag_id: Mapped[int] = mapped_column(ForeignKey("gi_tags.id"), index=True)
    authorised_user_number: Mapped[str] = mapped_column(String(80))
    status: Mapped[ClaimStatus] = mapped_column(
        str_enum(ClaimStatus, "gi_claim_status"), default=ClaimStatus.SUBMITTED
    )
    verified_at: Mapped[datetime | None]

    gi_tag: Mapped[GiTag] = relationship(lazy="raise")
