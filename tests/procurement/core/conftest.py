"""Procurement core test helpers: a verified government organisation with members in every role
and a delivery address in Uttar Pradesh, and the orders tests' two sellers with listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import utcnow
from app.procurement.organisations.models import (
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)
from tests import factories
from tests.orders.conftest import Shop, make_shop


@dataclass
class Office:
    organisation: Organisation
    admin: User
    buyer: User
    consignee: User
    payer: User
    address: DeliveryAddress
    shop: Shop


async def make_organisation(
    db: AsyncSession, *, verified: bool = True, kind: OrgKind = OrgKind.DEPARTMENT
) -> Organisation:
    org = Organisation(
        name="Department of Handlooms, Uttar Pradesh",
        kind=kind,
        is_government=kind != OrgKind.COMPANY,
        verified_at=utcnow() if verified else None,
    )
    db.add(org)
    await db.flush()
    return org


async def add_roles(db: AsyncSession, org: Organisation, user: User, *roles: Role) -> None:
    for role in roles:
        db.add(Membership(organisation_id=org.id, user_id=user.id, role=role))
    await db.flush()


async def make_office(db: AsyncSession, *, verified: bool = True) -> Office:
    shop = await make_shop(db)
    org = await make_organisation(db, verified=verified)
    admin = await factories.user(db, display_name="Org Admin")
    buyer = await factories.user(db, display_name="Buyer Officer")
    consignee = await factories.user(db, display_name="Store Keeper", language="hi")
    payer = await factories.user(db, display_name="Drawing Officer")
    await add_roles(db, org, admin, Role.ORG_ADMIN)
    await add_roles(db, org, buyer, Role.BUYER)
    await add_roles(db, org, consignee, Role.CONSIGNEE)
    await add_roles(db, org, payer, Role.PAYING_AUTHORITY)
    agra = await factories.district(db, "uttar-pradesh", "agra")
    address = DeliveryAddress(
        organisation_id=org.id,
        consignee_user_id=consignee.id,
        label="Central store",
        line1="Vikas Bhawan, Civil Lines",
        city="Agra",
        district_id=agra.id,
        state_id=agra.state_id,
        pin="282002",
    )
    db.add(address)
    await db.flush()
    return Office(org, admin, buyer, consignee, payer, address, shop)


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)
