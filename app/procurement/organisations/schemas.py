"""Bodies and answers of the organisations part of the procurement API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.inputs import MAX_BIGINT, Id
from app.procurement.organisations.models import Organisation


class OrganisationIn(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    kind: str = Field(
        description="ministry, department, psu, state_agency or company", max_length=20
    )
    gstin: str = Field(default="", max_length=15)
    state_id: Id | None = None


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: str
    is_government: bool
    gstin: str | None
    verified_at: datetime | None
    can_issue_orders: bool
    your_roles: list[str]

    @classmethod
    def of(cls, org: Organisation, roles: list[str]) -> OrganisationOut:
        return cls(
            id=org.id,
            name=org.name,
            kind=org.kind.value,
            is_government=org.is_government,
            gstin=org.gstin,
            verified_at=org.verified_at,
            can_issue_orders=org.can_issue_orders,
            your_roles=roles,
        )


class MemberIn(BaseModel):
    email: str = Field(max_length=254)
    roles: list[str] = Field(min_length=1, max_length=4)
    approval_limit_paise: int | None = Field(default=None, ge=0, le=MAX_BIGINT)


class AddressIn(BaseModel):
    consignee_user_id: Id
    line1: str = Field(max_length=200)
    city: str = Field(max_length=120)
    district_id: Id
    pin: str = Field(max_length=6)
    line2: str = Field(default="", max_length=200)
    label: str = Field(default="", max_length=120)
