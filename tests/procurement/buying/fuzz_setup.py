"""What the form fuzzer (tests/test_form_fuzz.py) needs to find every buying form: the fuzz
site's buyer made a buyer of an organisation, with an L1 requirement (comparison form), an open
bid (the seller's quote form) and a closed bid with a quote (the award form)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.listings.models import Listing
from app.procurement.buying import service
from app.procurement.buying.models import BuyingMethod, Requirement
from app.procurement.organisations.models import (
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)
from app.sellers.models import Seller
from tests import factories


async def buying_pages(
    db: AsyncSession, settings: Settings, buyer: User, owner: User, seller: Seller, listing: Listing
) -> tuple[list[str], list[str]]:
    """(pages of the buyer, pages of the seller) that show every buying form."""
    organisation = Organisation(
        name="Fuzz Department", kind=OrgKind.DEPARTMENT, is_government=True, verified_at=utcnow()
    )
    db.add(organisation)
    await db.flush()
    for role in (Role.BUYER, Role.CONSIGNEE):
        db.add(Membership(organisation_id=organisation.id, user_id=buyer.id, role=role))
    agra = await factories.district(db, "uttar-pradesh", "agra")
    address = DeliveryAddress(
        organisation_id=organisation.id,
        consignee_user_id=buyer.id,
        line1="1 Collectorate Road",
        city="Agra",
        district_id=agra.id,
        state_id=agra.state_id,
        pin="282001",
    )
    db.add(address)
    await db.flush()

    def data(method: BuyingMethod) -> service.RequirementInput:
        return service.RequirementInput(
            organisation_id=organisation.id,
            method=method,
            title="Fuzzed vases",
            quantity=2,
            delivery_address_id=address.id,
            delivery_by=utcnow().date() + timedelta(days=30),
            odop_product_id=listing.odop_product_id,
            category_id=None if listing.odop_product_id else listing.category_id,
            closes_at=utcnow() + timedelta(hours=2) if method == BuyingMethod.BID else None,
        )

    l1 = await service.create_requirement(db, settings, user=buyer, data=data(BuyingMethod.L1))
    open_bid = await service.create_requirement(
        db, settings, user=buyer, data=data(BuyingMethod.BID)
    )
    closed = await service.create_requirement(db, settings, user=buyer, data=data(BuyingMethod.BID))
    await service.submit_bid(
        db,
        settings,
        user=owner,
        seller=seller,
        requirement_id=closed.id,
        data=service.QuoteInput(listing.id, 100_000, 2, 3, utcnow().date() + timedelta(days=60)),
    )
    await db.execute(
        update(Requirement)
        .where(Requirement.id == closed.id)
        .values(closes_at=utcnow() - timedelta(minutes=1))
    )
    buyer_pages = [
        "/procurement/requirements",
        "/procurement/requirements/new",
        f"/procurement/requirements/{l1.id}",
        f"/procurement/requirements/{closed.id}",
    ]
    return buyer_pages, ["/seller/bids", f"/seller/bids/{open_bid.id}"]
