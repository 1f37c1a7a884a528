"""A buying organisation (buyer, consignee, a member without the buyer role), another
organisation's buyer, and three verified sellers of Firozabad glass with shipping terms who
compete on landed price, plus a seller of something else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import utcnow
from app.listings.models import Listing, PriceTier
from app.listings.sale_models import SellerShipping
from app.procurement.organisations.models import (
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)
from app.reference.models import OdopProduct
from app.sellers.models import Seller
from tests import factories
from tests.factories import gstin_for

PANS = ("AAACF1234K", "AAACG2345L", "AAACH3456M", "AAACJ4567N")


@dataclass
class Buying:
    organisation: Organisation
    buyer: User
    consignee: User
    payer: User  # a member without the buyer role
    address: DeliveryAddress
    other_buyer: User  # a buyer of another organisation
    owners: list[User]  # the three competing sellers' owners
    sellers: list[Seller]
    listings: list[Listing]  # one each, Firozabad glass
    outsider_owner: User  # a verified seller of something else
    outsider: Seller
    product: OdopProduct

    def delivery_by(self, days: int = 30) -> date:
        return utcnow().date() + timedelta(days=days)


async def _organisation(db: AsyncSession, name: str) -> Organisation:
    organisation = Organisation(
        name=name, kind=OrgKind.DEPARTMENT, is_government=True, verified_at=utcnow()
    )
    db.add(organisation)
    await db.flush()
    return organisation


async def _member(db: AsyncSession, organisation: Organisation, user: User, role: Role) -> None:
    db.add(Membership(organisation_id=organisation.id, user_id=user.id, role=role))
    await db.flush()


async def make_buying(
    db: AsyncSession, prices: tuple[int, int, int] = (100_000, 98_000, 110_000)
) -> Buying:
    """Prices are each seller's base price; the second charges more shipping, so the first is L1
    for 10 units (100000*10 + 0 < 98000*10 + 40000)."""
    organisation = await _organisation(db, "Department of Handicrafts (test)")
    buyer, consignee, payer = [await factories.user(db) for _ in range(3)]
    await _member(db, organisation, buyer, Role.BUYER)
    await _member(db, organisation, consignee, Role.CONSIGNEE)
    await _member(db, organisation, payer, Role.PAYING_AUTHORITY)
    agra = await factories.district(db, "uttar-pradesh", "agra")
    address = DeliveryAddress(
        organisation_id=organisation.id,
        consignee_user_id=consignee.id,
        label="Stores",
        line1="1 Collectorate Road",
        city="Agra",
        district_id=agra.id,
        state_id=agra.state_id,
        pin="282001",
    )
    db.add(address)
    other = await _organisation(db, "Another Ministry (test)")
    other_buyer = await factories.user(db)
    await _member(db, other, other_buyer, Role.BUYER)

    firozabad = await factories.district(db, "uttar-pradesh", "firozabad")
    await db.refresh(firozabad, ["state"])
    product = await db.scalar(
        select(OdopProduct).where(OdopProduct.district_id == firozabad.id).limit(1)
    )
    assert product is not None
    owners, sellers, listings = [], [], []
    shipping = (0, 40_000, 0)
    for n, (price, flat) in enumerate(zip(prices, shipping, strict=True)):
        owner = await factories.user(db)
        seller = await factories.seller(
            db,
            in_district=firozabad,
            owner_user_id=owner.id,
            display_name=f"Glassworks {n + 1}",
            gstin=gstin_for(firozabad.state.lgd_code, PANS[n]),
        )
        db.add(SellerShipping(seller_id=seller.id, domestic_flat_paise=flat, dispatch_days=2))
        listing = await factories.listing(
            db,
            seller,
            title=f"Glass vase {n + 1}",
            price_paise=price,
            stock=500,
            hsn_code="7013",
            odop_product_id=product.id,
        )
        db.add(PriceTier(listing_id=listing.id, min_quantity=100, price_paise=price - 5_000))
        owners.append(owner)
        sellers.append(seller)
        listings.append(listing)
    outsider_owner = await factories.user(db)
    jaipur = await factories.district(db, "rajasthan", "jaipur")
    outsider = await factories.seller(db, in_district=jaipur, owner_user_id=outsider_owner.id)
    await factories.listing(db, outsider, title="Quilt", price_paise=50_000)
    await db.flush()
    return Buying(
        organisation,
        buyer,
        consignee,
        payer,
        address,
        other_buyer,
        owners,
        sellers,
        listings,
        outsider_owner,
        outsider,
        product,
    )
