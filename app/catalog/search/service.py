"""Search rules: which backend serves, how listing changes reach the index, reindex, synonyms."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import money
from app.catalog.search import analysis, places, suggestions
from app.catalog.search import repository as search_repository
from app.catalog.search.base import SearchBackend, SearchQuery, SearchResult
from app.catalog.search.database import DatabaseBackend
from app.catalog.search.meili import MeiliBackend
from app.catalog.search.models import SynonymGroup
from app.catalog.search.postgres_fts import PostgresBackend
from app.catalog.search.schemas import SearchParams
from app.catalog.search.sqlite_fts import SqliteBackend
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import AppError, NotFound, ValidationFailed
from app.i18n import gettext as _
from app.jobs import enqueue
from app.listings import events
from app.listings import repository as listing_repository
from app.money import BASE_CURRENCY
from app.rates import service as currency
from app.sellers import events as seller_events

logger = logging.getLogger(__name__)
SYNC_JOB = "search.sync_listings"
SETTINGS_JOB = "search.apply_settings"
# A sync job retries with capped exponential backoff for weeks before giving up: an index outage
# delays updates, it does not lose them (and `odop search reindex` repairs anything).
SYNC_MAX_ATTEMPTS = 500
REINDEX_BATCH = 2000
SUGGEST_LIMIT = 8

_backends: dict[tuple[str, ...], SearchBackend] = {}
_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """Jobs run in an app process use the app's settings (tests pass their own)."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    return _settings or get_settings()


def backend_for(session: AsyncSession, settings: Settings | None = None) -> SearchBackend:
    """The configured backend; backends are cached per process (they hold the typo vocabulary)."""
    settings = settings or current_settings()
    if settings.effective_search_backend == "meilisearch":
        key: tuple[str, ...] = ("meili", settings.meili_url, settings.meili_index)
        if key not in _backends:
            _backends[key] = MeiliBackend(
                settings.meili_url, settings.meili_api_key, settings.meili_index
            )
        return _backends[key]
    dialect = session.get_bind().dialect.name
    key = ("database", dialect)
    if key not in _backends:
        _backends[key] = PostgresBackend() if dialect == "postgresql" else SqliteBackend()
    return _backends[key]


class ResultCache:
    """Recent results per process, each stamped with the index version it was computed on.

    Like a search engine's query cache that lives until the next commit: an entry is fresh while
    the index version is unchanged (checked at most every VERSION_POLL_SECONDS per process) and
    it is younger than ``search_cache_seconds``. Past that, for as long again, it is still served
    while one background query refreshes it, so a catalog change never stalls requests. Changes
    indexed by this process clear the cache at once."""

    def __init__(self, max_entries: int = 2000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[object, ...], tuple[float, int, SearchResult]] = (
            OrderedDict()
        )
        self._versions: dict[object, tuple[float, int]] = {}

    def get(
        self, key: tuple[object, ...], version: int, max_age: float
    ) -> tuple[SearchResult, bool] | None:
        """(result, still fresh), or None when missing or too old to serve."""
        found = self._entries.get(key)
        if found is None:
            return None
        stored_at, stored_version, result = found
        age = time.monotonic() - stored_at
        if age > max_age * STALE_FACTOR:
            return None
        self._entries.move_to_end(key)
        return result, stored_version == version and age <= max_age

    def put(self, key: tuple[object, ...], version: int, result: SearchResult) -> None:
        self._entries[key] = (time.monotonic(), version, result)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def known_version(self, backend: object) -> int | None:
        checked = self._versions.get(backend)
        return checked[1] if checked is not None and checked[1] >= 0 else None

    async def index_version(self, session: AsyncSession, backend: object) -> int:
        """The index version, read from the database at most every VERSION_POLL_SECONDS."""
        now = time.monotonic()
        checked = self._versions.get(backend)
        if checked is not None and now - checked[0] < VERSION_POLL_SECONDS:
            return checked[1]
        # Concurrent requests keep using the known version while this one reads the new one.
        self._versions[backend] = (now, checked[1] if checked else -1)
        version = await search_repository.index_version(session)
        self._versions[backend] = (now, version)
        return version

    def clear(self) -> None:
        self._entries.clear()
        self._versions.clear()


