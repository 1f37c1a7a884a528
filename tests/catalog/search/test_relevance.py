"""The relevance suite (relevance_queries.yaml) over the demo catalog, on every backend."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import service
from app.catalog.search.base import SearchQuery, SearchResult
from app.config import Settings
from app.demo_data import seed_demo
from app.listings.models import Listing
from app.storage import LocalStorage
from tests.catalog.search import relevance

PASS_RATE = 0.9


def test_the_suite_is_well_formed() -> None:
    cases = relevance.load_cases()
    assert len(cases) >= 150
    issue = {"mysore silk", "kolhapuri chappal", "tea", "bidar", "blue pottery jaipur"}
    issue |= {"bidriware", "banarsi sari", "दार्जिलिंग चाय", "बनारसी साड़ी", "lucknow carpet"}
    assert issue <= {c.q for c in cases}


async def test_buyer_queries_find_what_they_mean(
    db: AsyncSession, settings: Settings, demo_media: Path, search_backend: str
) -> None:
    await seed_demo(db, LocalStorage(demo_media))
    await service.setup(db, settings)
    ids = list(await db.scalars(select(Listing.id)))
    await service.sync_listings(db, ids, settings)
    await db.flush()
    uncached = settings.model_copy(update={"search_cache_seconds": 0})

    async def search(query: SearchQuery) -> SearchResult:
        return await service.search(db, query, uncached)

    report = await relevance.run(search)
    print(f"\n{search_backend} on {settings.database_url.split(':')[0]}:\n{report.describe()}")
    assert report.rate >= PASS_RATE, report.describe()
