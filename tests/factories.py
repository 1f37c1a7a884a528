"""Factories: build valid objects with sensible defaults; override what a test cares about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import District, Listing, ListingStatus, OdopProduct, State
from app.db import utcnow
from app.sellers.models import Seller, SellerStatus, SellerType

_counter = itertools.count(1)


async def district(
    session: AsyncSession, state_slug: str = "uttar-pradesh", slug: str = "firozabad"
) -> District:
    found = await session.scalar(
        select(District).join(State).where(State.slug == state_slug, District.slug == slug)
    )
    assert found is not None, f"reference district {state_slug}/{slug} missing"
    return found


async def seller(
    session: AsyncSession, *, in_district: District | None = None, **overrides: Any
) -> Seller:
    place = in_district or await district(session)
    n = next(_counter)
    values: dict[str, Any] = {
        "slug": f"test-seller-{n}",
        "legal_name": f"Test Seller {n} Pvt Ltd",
        "display_name": f"Test Seller {n}",
        "seller_type": SellerType.ARTISAN,
        "status": SellerStatus.VERIFIED,
        "state_id": place.state_id,
        "district_id": place.id,
        "verified_at": utcnow(),
    }
    values.update(overrides)
    obj = Seller(**values)
    session.add(obj)
    await session.flush()
    return obj


async def listing(session: AsyncSession, owner: Seller, **overrides: Any) -> Listing:
    n = next(_counter)
    product = await session.scalar(
        select(OdopProduct).where(OdopProduct.district_id == owner.district_id).limit(1)
    )
    values: dict[str, Any] = {
        "seller_id": owner.id,
        "slug": f"test-listing-{n}",
        "title": f"Test listing {n}",
        "description": "A listing made by the test factory.",
        "status": ListingStatus.PUBLISHED,
        "state_id": owner.state_id,
        "district_id": owner.district_id,
        "odop_product_id": product.id if product else None,
        "category_id": product.category_id if product else None,
        "price_paise": 150_000,
        "stock": 10,
        "published_at": utcnow(),
    }
    values.update(overrides)
    obj = Listing(**values)
    session.add(obj)
    await session.flush()
    return obj