STALE_FACTOR = 2
VERSION_POLL_SECONDS = 1.0
# Refreshes run beside the requests a worker serves: after a catalog change every popular entry
# goes stale at once, and refreshing them one at a time keeps the others' latency flat.
MAX_CONCURRENT_REFRESHES = 1
results_cache = ResultCache()
_refreshing: dict[tuple[object, ...], asyncio.Task[None]] = {}


class SearchUnavailable(AppError):
    """The search backend failed (Meilisearch down, refusing the key, missing its index): the
    visitor gets a 503 page or JSON error that says to try again, not a 500."""

    status_code = 503
    code = "search_unavailable"
    title = "Search is unavailable for a moment. Please try again shortly."


async def _backend_search(
    backend: SearchBackend, session: AsyncSession, query: SearchQuery
) -> SearchResult:
    unavailable = backend.unavailable_errors if isinstance(backend, MeiliBackend) else (OSError,)
    try:
        return await _understood_search(session, backend, query)
    except unavailable as exc:
        logger.warning("search backend failed", exc_info=True)
        raise SearchUnavailable() from exc


async def search(
    session: AsyncSession,
    query: SearchQuery,
    settings: Settings | None = None,
    *,
    refresh_with: async_sessionmaker[AsyncSession] | None = None,
) -> SearchResult:
    """Search, through the result cache when ``search_cache_seconds`` > 0. ``refresh_with``
    (the app's session factory) lets a stale entry be refreshed in the background."""
    settings = settings or current_settings()
    backend = backend_for(session, settings)
    max_age = settings.search_cache_seconds
    if max_age <= 0:
        return await _backend_search(backend, session, query)
    key = (id(backend), query)
    known = results_cache.known_version(key[0])
    version = await results_cache.index_version(session, key[0])
    if known is not None and version != known and isinstance(backend, DatabaseBackend):
        backend.recheck_lexicon()  # the change may be new synonyms or words
    cached = results_cache.get(key, version, max_age)
    if cached is not None:
        result, fresh = cached
        if fresh:
            return result
        if refresh_with is not None:
            if key not in _refreshing and len(_refreshing) < MAX_CONCURRENT_REFRESHES:
                _refreshing[key] = asyncio.create_task(
                    _refresh(refresh_with, backend, key, version, query)
                )
            return result
    result = await _backend_search(backend, session, query)
    results_cache.put(key, version, result)
    return result


GAZETTEER_SECONDS = 300.0
_gazetteer: tuple[float, places.Gazetteer] | None = None


async def gazetteer(session: AsyncSession) -> places.Gazetteer:
    """The State and district names, loaded at most every GAZETTEER_SECONDS per process."""
    global _gazetteer
    now = time.monotonic()
    if _gazetteer is None or now - _gazetteer[0] > GAZETTEER_SECONDS:
        _gazetteer = (now, places.Gazetteer(await search_repository.place_rows(session)))
    return _gazetteer[1]


_hindi_labels: tuple[float, dict[str, dict[str, str]]] | None = None


async def facet_labels(session: AsyncSession, language: str) -> dict[str, dict[str, str]]:
    """Facet value -> label in ``language`` where the reference data has one (State and category
    names in Hindi, as the catalog pages show them); loaded at most every GAZETTEER_SECONDS."""
    global _hindi_labels
    if language != "hi":
        return {}
    now = time.monotonic()
    if _hindi_labels is None or now - _hindi_labels[0] > GAZETTEER_SECONDS:
        _hindi_labels = (now, await search_repository.hindi_facet_labels(session))
    return _hindi_labels[1]


def clear_reference_caches() -> None:
    """Forget the place names, GI tags, labels and popular categories loaded for queries
    (tests whose catalogs come and go call it)."""
    global _gazetteer, _gi_names, _hindi_labels
    _gazetteer = _gi_names = _hindi_labels = None
    _popular.clear()


