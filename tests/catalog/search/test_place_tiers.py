"""A query that names a place ranks the place's own matches alone when they fill the page
(docs/search-quality.md, "Speed without the cache"); the page must be the one that ranking
every match gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import database, service
from app.catalog.search.base import SearchQuery
from app.catalog.search.database import DatabaseBackend
from app.catalog.search.postgres_fts import PostgresBackend
from app.config import Settings
from app.demo_data import seed_demo
from app.listings.models import Listing
from app.storage import LocalStorage
from tests.catalog.search.conftest import Catalog

PLACE_QUERIES = [
    "handloom odisha",
    "orissa handloom",
    "silk karnataka",
    "mysore silk",
    "lucknow carpet",
    "pottery uttar pradesh",
    "rice chhattisgarh",
    "handicraft rajasthan",
    "banarasi saree",
    "spices kerala",
    "products of bihar",
    "mango maharashtra",
]


def database_backend(db: AsyncSession, settings: Settings) -> DatabaseBackend:
    backend = service.backend_for(db, settings)
    if not isinstance(backend, DatabaseBackend):
        pytest.skip("the database backends' place tiers")
    return backend


async def test_a_place_tier_page_is_the_page_of_the_full_ranking(
    db: AsyncSession, settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    backend = database_backend(db, settings)
    await seed_demo(db, LocalStorage(tmp_path / "media"))
    await service.setup(db, settings)
    await service.sync_listings(db, list(await db.scalars(select(Listing.id))), settings)
    await db.flush()
    uncached = settings.model_copy(update={"search_cache_seconds": 0})
    # The demo catalog is small: let every place query use the tiers.
    monkeypatch.setattr(database, "PLACE_MIN_MATCHES", 0)
    served = 0
    tier_rows = backend._tier_rows

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal served
        rows = await tier_rows(*args, **kwargs)
        served += rows is not None and len(rows) > 0
        return rows

    monkeypatch.setattr(backend, "_tier_rows", counted)
    compared = 0
    for text_ in PLACE_QUERIES:
        for per_page, page in ((3, 1), (5, 1), (3, 2)):
            query = SearchQuery(text=text_, per_page=per_page, page=page, with_facets=False)
            monkeypatch.setattr(database, "PLACE_PAGE_LIMIT", 100)
            tiers = await service.search(db, query, uncached)
            monkeypatch.setattr(database, "PLACE_PAGE_LIMIT", 0)
            full = await service.search(db, query, uncached)
            assert tiers.places, text_
            assert [h.listing_id for h in tiers.hits] == [h.listing_id for h in full.hits], (
                text_,
                per_page,
                page,
                [h.title for h in tiers.hits],
                [h.title for h in full.hits],
            )
            compared += 1
    assert compared == 3 * len(PLACE_QUERIES)
    assert served >= len(PLACE_QUERIES)  # the tiers did serve pages, not only fall back


async def test_a_word_followed_by_a_space_is_finished_not_a_prefix(
    db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    backend = database_backend(db, settings)
    [typing] = await backend.plan(db, "gla")
    assert "glass" in typing.prefix
    [finished] = await backend.plan(db, "gla ")
    assert finished.prefix == set()
    # A place named last ends the product words: "glass" in "gla firozabad" is not a prefix.
    found = await service.search(db, SearchQuery(text="gla firozabad"), settings)
    assert found.ignored == ["gla"]


async def test_postgres_indexes_title_words_and_the_newest_first(
    db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's expression and composite indexes")

    async def definitions() -> list[str]:
        rows = await db.scalars(
            text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'search_listings'"
            )
        )
        return [d for d in rows if "ts_filter" in d or "published_at, listing_id" in d]

    built = await definitions()
    assert len(built) == 2 and any("gin (ts_filter(document" in d for d in built)
    # A live index built by an earlier release gets them from the next process's first search.
    for definition in built:
        name = definition.split()[2]
        await db.execute(text(f"DROP INDEX {name}"))
    assert await definitions() == []
    await PostgresBackend().ensure_index(db)
    await PostgresBackend().ensure_index(db)
    assert len(await definitions()) == 2
    body = await service.search(db, SearchQuery(text="glass"), settings)
    assert {h.listing_id for h in body.hits} == {catalog.glass.id, catalog.cheap_glass.id}
