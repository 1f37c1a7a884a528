"""The per-process result cache: kept while the index version is unchanged, refreshed after."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import repository as search_repository
from app.catalog.search import service
from app.catalog.search.base import SearchQuery, SearchResult
from app.catalog.search.schemas import SearchParams
from app.catalog.search.service import STALE_FACTOR, ResultCache
from app.config import Settings
from tests.catalog.search.conftest import Catalog


def test_an_entry_is_fresh_until_the_version_changes_or_it_ages() -> None:
    cache = ResultCache()
    result = SearchResult(hits=[], total=1)
    cache.put(("a",), 7, result)
    assert cache.get(("a",), 7, max_age=60) == (result, True)
    assert cache.get(("a",), 8, max_age=60) == (result, False)  # the index changed since
    cache._entries[("a",)] = (time.monotonic() - 61, 7, result)
    assert cache.get(("a",), 7, max_age=60) == (result, False)  # too old to be fresh
    cache._entries[("a",)] = (time.monotonic() - 60 * STALE_FACTOR - 1, 7, result)
    assert cache.get(("a",), 7, max_age=60) is None  # too old to serve at all


def test_the_least_recently_used_entry_is_evicted() -> None:
    cache = ResultCache(max_entries=2)
    first, second, third = (SearchResult(hits=[], total=n) for n in (1, 2, 3))
    cache.put(("a",), 0, first)
    cache.put(("b",), 0, second)
    assert cache.get(("a",), 0, max_age=60) == (first, True)  # "a" is now the most recent
    cache.put(("c",), 0, third)
    assert cache.get(("b",), 0, max_age=60) is None
    assert cache.get(("a",), 0, max_age=60) == (first, True)


async def _titles(db: AsyncSession, settings: Settings, **kwargs: object) -> list[str]:
    result = await service.search(db, SearchQuery(text="glass"), settings, **kwargs)  # type: ignore[arg-type]
    return sorted(hit.title for hit in result.hits)


async def _change_index_elsewhere(db: AsyncSession, settings: Settings, listing_id: int) -> None:
    """What another process's sync job does: change the index and bump the version, without
    touching this process's cache."""
    await service.backend_for(db, settings).delete(db, [listing_id])
    await search_repository.bump_index_version(db)
    await db.commit()


@pytest.fixture
def poll_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "VERSION_POLL_SECONDS", 0.0)


async def test_cached_results_last_until_another_process_changes_the_index(
    db: AsyncSession, settings: Settings, catalog: Catalog, poll_every_time: None
) -> None:
    before = await _titles(db, settings)
    assert "Glass Tumbler" in before
    # Changing the index without a new version is invisible: the cached result is served.
    await service.backend_for(db, settings).delete(db, [catalog.cheap_glass.id])
    await db.commit()
    assert await _titles(db, settings) == before
    await _change_index_elsewhere(db, settings, catalog.glass.id)
    after = await _titles(db, settings)
    assert "Glass Tumbler" not in after and "Firozabad Glass Bangles <set of 12>" not in after


async def test_a_stale_entry_is_served_once_while_it_refreshes_in_the_background(
    db: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    session_factory: async_sessionmaker[AsyncSession],
    poll_every_time: None,
) -> None:
    before = await _titles(db, settings, refresh_with=session_factory)
    await _change_index_elsewhere(db, settings, catalog.cheap_glass.id)
    assert await _titles(db, settings, refresh_with=session_factory) == before
    assert len(service._refreshing) == 1
    await asyncio.gather(*service._refreshing.values())
    assert "Glass Tumbler" not in await _titles(db, settings, refresh_with=session_factory)
    assert service._refreshing == {}


async def test_the_version_is_read_at_most_once_per_poll_interval(
    db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    before = await _titles(db, settings)
    await _change_index_elsewhere(db, settings, catalog.cheap_glass.id)
    assert await _titles(db, settings) == before  # polled less than a second ago


async def test_every_index_write_bumps_the_version(
    db: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    start = await search_repository.index_version(db)
    await service.sync_listings(db, [catalog.glass.id], settings)
    assert await search_repository.index_version(db) == start + 1
    group = await service.add_synonyms(db, ["kanch", "glas"])
    await service.remove_synonyms(db, group.id)
    assert await search_repository.index_version(db) == start + 3


async def test_the_api_renders_a_cached_result_once_per_set_of_parameters(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    first = await client.get("/api/v1/search", params={"q": "glass"})
    again = await client.get("/api/v1/search", params={"q": "glass"})
    in_usd = await client.get("/api/v1/search", params={"q": "glass", "currency": "USD"})
    assert first.status_code == again.status_code == in_usd.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert again.content == first.content
    assert in_usd.json()["applied"]["currency"] == "USD"
    assert in_usd.json()["hits"] == first.json()["hits"]
    [(_, _, result)] = service.results_cache._entries.values()  # one search, two renderings
    assert len(result.renderings) == 2
    assert result.renderings[SearchParams(q="glass").model_dump_json()] == first.content


async def test_suggestions_come_through_the_result_cache(
    db: AsyncSession, settings: Settings, catalog: Catalog, poll_every_time: None
) -> None:
    assert await service.suggest(db, "chann", settings) == ["Channapatna Wooden Toys"]
    await service.backend_for(db, settings).delete(db, [catalog.toys.id])
    await db.commit()
    assert await service.suggest(db, "chann", settings) == ["Channapatna Wooden Toys"]
    await search_repository.bump_index_version(db)
    await db.commit()
    assert await service.suggest(db, "chann", settings) == []


async def test_synonyms_added_by_another_process_apply_after_the_next_poll(
    db: AsyncSession, settings: Settings, catalog: Catalog, poll_every_time: None
) -> None:
    assert await _titles_for(db, settings, "gombe") == []  # loads the vocabulary and synonyms
    await search_repository.add_synonym_group(db, ["gombe", "toy"], "Kannada for toy")
    await search_repository.bump_index_version(db)
    await db.commit()
    assert await _titles_for(db, settings, "gombe") == ["Channapatna Wooden Toys"]


async def _titles_for(db: AsyncSession, settings: Settings, text: str) -> list[str]:
    result = await service.search(db, SearchQuery(text=text), settings)
    return [hit.title for hit in result.hits]
