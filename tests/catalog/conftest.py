"""Catalog fixtures: a small public catalog in Firozabad (GI: Firozabad Glass) and Goa."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.listings.models import Listing, ListingImage, ListingStatus, PriceTier
from app.reference.models import GiTag
from app.sellers.models import ClaimStatus, Seller, SellerGiClaim, SellerStatus
from tests import factories


async def gi_tag(db: AsyncSession, slug: str = "firozabad-glass") -> GiTag:
    found = await db.scalar(select(GiTag).where(GiTag.slug == slug))
    assert found is not None
    return found


async def claim(
    db: AsyncSession, seller: Seller, gi: GiTag, status: ClaimStatus = ClaimStatus.VERIFIED
) -> None:
    db.add(
        SellerGiClaim(
            seller_id=seller.id,
            gi_tag_id=gi.id,
            authorised_user_number=f"AU-{seller.id}",
            status=status,
            verified_at=utcnow() if status == ClaimStatus.VERIFIED else None,
        )
    )
    await db.flush()


@dataclass
class Catalog:
    glass_verified: Listing  # GI listing by a seller verified for the GI
    glass_unverified: Listing  # GI listing by a seller whose claim is pending
    cashew: Listing  # Goa, export-ready
    hidden: list[Listing]  # draft listing, and one by a suspended seller
    gi: GiTag


@pytest.fixture
async def catalog(db: AsyncSession) -> Catalog:
    gi = await gi_tag(db)
    firozabad = await factories.district(db)
    goa = await factories.district(db, "goa", "north-goa")
    verified = await factories.seller(db, in_district=firozabad, display_name="Kanch Artisans")
    pending = await factories.seller(db, in_district=firozabad, display_name="Glass Pending Co")
    goan = await factories.seller(db, in_district=goa, display_name="Goa Cashew FPO")
    suspended = await factories.seller(db, in_district=firozabad, status=SellerStatus.SUSPENDED)
    await claim(db, verified, gi)
    await claim(db, pending, gi, ClaimStatus.SUBMITTED)
    now = utcnow()
    glass_verified = await factories.listing(
        db,
        verified,
        title="Blue glass bangles",
        slug="blue-glass-bangles",
        gi_tag_id=gi.id,
        price_paise=84_500,
        moq=12,
        stock=500,
        hs_code="701890",
        export_ready=True,
        ships_to=["US", "GB"],
        published_at=now - timedelta(days=2),
    )
    db.add(
        ListingImage(
            listing_id=glass_verified.id,
            storage_key="demo/bangles.jpg",
            thumb_key="demo/bangles-thumb.jpg",
            width=800,
            height=600,
            alt="Blue glass bangles on a tray",
        )
    )
    db.add(PriceTier(listing_id=glass_verified.id, min_quantity=100, price_paise=70_000))
    glass_unverified = await factories.listing(
        db,
        pending,
        title="Glass vase",
        slug="glass-vase",
        gi_tag_id=gi.id,
        price_paise=250_000,
        published_at=now - timedelta(days=1),
    )
    cashew = await factories.listing(
        db,
        goan,
        title="Goan cashews 1 kg",
        slug="goan-cashews",
        price_paise=120_000,
        export_ready=True,
        hs_code="080132",
        published_at=now,
    )
    hidden = [
        await factories.listing(db, verified, title="Draft chandelier", status=ListingStatus.DRAFT),
        await factories.listing(db, suspended, title="Suspended seller lamp"),
    ]
    await db.commit()
    return Catalog(glass_verified, glass_unverified, cashew, hidden, gi)
