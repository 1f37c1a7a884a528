"""Sellers (artisans, SHGs, FPOs, cooperatives, MSMEs) and their GI authorisation claims."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from app.accounts import models as _account_models  # noqa: F401 - owner_user_id needs users
from app.db import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from app.reference.models import District, GiTag, State


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
    # The account that onboarded the seller (demo sellers have none).
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    address: Mapped[str] = mapped_column(Text, default="")
    pin_code: Mapped[str] = mapped_column(String(6), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    pan: Mapped[str | None] = mapped_column(String(10))
    gstin: Mapped[str | None] = mapped_column(String(15))
    udyam_number: Mapped[str | None] = mapped_column(String(19))
    cin: Mapped[str | None] = mapped_column(String(21))
    nrlm_shg_id: Mapped[str | None] = mapped_column(String(20))
    pehchan_card: Mapped[str | None] = mapped_column(String(25))
    bank_account_holder: Mapped[str | None] = mapped_column(String(140))
    bank_ifsc: Mapped[str | None] = mapped_column(String(11))
    # AES-GCM ciphertext (see app/sellers/crypto.py); only the last 4 digits are ever shown.
    bank_account_encrypted: Mapped[str | None] = mapped_column(String(200))
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]

    state: Mapped[State] = relationship(lazy="raise")
    district: Mapped[District] = relationship(lazy="raise")

    @property
    def is_verified(self) -> bool:
        return self.status == SellerStatus.VERIFIED

    @property
    def is_collective(self) -> bool:
        return self.seller_type in COLLECTIVE_TYPES

    @property
    def editable(self) -> bool:
        """The seller may change the onboarding answers (not while an admin reviews them)."""
        return self.status in (
            SellerStatus.DRAFT,
            SellerStatus.CHANGES_REQUESTED,
            SellerStatus.REJECTED,
        )


COLLECTIVE_TYPES = frozenset({SellerType.SHG, SellerType.FPO, SellerType.COOPERATIVE})


class DocumentKind(enum.StrEnum):
    IDENTITY = "identity"
    REGISTRATION = "registration"
    GST = "gst"
    BANK = "bank"
    GI_CERTIFICATE = "gi_certificate"
    OTHER = "other"


class SellerDocument(Base):
    """An uploaded proof, kept in private storage under a server-generated key."""

    __tablename__ = "seller_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, "document_kind"))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    filename: Mapped[str] = mapped_column(String(120))  # for display and download; sanitised
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SellerMember(TimestampMixin, Base):
    """An artisan of a collective (SHG, FPO, cooperative); listings can be attributed to one."""

    __tablename__ = "seller_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(140))
    craft: Mapped[str] = mapped_column(String(140), default="")
    pehchan_card: Mapped[str | None] = mapped_column(String(25))
    phone: Mapped[str] = mapped_column(String(20), default="")
    # The collective chooses whose names its public page shows.
    show_publicly: Mapped[bool] = mapped_column(default=False)


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
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_documents.id", ondelete="SET NULL")
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")

    gi_tag: Mapped[GiTag] = relationship(lazy="raise")
    certificate: Mapped[SellerDocument | None] = relationship(lazy="raise")


class AuditAction(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    GI_APPROVED = "gi_approved"
    GI_REJECTED = "gi_rejected"


class VerificationAudit(Base):
    """Append-only record of every verification decision: who, when, what, why."""

    __tablename__ = "verification_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    gi_claim_id: Mapped[int | None] = mapped_column(ForeignKey("seller_gi_claims.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(VerificationAudit, "before_update")
@event.listens_for(VerificationAudit, "before_delete")
def _refuse_audit_changes(_mapper: Mapper[VerificationAudit], _conn: object, _row: object) -> None:
    raise AppendOnlyError("the verification audit log is append-only")
