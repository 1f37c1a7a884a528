"""`odop search reindex` rebuilds beside the live index and swaps it in."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import repository as search_repository
from app.catalog.search import service
from app.catalog.search.base import SearchDocument
from app.catalog.search.database import DatabaseBackend
from app.config import Settings
from app.listings.models import ListingStatus
from tests.catalog.search.conftest import Catalog


async def test_reindex_rebuilds_from_the_database_and_swaps(
    client: httpx.AsyncClient,
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    catalog: Catalog,
) -> None:
    # A change that never went through the outbox: only a rebuild can pick it up.
    catalog.toys.title = "Channapatna Lacquer Spinning Tops"
    await db.commit()
    assert (await client.get("/api/v1/search", params={"q": "lacquer"})).json()["total"] == 0
    seen: list[tuple[int, int]] = []
    written = await service.reindex(session_factory, lambda done, total: seen.append((done, total)))
    assert written == 5 and seen[0] == (0, 5) and seen[-1] == (5, 5)
    hits = (await client.get("/api/v1/search", params={"q": "lacquer"})).json()["hits"]
    assert [h["id"] for h in hits] == [catalog.toys.id]
    backend = service.backend_for(db, settings)
    if isinstance(backend, DatabaseBackend):
        assert not await backend._table_exists(db, "search_listings_new")


async def test_a_listing_unpublished_while_its_batch_was_copied_is_not_swapped_in(
    client: httpx.AsyncClient,
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    catalog: Catalog,
) -> None:
    backend = service.backend_for(db, settings)
    if not isinstance(backend, DatabaseBackend):
        pytest.skip("Meilisearch replaces documents by id; the sweep is the database backends'")
    [copied] = await search_repository.documents_for(db, [catalog.toys.id])
    catalog.toys.status = ListingStatus.DRAFT  # unpublished after its batch was read
    await db.commit()

    async def fetch(session: AsyncSession, after: int) -> tuple[list[SearchDocument], int | None]:
        return ([], None) if after else ([copied], catalog.toys.id)

    assert await backend.rebuild(session_factory, fetch, lambda n: None) == 1
    found = (await client.get("/api/v1/search", params={"q": "channapatna"})).json()
    assert found["total"] == 0
