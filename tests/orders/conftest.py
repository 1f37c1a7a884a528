"""Orders test helpers: two sellers in two States with shipping terms and listings, a buyer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.listings.models import Listing, PriceTier
from app.listings.sale_models import SellerExportRate, SellerShipping
from app.sellers.models import Seller
from tests import factories
from tests.factories import gstin_for

UP_PAN = "AAACF1234K"
RJ_PAN = "AAACJ5678L"
# A delivery address in Uttar Pradesh (the first seller's State).
UP_ADDRESS: dict[str, str | list[str]] = {
    "name": "Asha Verma",
    "phone": "9876543210",
    "line1": "14 Civil Lines",
    "city": "Agra",
    "state": "uttar-pradesh",
    "pin_code": "282002",
    "country": "IN",
    "currency": "INR",
}


@dataclass
class Shop:
    up_owner: User
    up_seller: Seller
    rj_owner: User
    rj_seller: Seller
    glass: Listing  # Firozabad glass, HSN 7013... 6913 (5 % from 22 Sep 2025), UP seller
    quilt: Listing  # Jaipur quilt, HSN 5208 (5 %), Rajasthan seller
    buyer: User


async def seller_with_terms(
    db: AsyncSession, state: str, district: str, pan: str, **shipping: Any
) -> tuple[User, Seller]:
    owner = await factories.user(db)
    place = await factories.district(db, state, district)
    await db.refresh(place, ["state"])
    seller = await factories.seller(
        db,
        in_district=place,
        owner_user_id=owner.id,
        gstin=gstin_for(place.state.lgd_code, pan),
        address=f"1 Market Road, {place.name}",
        pin_code="283203",
    )
    db.add(
        SellerShipping(
            seller_id=seller.id,
            domestic_flat_paise=shipping.get("flat", 8_000),
            free_above_paise=shipping.get("free_above", 500_000),
            dispatch_days=2,
        )
    )
    db.add(SellerExportRate(seller_id=seller.id, zone_code="north-america", rate_paise=250_000))
    await db.flush()
    return owner, seller


async def make_shop(db: AsyncSession) -> Shop:
    up_owner, up_seller = await seller_with_terms(db, "uttar-pradesh", "firozabad", UP_PAN)
    rj_owner, rj_seller = await seller_with_terms(db, "rajasthan", "jaipur", RJ_PAN)
    glass = await factories.listing(
        db,
        up_seller,
        title="Firozabad glass bangles",
        title_hi="फ़िरोज़ाबाद की चूड़ियाँ",
        price_paise=105_000,
        stock=50,
        moq=2,
        hsn_code="6913",
        unit_code="dozen",
        export_ready=True,
    )
    db.add(PriceTier(listing_id=glass.id, min_quantity=10, price_paise=95_000))
    quilt = await factories.listing(
        db,
        rj_seller,
        title="Jaipuri razai quilt",
        title_hi="जयपुरी रज़ाई",
        price_paise=250_000,
        stock=20,
        hsn_code="5208",
        unit_code="piece",
        export_ready=True,
    )
    buyer = await factories.user(db, language="en")
    await db.flush()
    return Shop(up_owner, up_seller, rj_owner, rj_seller, glass, quilt, buyer)