async def _understood_search(
    session: AsyncSession, backend: SearchBackend, query: SearchQuery
) -> SearchResult:
    result = await _place_search(session, backend, query)
    if not result.total and query.text.strip() and query.page == 1:
        result.suggestions = await _suggestions(session, backend, query.text)
    return result


_gi_names: tuple[float, list[tuple[str, str]]] | None = None
_popular: dict[int, tuple[float, list[tuple[str, str]]]] = {}


async def _suggestions(
    session: AsyncSession, backend: SearchBackend, text: str
) -> suggestions.Suggestions:
    """For a search that found nothing: near indexed words, near GI tag and district names,
    and the categories with the most listings."""
    global _gi_names
    now = time.monotonic()
    if _gi_names is None or now - _gi_names[0] > GAZETTEER_SECONDS:
        if isinstance(backend, DatabaseBackend):
            _gi_names = (now, await backend.gi_tags(session))
        else:
            _gi_names = (now, await search_repository.gi_tags_with_listings(session))
    terms: list[str] = []
    if isinstance(backend, DatabaseBackend):
        frequencies = (await backend.lexicon(session)).vocabulary.frequencies
        terms = suggestions.closest_terms(analysis.query_words(text), frequencies)
    places_known = await gazetteer(session)
    by_key = {p.district_key or "": p for p in places_known.districts}
    # Every name of a district counts (Mysore for Mysuru), each district once.
    near = suggestions.near_names(text, places_known.district_names, limit=12)
    near_districts = list(dict.fromkeys(key for key, _ in near))[: suggestions.MAX_NAMES]
    known = _popular.get(id(backend))
    if known is None or now - known[0] > GAZETTEER_SECONDS:
        browse = await backend.search(session, SearchQuery(per_page=1))
        top = [(v.value, v.label) for v in browse.facets.get("category", [])[:5]]
        known = _popular[id(backend)] = (now, top)
    return suggestions.Suggestions(
        terms=terms,
        gi_tags=suggestions.near_names(text, _gi_names[1]),
        districts=[by_key[key] for key in near_districts if key in by_key],
        categories=known[1],
    )


async def _place_search(
    session: AsyncSession, backend: SearchBackend, query: SearchQuery
) -> SearchResult:
    """Places named in the query become a preference, not words every hit must contain:
    "mysore silk" searches silk, listings from Mysuru first, then the rest of Karnataka."""
    words = analysis.query_words(query.text)
    understanding = (await gazetteer(session)).understand(words) if words else None
    if understanding is None or not understanding.places:
        return await backend.search(session, query)
    found = understanding.places
    preferred = replace(
        query,
        prefer_district=tuple(p.district_key for p in found if p.district_key),
        prefer_state=tuple(dict.fromkeys(p.state_slug for p in found)),
    )
    product = understanding.product_words
    # The last word is a prefix only if the buyer is still typing it (not a place name).
    ends_open = words[-1] in product and not query.text.rstrip().endswith(('"', " "))
    if product:
        text = " ".join(product) + ("" if ends_open else " ")
        result = await backend.search(session, replace(preferred, text=text))
        if result.hits or result.total:
            # The understood query shows the words that matched, not the ones relaxation dropped.
            dropped = {part for word in result.ignored for part in word.split()}
            result.places = found
            result.product_words = [w for w in product if w not in dropped]
            return result
    # Nothing but places, or product words that match nothing: the places' listings.
    result = await backend.search(session, replace(preferred, text=understanding.place_text + " "))
    result.places, result.product_words = found, []
    result.ignored = product
    return result


async def _refresh(
    factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    key: tuple[object, ...],
    version: int,
    query: SearchQuery,
) -> None:
    try:
        async with factory() as session:
            results_cache.put(key, version, await _understood_search(session, backend, query))
    except Exception:  # the entry stays stale; the next request past its age retries
        logger.warning("search cache refresh failed", exc_info=True)
    finally:
        del _refreshing[key]


