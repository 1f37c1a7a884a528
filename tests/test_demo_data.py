from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo_data import seed_demo
from app.listings.models import Listing, ListingImage
from app.reference.models import OdopProduct
from app.sellers.models import Seller, SellerStatus
from app.storage import LocalStorage


async def test_every_odop_product_gets_a_demo_listing_and_a_second_run_adds_nothing(
    db: AsyncSession, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    report = await seed_demo(db, storage, listings=1200)
    products = await db.scalar(select(func.count()).select_from(OdopProduct))
    assert report.listings == 1200
    covered = await db.scalar(select(func.count(func.distinct(Listing.odop_product_id))))
    assert covered == products
    sellers = (await db.scalars(select(Seller))).all()
    assert sellers and all(s.is_demo and s.status == SellerStatus.VERIFIED for s in sellers)
    assert all("(demo)" in s.legal_name for s in sellers)
    assert len({s.seller_type for s in sellers}) == 5
    listing = await db.scalar(select(Listing).limit(1))
    assert listing is not None and listing.price_paise > 0 and listing.is_demo
    image = await db.scalar(select(ListingImage).where(ListingImage.listing_id == listing.id))
    assert image is not None and storage.read(image.thumb_key)[:3] == b"\xff\xd8\xff"  # JPEG

    again = await seed_demo(db, storage, listings=1200)
    assert (again.listings, again.sellers, again.images) == (0, 0, 0)
