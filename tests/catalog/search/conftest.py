"""Search fixtures: the behavioural suite runs once per available backend.

``database`` runs on SQLite and on PostgreSQL (the root ``database_url`` fixture); a live
``meilisearch`` is added when ODOP_MEILI_URL points at one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import service
from app.config import Settings
from app.listings.models import Listing, ListingStatus
from app.reference.models import GiTag
from app.sellers.models import SellerStatus, SellerType
from tests import factories

MEILI_URL = os.environ.get("ODOP_MEILI_URL", "")


@pytest.fixture(params=["database", "meilisearch"])
def search_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "meilisearch" and not MEILI_URL:
        pytest.skip("ODOP_MEILI_URL is not set")
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, search_backend: str) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
        run_jobs_in_process=False,
        log_json=False,
        log_level="WARNING",
        search_backend=search_backend,
        meili_url=MEILI_URL,
        meili_api_key=os.environ.get("ODOP_MEILI_API_KEY", ""),
        meili_index=f"test_{secrets.token_hex(4)}",
    )


@pytest.fixture(autouse=True)
def fresh_backends() -> Iterator[None]:
    """Each test gets new backend objects (their vocabulary cache must not outlive the test's
    rolled-back transaction)."""
    service._backends.clear()
    service.results_cache.clear()
    service.clear_reference_caches()
    yield
    service._backends.clear()
    service.results_cache.clear()
    service.clear_reference_caches()


@dataclass
class Catalog:
    glass: Listing
    saree: Listing
    toys: Listing
    kanchi: Listing
    cheap_glass: Listing
    draft: Listing
    suspended: Listing


async def gi(db: AsyncSession, slug_prefix: str) -> GiTag:
    found = await db.scalar(select(GiTag).where(GiTag.slug.startswith(slug_prefix)).limit(1))
    assert found is not None
    return found


@pytest.fixture
async def catalog(db: AsyncSession, settings: Settings, app: object) -> AsyncIterator[Catalog]:
    """A small catalog with the products buyers look for, indexed by the configured backend."""
    firozabad = await factories.district(db, "uttar-pradesh", "firozabad")
    varanasi = await factories.district(db, "uttar-pradesh", "varanasi")
    ramanagara = await factories.district(db, "karnataka", "ramanagara")
    kanchipuram = await factories.district(db, "tamil-nadu", "kanchipuram")
    glass_maker = await factories.seller(
        db, in_district=firozabad, display_name="Suhag Glass Works", export_ready=True
    )
    weaver = await factories.seller(
        db, in_district=varanasi, display_name="Kashi Weavers", seller_type=SellerType.SHG
    )
    toy_maker = await factories.seller(db, in_district=ramanagara, display_name="Toy Town")
    silk_house = await factories.seller(
        db, in_district=kanchipuram, display_name="Silk House", seller_type=SellerType.COOPERATIVE
    )
    banned = await factories.seller(
        db, in_district=firozabad, display_name="Gone Glass", status=SellerStatus.SUSPENDED
    )
    glass_gi = await gi(db, "firozabad-glass")
    catalog = Catalog(
        glass=await factories.listing(
            db,
            glass_maker,
            title="Firozabad Glass Bangles <set of 12>",
            gi_tag_id=glass_gi.id,
            price_paise=80_000,
            export_ready=True,
        ),
        saree=await factories.listing(
            db,
            weaver,
            title="Banarasi Silk Saree",
            title_hi="बनारसी रेशमी साड़ी",
            price_paise=1_250_000,
            stock=0,
            moq=1,
        ),
        toys=await factories.listing(
            db, toy_maker, title="Channapatna Wooden Toys", price_paise=45_000
        ),
        kanchi=await factories.listing(
            db, silk_house, title="Kanchipuram Silk Sari", price_paise=2_400_000
        ),
        cheap_glass=await factories.listing(
            db, glass_maker, title="Glass Tumbler", gi_tag_id=glass_gi.id, price_paise=20_000
        ),
        draft=await factories.listing(
            db, glass_maker, title="Firozabad Glass Lamp", status=ListingStatus.DRAFT
        ),
        suspended=await factories.listing(db, banned, title="Firozabad Glass Vase"),
    )
    await service.setup(db, settings)
    ids = [
        listing.id
        for listing in (
            catalog.glass,
            catalog.saree,
            catalog.toys,
            catalog.kanchi,
            catalog.cheap_glass,
            catalog.draft,
            catalog.suspended,
        )
    ]
    await service.sync_listings(db, ids, settings)
    await db.commit()
    yield catalog
    if settings.effective_search_backend == "meilisearch":
        backend = service.backend_for(db, settings)
        backend.client.delete_index(settings.meili_index)  # type: ignore[attr-defined]
