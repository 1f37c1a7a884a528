"""How the database backends bound the work of one uncached search (docs/search-quality.md,
"Speed without the cache")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import database, service
from app.catalog.search import repository as search_repository
from app.catalog.search.database import DatabaseBackend
from app.config import Settings
from app.jobs import JobRunner
from app.listings import events
from app.listings.models import ListingStatus
from tests.catalog.search.conftest import Catalog


def database_backend(db: AsyncSession, settings: Settings) -> DatabaseBackend:
    backend = service.backend_for(db, settings)
    if not isinstance(backend, DatabaseBackend):
        pytest.skip("the database backends' index layout")
    return backend


async def test_facets_and_filters_go_through_one_key_per_combination(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    backend = database_backend(db, settings)
    await backend.ensure_index(db)
    keys = await db.scalar(text("SELECT count(*) FROM search_listings_facets"))
    combinations = await db.scalar(
        text(
            "SELECT count(*) FROM (SELECT DISTINCT state_slug, district_key, gi_slug, "
            "category_slug, goods_class, seller_type FROM search_listings) AS c"
        )
    )
    assert keys == combinations and keys is not None and keys >= 4
    body = (await client.get("/api/v1/search", params={"gi": "firozabad-glass"})).json()
    assert {h["id"] for h in body["hits"]} == {catalog.glass.id, catalog.cheap_glass.id}
    assert body["facets"]["gi"] == [
        {"value": "firozabad-glass", "label": "Firozabad Glass", "count": 2}
    ]
    states = {f["value"]: f["count"] for f in body["facets"]["state"]}
    assert states == {"uttar-pradesh": 2}
    body = (await client.get("/api/v1/search", params={"seller_type": "shg"})).json()
    assert [h["id"] for h in body["hits"]] == [catalog.saree.id]


async def test_an_index_without_facet_keys_is_not_current(
    db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    """An index built before facet combinations had keys is rebuilt by `odop search ensure`."""
    backend = database_backend(db, settings)
    await backend.ensure_index(db)
    listings = await search_repository.searchable_listing_ids(db)
    assert await backend.holds(db, listings)
    await db.execute(text("DROP TABLE search_listings_facets"))
    assert not await backend.holds(db, listings)


async def test_the_top_bucket_ranks_at_most_its_newest_candidates(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    monkeypatch: Any,
) -> None:
    database_backend(db, settings)
    both = (await client.get("/api/v1/search", params={"q": "glass", "per_page": 2})).json()
    assert {h["id"] for h in both["hits"]} == {catalog.glass.id, catalog.cheap_glass.id}
    monkeypatch.setattr(database, "TOP_BUCKET_CANDIDATES", 1)
    service.results_cache.clear()
    newest = max(catalog.glass.id, catalog.cheap_glass.id)
    one = (await client.get("/api/v1/search", params={"q": "glass", "per_page": 1})).json()
    assert [h["id"] for h in one["hits"]] == [newest]
    assert one["total"] == 2  # the count and facets still cover every match


async def test_postgres_finds_the_newest_candidates_the_same_way_at_every_size(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    monkeypatch: Any,
) -> None:
    """One word's forms come from the title terms; for several words, few matches sort whole
    rows, thousands sort ids first, and a word in most listings lets the planner walk the
    primary key: the same candidates and the same page every way. A dense word's facet pass
    tests rows in table order and still counts every match."""
    database_backend(db, settings)
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's forms of the candidate query")
    from app.catalog.search import postgres_fts

    monkeypatch.setattr(database, "TOP_BUCKET_CANDIDATES", 1)
    found: dict[str, list[tuple[list[int], int]]] = {"glass": [], "silk sari": []}
    for narrow, dense in ((10**9, 1.0), (0, 10.0), (0, 0.0)):
        monkeypatch.setattr(postgres_fts, "NARROW_CANDIDATES", narrow)
        monkeypatch.setattr(postgres_fts, "DENSE_SHARE", dense)
        for q, pages in found.items():
            service.results_cache.clear()
            body = (await client.get("/api/v1/search", params={"q": q, "per_page": 1})).json()
            pages.append(([h["id"] for h in body["hits"]], body["total"]))
    assert found["glass"] == [([max(catalog.glass.id, catalog.cheap_glass.id)], 2)] * 3
    assert found["silk sari"] == [([max(catalog.saree.id, catalog.kanchi.id)], 2)] * 3


async def _title_terms(db: AsyncSession) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """PostgreSQL's title terms table, and what it should hold: the title lexemes of each
    indexed listing."""
    kept = await db.execute(text("SELECT term, listing_id FROM search_title_terms"))
    derived = await db.execute(
        text(
            "SELECT t.lexeme, s.listing_id FROM search_listings s "
            "CROSS JOIN LATERAL unnest(ts_filter(s.document, '{a}')) AS t"
        )
    )
    return {(str(t), int(i)) for t, i in kept}, {(str(t), int(i)) for t, i in derived}


async def test_postgres_title_terms_follow_the_listings(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    jobs: JobRunner,
    catalog: Catalog,
) -> None:
    """The newest title matches of a word come from search_title_terms without testing the
    titles again: a title change or an unpublished listing must reach it with the row, and a
    live index built before it gets it from the first search."""
    backend = database_backend(db, settings)
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's title terms")
    await backend.ensure_index(db)
    kept, derived = await _title_terms(db)
    assert kept == derived and ("glass", catalog.glass.id) in kept
    catalog.glass.title = "Firozabad Crystal Chandelier"
    events.listing_changed(db, catalog.glass.id)
    catalog.toys.status = ListingStatus.UNPUBLISHED
    events.listing_changed(db, catalog.toys.id)
    await db.commit()
    await jobs.run_until_idle()
    kept, derived = await _title_terms(db)
    assert kept == derived
    assert ("chandelier", catalog.glass.id) in kept and ("glass", catalog.glass.id) not in kept
    assert not any(listing == catalog.toys.id for _, listing in kept)
    body = (await client.get("/api/v1/search", params={"q": "glass", "per_page": 1})).json()
    assert [h["id"] for h in body["hits"]] == [catalog.cheap_glass.id]

    listings = await search_repository.searchable_listing_ids(db)
    await db.execute(text("DROP TABLE search_title_terms"))
    assert not await backend.holds(db, listings)
    backend._index_ready = False
    await backend.ensure_index(db)
    kept, derived = await _title_terms(db)
    assert kept == derived and ("chandelier", catalog.glass.id) in kept


async def test_postgres_capped_scans_start_at_the_first_page(
    db: AsyncSession, settings: Settings
) -> None:
    """The facet pass counts the first FACET_CAP matches: on a table bigger than a quarter of
    PostgreSQL's shared buffers a synchronized scan would start wherever the last scan of it
    was, and the same search would count other rows each time."""
    database_backend(db, settings)
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's scans")
    assert await db.scalar(text("SHOW synchronize_seqscans")) == "off"
