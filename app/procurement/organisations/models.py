"""Buyer organisations, memberships (one row per role a person holds) and delivery addresses."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts import models as _account_models  # noqa: F401 - members are users
from app.db import Base, str_enum, utcnow
from app.reference import models as _reference_models  # noqa: F401 - addresses refer to districts


class OrgKind(enum.StrEnum):
    MINISTRY = "ministry"
    DEPARTMENT = "department"
    PSU = "psu"
    STATE_AGENCY = "state_agency"
    COMPANY = "company"


GOVERNMENT_KINDS = frozenset(
    {OrgKind.MINISTRY, OrgKind.DEPARTMENT, OrgKind.PSU, OrgKind.STATE_AGENCY}
)


class Role(enum.StrEnum):
    BUYER = "buyer"  # raises demands and purchase orders
    CONSIGNEE = "consignee"  # receives goods at a delivery address
    PAYING_AUTHORITY = "paying_authority"  # records payment
    ORG_ADMIN = "org_admin"  # members, addresses, approval limits, audit exports


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "organisation_kind"))
    is_government: Mapped[bool] = mapped_column(default=False)
    gstin: Mapped[str | None] = mapped_column(String(15))
    # The State of the organisation's registered office (its GSTIN's State when it has one).
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A platform admin verifies a government organisation before it may issue purchase orders.
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def can_issue_orders(self) -> bool:
        return not self.is_government or self.verified_at is not None


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "membership_role"))
    # A buyer's approval limit: the largest PO total (paise) they may raise; None = no own limit.
    approval_limit_paise: Mapped[int | None] = mapped_column(BigInteger)
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAddress(Base):
    """Where a consignee receives goods: an Indian address with a district from reference data."""

    __tablename__ = "delivery_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    consignee_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    pin: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