async def warm_up(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Load what the first search would (the database backend's vocabulary and synonyms), so
    it is not paid by a buyer. A database without an index yet is left alone."""
    try:
        async with factory() as session:
            backend = backend_for(session, settings)
            if isinstance(backend, DatabaseBackend):
                await backend.lexicon(session)
    except Exception as exc:  # e.g. a fresh database before its first reindex
        logger.info("search vocabulary not loaded at startup: %s", exc)


async def suggest(
    session: AsyncSession,
    text: str,
    settings: Settings | None = None,
    *,
    refresh_with: async_sessionmaker[AsyncSession] | None = None,
) -> list[str]:
    """Up to SUGGEST_LIMIT product names for what has been typed, through the result cache
    (every keystroke of every buyer asks)."""
    if not analysis.query_words(text):
        return []
    query = SearchQuery(text=text, per_page=SUGGEST_LIMIT * 4, with_facets=False)
    result = await search(session, query, settings, refresh_with=refresh_with)
    names: dict[str, None] = {}
    for hit in result.hits:
        names.setdefault(hit.title.split(" – ")[0], None)
    return list(names)[:SUGGEST_LIMIT]


# -- keeping the index in step with the catalog ------------------------------------------


async def _index_listings(session: AsyncSession, ids: list[int], settings: Settings) -> None:
    """The database index is updated in the transaction that delivers the change; Meilisearch
    gets a job of its own, so its outages retry only the index write, for as long as needed."""
    if isinstance(backend_for(session, settings), DatabaseBackend):
        await sync_listings(session, ids, settings)
        return
    for start in range(0, len(ids), REINDEX_BATCH):
        payload = {"listing_ids": ids[start : start + REINDEX_BATCH]}
        enqueue(session, SYNC_JOB, payload, max_attempts=SYNC_MAX_ATTEMPTS)


@events.on_listing_changed
async def _listing_changed(session: AsyncSession, listing_id: int, settings: Settings) -> None:
    await _index_listings(session, [listing_id], settings)


@seller_events.on_seller_changed
async def _seller_changed(session: AsyncSession, seller_id: int, settings: Settings) -> None:
    ids = await listing_repository.listing_ids_of_seller(session, seller_id)
    await _index_listings(session, ids, settings)


async def sync_listings(session: AsyncSession, ids: list[int], settings: Settings) -> None:
    """Write the current state of these listings to the index: searchable ones are upserted,
    the rest (unpublished, deleted, seller suspended) removed. Idempotent."""
    backend = backend_for(session, settings)
    results_cache.clear()
    documents = await search_repository.documents_for(session, ids)
    found = {d.listing_id for d in documents}
    await backend.upsert(session, documents)
    await backend.delete(session, [i for i in ids if i not in found])
    await search_repository.bump_index_version(session)


async def apply_settings(session: AsyncSession, settings: Settings) -> None:
    backend = backend_for(session, settings)
    if isinstance(backend, MeiliBackend):
        await backend.apply_settings(session)


async def setup(session: AsyncSession, settings: Settings | None = None) -> str:
    """Create the index if missing and apply its settings. Returns the backend's name."""
    backend = backend_for(session, settings)
    await backend.ensure_index(session)
    return backend.name


async def reindex(
    session_factory: async_sessionmaker[AsyncSession],
    progress: Callable[[int, int], None],
    settings: Settings | None = None,
) -> int:
    """Rebuild the whole index beside the live one and swap it in. Returns documents written."""
    async with session_factory() as session:
        backend = backend_for(session, settings)
        total = await search_repository.count_searchable(session)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    progress(0, total)
    written = await backend.rebuild(
        session_factory,
        lambda session, after: search_repository.document_batch(session, after, REINDEX_BATCH),
        advance,
    )
    async with session_factory() as session, session.begin():
        await search_repository.bump_index_version(session)
    results_cache.clear()
    return written


async def ensure(
    session_factory: async_sessionmaker[AsyncSession],
    progress: Callable[[int, int], None],
    settings: Settings | None = None,
) -> int | None:
    """Set the index up, and rebuild it only when it is missing or does not hold exactly the
    searchable listings (a fresh database, demo data loaded, an index lost or left behind).
    Returns the documents written, or None when the index was already current. Changes made
    while the app runs reach the index through jobs, so a restart finds it current."""
    async with session_factory() as session, session.begin():
        backend = backend_for(session, settings)
        expected = await search_repository.searchable_listing_ids(session)
        current = await backend.holds(session, expected)
        await backend.ensure_index(session)
    if current:
        return None
    return await reindex(session_factory, progress, settings)


# -- synonyms ----------------------------------------------------------------------------


def clean_terms(raw: list[str]) -> list[str]:
    """Normalised, de-duplicated words of a synonym group; at least two are needed."""
    terms: dict[str, None] = {}
    for item in raw:
        for word in item.split(","):
            word = analysis.normalise(word).strip()
            if word:
                if len(word) > 60:
                    raise ValidationFailed(_("A synonym may be at most 60 characters long."))
                terms.setdefault(word, None)
    if len(terms) < 2:
        raise ValidationFailed(_("A synonym group needs at least two different words."))
    return list(terms)


async def _synonyms_changed(session: AsyncSession) -> None:
    await search_repository.bump_index_version(session)
    results_cache.clear()
    backend = backend_for(session)
    if isinstance(backend, DatabaseBackend):
        backend.recheck_lexicon()
    else:
        enqueue(session, SETTINGS_JOB, {}, max_attempts=SYNC_MAX_ATTEMPTS)


async def add_synonyms(session: AsyncSession, raw: list[str], note: str = "") -> SynonymGroup:
    group = await search_repository.add_synonym_group(session, clean_terms(raw), note[:200])
    await _synonyms_changed(session)
    return group


async def remove_synonyms(session: AsyncSession, group_id: int) -> None:
    if not await search_repository.delete_synonym_group(session, group_id):
        raise NotFound(_("There is no synonym group %(id)s.", id=group_id))
    await _synonyms_changed(session)


async def list_synonyms(session: AsyncSession) -> list[SynonymGroup]:
    return await search_repository.synonym_groups(session)


# -- requests ----------------------------------------------------------------------------


async def to_query(
    session: AsyncSession, params: SearchParams, settings: Settings | None = None
) -> SearchQuery:
    """Validate what only the database can check (currencies) and convert prices to paise."""
    settings = settings or current_settings()
    code = params.currency.upper()
    prices = [params.min_price, params.max_price]
    paise: list[int | None] = [None, None]
    if any(p is not None for p in prices):
        if code == BASE_CURRENCY:
            paise = [None if p is None else money.decimal_to_minor(p) for p in prices]
        else:
            currency.validate_currency(code, settings.display_currencies)
            rate = (await currency.current_rates(session, utcnow().date())).get(code)
            if rate is None:
                raise ValidationFailed(f"There is no exchange rate for {code} yet.")
            digits = currency.minor_units(code)
            paise = [
                None if p is None else currency.to_inr(money.decimal_to_minor(p, digits), rate)
                for p in prices
            ]
    return SearchQuery(
        text=params.q[: analysis.MAX_QUERY_CHARS],
        state=tuple(params.state),
        district=tuple(params.district),
        gi=tuple(params.gi),
        category=tuple(params.category),
        goods_class=tuple(params.goods_class),
        seller_type=tuple(params.seller_type),
        min_price_paise=paise[0],
        max_price_paise=paise[1],
        export_ready=params.export_ready,
        in_stock=params.in_stock,
        sort=params.sort,
        page=params.page,
        per_page=params.per_page,
    )


def applied(params: SearchParams) -> dict[str, object]:
    """The filters and sort a search used, without the empty ones."""
    values = params.model_dump(exclude={"q", "page", "per_page"}, exclude_defaults=True)
    values["sort"] = params.sort.value
    return values
