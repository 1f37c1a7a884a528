"""The Meilisearch adapter against a recording stub: the exact requests the official client
sends (index, settings, documents, search with filter expressions and facets), the parsing of
Meilisearch's documented response shapes, and retries that never lose an update."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import repository as search_repository
from app.catalog.search import service
from app.catalog.search.base import SearchQuery, Sort
from app.catalog.search.meili import MeiliBackend, MeiliSyncError
from app.config import Settings
from app.db import utcnow
from app.jobs import Job, JobRunner, JobStatus
from app.listings import events
from tests import factories
from tests.catalog.search.meili_stub import Stub, running_stub

SEARCH_RESPONSE = {
    "hits": [
        {
            "id": 7,
            "slug": "firozabad-glass-bangles",
            "title": "Firozabad Glass <Bangles>",
            "price_paise": 80000,
            "district": "Firozabad",
            "state": "Uttar Pradesh",
            "gi_name": "Firozabad Glass",
            "seller_name": "Suhag Glass Works",
            "seller_type": "artisan",
            "export_ready": True,
            "in_stock": False,
            "thumb_key": "demo/x.jpg",
            "_formatted": {"title": "Firozabad \x02Glass\x03 <Bangles>"},
        }
    ],
    "query": "glas",
    "processingTimeMs": 1,
    "hitsPerPage": 24,
    "page": 1,
    "totalPages": 1,
    "totalHits": 1,
    "facetDistribution": {
        "facet_state": {"uttar-pradesh|Uttar Pradesh": 1},
        "facet_district": {"uttar-pradesh/firozabad|Firozabad": 1},
        "facet_gi": {"firozabad-glass|Firozabad Glass": 1},
        "facet_category": {},
        "facet_seller_type": {"artisan|artisan": 1},
    },
    "facetStats": {},
}


@pytest.fixture
def stub() -> Iterator[Stub]:
    with running_stub(lambda s: s.search_response.update(SEARCH_RESPONSE)) as stub:
        yield stub


@pytest.fixture
def backend(stub: Stub) -> MeiliBackend:
    return MeiliBackend(stub.url, "", "listings")


async def test_setup_creates_the_index_and_applies_settings_in_code(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    await backend.ensure_index(db)
    assert stub.calls() == [
        ("GET", "/indexes/listings"),
        ("POST", "/indexes"),
        ("PATCH", "/indexes/listings/settings"),
    ]
    assert stub.requests[1].body == {"uid": "listings", "primaryKey": "id"}
    settings = next(r.body for r in stub.requests if r.method == "PATCH")
    assert settings["searchableAttributes"][0] == "title"
    assert "description" in settings["searchableAttributes"]
    assert {"state_slug", "district_key", "gi_slug", "price_paise", "in_stock"} <= set(
        settings["filterableAttributes"]
    )
    assert settings["sortableAttributes"] == ["price_paise", "published_at"]
    assert settings["rankingRules"][:6] == [
        "words",
        "typo",
        "proximity",
        "attribute",
        "sort",
        "exactness",
    ]
    assert settings["typoTolerance"] == {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
    }
    assert "बनारसी" in settings["synonyms"]["banarasi"]
    assert "banarasi" in settings["synonyms"]["varanasi"]
    stop_words = [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
    assert settings["stopWords"] == stop_words


async def test_documents_are_added_and_deleted_by_id(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    owner = await factories.seller(db)
    listing = await factories.listing(db, owner, title="Glass bangles", price_paise=80_000)
    documents = await search_repository.documents_for(db, [listing.id])
    await backend.upsert(db, documents)
    await backend.delete(db, [41, 42])
    add, delete = stub.requests[0], stub.requests[2]
    assert (add.method, add.path, add.query) == (
        "POST",
        "/indexes/listings/documents",
        {"primaryKey": ["id"]},
    )
    [document] = add.body
    assert document["id"] == listing.id and "listing_id" not in document
    assert document["title"] == "Glass bangles" and document["price_paise"] == 80_000
    assert document["facet_state"] == "uttar-pradesh|Uttar Pradesh"
    assert document["facet_district"] == "uttar-pradesh/firozabad|Firozabad"
    assert isinstance(document["published_at"], int)
    assert (delete.method, delete.path, delete.body) == (
        "POST",
        "/indexes/listings/documents/delete",
        {"filter": "id IN [41, 42]"},
    )


async def test_search_payload_and_response_parsing(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    query = SearchQuery(
        text="glas",
        state=("uttar-pradesh",),
        district=('say "hi"/x',),
        seller_type=("artisan", "shg"),
        min_price_paise=50_000,
        max_price_paise=90_000,
        export_ready=True,
        in_stock=False,
        sort=Sort.PRICE_ASC,
        page=2,
        per_page=10,
    )
    result = await backend.search(db, query)
    [request] = stub.requests
    # Facets with ticked values make it a multi-search (see the next test); the search itself:
    assert (request.method, request.path) == ("POST", "/multi-search")
    assert len(request.body["queries"]) == 4  # and the State, district and seller type counts
    assert request.body["queries"][0] == {
        "indexUid": "listings",
        "q": "glas",
        "page": 2,
        "hitsPerPage": 10,
        "attributesToRetrieve": [
            "id",
            "slug",
            "title",
            "price_paise",
            "district",
            "state",
            "gi_name",
            "seller_name",
            "seller_type",
            "export_ready",
            "in_stock",
            "thumb_key",
        ],
        "attributesToHighlight": ["title"],
        "highlightPreTag": "\x02",
        "highlightPostTag": "\x03",
        "filter": [
            'state_slug IN ["uttar-pradesh"]',
            'district_key IN ["say \\"hi\\"/x"]',
            'seller_type IN ["artisan", "shg"]',
            "price_paise >= 50000",
            "price_paise <= 90000",
            "export_ready = true",
            "in_stock = false",
        ],
        "facets": [
            "facet_state",
            "facet_district",
            "facet_gi",
            "facet_category",
            "facet_seller_type",
        ],
        "sort": ["price_paise:asc"],
    }
    assert result.total == 1 and result.total_is_exact
    [hit] = result.hits
    assert hit.listing_id == 7 and hit.title_highlighted == "Firozabad \x02Glass\x03 <Bangles>"
    assert [(f.value, f.label, f.count) for f in result.facets["district"]] == [
        ("uttar-pradesh/firozabad", "Firozabad", 1)
    ]
    assert result.facets["category"] == []


async def test_a_failed_task_raises_so_the_job_retries(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    stub.fail_tasks = True
    with pytest.raises(MeiliSyncError, match="index_not_found"):
        await backend.delete(db, [1])


async def test_sync_job_retries_until_meilisearch_takes_the_update(
    stub: Stub,
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    meili = settings.model_copy(update={"search_backend": "meilisearch", "meili_url": stub.url})
    jobs = JobRunner(session_factory, meili)  # handlers get the settings of their runner
    owner = await factories.seller(db)
    listing = await factories.listing(db, owner, title="Glass bangles")
    events.listing_changed(db, listing.id)
    await db.commit()
    stub.fail_tasks = True
    await jobs.run_until_idle()
    job = await db.scalar(select(Job).where(Job.kind == service.SYNC_JOB))
    assert job is not None and job.status == JobStatus.PENDING
    assert job.attempts == 1 and "MeiliSyncError" in (job.last_error or "")
    assert job.max_attempts == service.SYNC_MAX_ATTEMPTS
    stub.fail_tasks = False
    await db.execute(
        update(Job).where(Job.id == job.id).values(run_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    await jobs.run_until_idle()
    status = await db.scalar(select(Job.status).where(Job.id == job.id))
    assert status == JobStatus.DONE
    added = [r for r in stub.requests if r.path.endswith("/documents")]
    assert len(added) == 2 and added[-1].body[0]["id"] == listing.id


async def test_facets_with_ticked_values_are_counted_over_the_other_filters(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    query = SearchQuery(text="silk", state=("uttar-pradesh", "bihar"), seller_type=("shg",))
    result = await backend.search(db, query)
    [request] = stub.requests
    assert (request.method, request.path) == ("POST", "/multi-search")
    main, states, seller_types = request.body["queries"]
    assert main["indexUid"] == "listings" and main["q"] == "silk"
    assert main["filter"] == ['state_slug IN ["uttar-pradesh", "bihar"]', 'seller_type IN ["shg"]']
    assert states == {
        "indexUid": "listings",
        "q": "silk",
        "page": 1,
        "hitsPerPage": 0,
        "filter": ['seller_type IN ["shg"]'],
        "facets": ["facet_state"],
    }
    assert seller_types["filter"] == ['state_slug IN ["uttar-pradesh", "bihar"]']
    assert seller_types["facets"] == ["facet_seller_type"]
    assert [h.listing_id for h in result.hits] == [7]
    assert [(f.value, f.count) for f in result.facets["state"]] == [("uttar-pradesh", 1)]


async def test_a_place_named_in_the_query_comes_first(
    backend: MeiliBackend, stub: Stub, db: AsyncSession
) -> None:
    place = 'district_key IN ["uttar-pradesh/firozabad"] OR state_slug IN ["uttar-pradesh"]'
    # The place has 1 of 5 hits, so a second request fills the page from elsewhere.
    stub.respond = lambda q: {**SEARCH_RESPONSE, "totalHits": 1 if q.get("filter") else 5}
    query = SearchQuery(
        text="glass", prefer_district=("uttar-pradesh/firozabad",), prefer_state=("uttar-pradesh",)
    )
    result = await backend.search(db, query)
    first, second = stub.requests
    assert first.path == second.path == "/multi-search"
    everywhere, local = first.body["queries"]
    assert everywhere["hitsPerPage"] == 0 and "filter" not in everywhere
    assert local["filter"] == [place] and local["hitsPerPage"] == 24
    [rest] = second.body["queries"]
    assert rest["filter"] == [f"NOT ({place})"]
    assert (rest["offset"], rest["limit"]) == (0, 23)
    assert "page" not in rest and "hitsPerPage" not in rest
    assert len(result.hits) == 2 and result.total == 5
