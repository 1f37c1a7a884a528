"""Statements per page are constant: the same with one listing as with many (no N+1)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.catalog.cache import TtlCache
from app.listings.models import ListingImage, PriceTier
from tests import factories
from tests.catalog.conftest import claim, gi_tag
from tests.helpers import recorded_statements

URLS = [
    "/",
    "/states/uttar-pradesh",
    "/states/uttar-pradesh/firozabad",
    "/states/uttar-pradesh/firozabad?sort=price_asc&export_ready=1&min_price=1",
    "/gi/firozabad-glass",
    "/categories/pottery-glass",
    "/products/listing-0",
    "/api/v1/states",
    "/api/v1/listings",
    "/api/v1/listings?gi=firozabad-glass&sort=price_desc",
    "/api/v1/listings/listing-0",
]


async def add_listings(db: AsyncSession, first: int, n: int) -> None:
    gi = await gi_tag(db)
    for i in range(first, first + n):
        owner = await factories.seller(db)  # one seller each: the worst case for joins
        await claim(db, owner, gi)
        listing = await factories.listing(
            db, owner, slug=f"listing-{i}", gi_tag_id=gi.id, export_ready=True
        )
        db.add(
            ListingImage(
                listing_id=listing.id, storage_key="a.jpg", thumb_key="a-t.jpg", width=8, height=6
            )
        )
        db.add(PriceTier(listing_id=listing.id, min_quantity=10, price_paise=1000))
    await db.commit()


async def statements_per_url(
    client: httpx.AsyncClient, engine: AsyncEngine, cache: TtlCache
) -> dict[str, int]:
    cache.clear()
    counts = {}
    for url in URLS:
        with recorded_statements(engine) as statements:
            response = await client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        counts[url] = len(statements)
    return counts


async def test_statements_do_not_grow_with_listings(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine, app: FastAPI
) -> None:
    cache: TtlCache = app.state.catalog_cache
    await add_listings(db, 0, 1)
    with_one = await statements_per_url(client, engine, cache)
    await add_listings(db, 1, 6)
    assert await statements_per_url(client, engine, cache) == with_one
    # The home page (13, cached for ODOP_CATALOG_CACHE_SECONDS: one of them finds the photos of
    # the featured districts' products) and the first district page (15: it fills the reference
    # snapshot, six small selects, for every later page) are the most.
    assert max(with_one.values()) <= 15, with_one


async def test_home_counts_come_from_the_cache(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await client.get("/")
    with recorded_statements(engine) as statements:
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/states/uttar-pradesh")).status_code == 200
    assert not any("count(" in s.lower() for s in statements), statements
