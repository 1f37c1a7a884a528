from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo_data
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


class _Stop(Exception):
    pass


@pytest.mark.parametrize("commit_batches", [True, False])
async def test_a_stopped_seed_keeps_its_committed_batches_and_goes_on_from_there(
    db: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commit_batches: bool
) -> None:
    """``odop seed demo`` commits batch by batch: a million listings are never one transaction,
    and a run stopped part-way keeps what it wrote; a second run completes it."""
    monkeypatch.setattr(demo_data, "BATCH", 400)
    storage = LocalStorage(tmp_path)
    seen: list[tuple[int, int]] = []

    def stop_after_two_batches(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 800:
            raise _Stop

    with pytest.raises(_Stop):
        await seed_demo(
            db,
            storage,
            listings=1500,
            progress=stop_after_two_batches,
            commit_batches=commit_batches,
        )
    assert seen == [(400, 1500), (800, 1500)]
    await db.rollback()
    demo_listings = select(func.count()).select_from(Listing).where(Listing.is_demo)
    assert await db.scalar(demo_listings) == (800 if commit_batches else 0)

    report = await seed_demo(db, storage, listings=1500, commit_batches=commit_batches)
    assert report.listings == (700 if commit_batches else 1500)
    if commit_batches:
        assert report.sellers == 0  # kept from the stopped run
    assert await db.scalar(demo_listings) == 1500
    slugs = select(func.count(func.distinct(Listing.slug))).where(Listing.is_demo)
    assert await db.scalar(slugs) == 1500
