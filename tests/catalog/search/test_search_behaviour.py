"""What a buyer gets from search, on every available backend (see conftest)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.jobs import JobRunner
from app.listings import events
from app.listings.models import ListingStatus
from app.sellers import events as seller_events
from tests.catalog.search.conftest import Catalog


async def find(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[int]:
    return [hit["id"] for hit in body["hits"]]


async def test_misspelt_words_find_the_product(client: httpx.AsyncClient, catalog: Catalog) -> None:
    body = await find(client, q="firozbad glas")
    assert ids(body)[0] == catalog.glass.id
    assert (await find(client, q="chanapatna"))["hits"][0]["id"] == catalog.toys.id


async def test_typo_budget_follows_meilisearch_rules(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    # "tumbelr" (7 letters, one transposition) is allowed one typo; "tosy" (4 letters) none.
    assert catalog.cheap_glass.id in ids(await find(client, q="tumbelr"))
    assert ids(await find(client, q="tosy")) == []
    assert ids(await find(client, q="tumbelrr")) == []  # two typos in 8 letters
    # Nine letters and more allow two typos.
    assert ids(await find(client, q="chanaptna")) == [catalog.toys.id]


async def test_hindi_and_synonyms_meet_english(client: httpx.AsyncClient, catalog: Catalog) -> None:
    assert ids(await find(client, q="बनारसी साड़ी"))[0] == catalog.saree.id
    assert ids(await find(client, q="varanasi saree"))[0] == catalog.saree.id
    assert ids(await find(client, q="kanjeevaram"))[0] == catalog.kanchi.id
    assert set(ids(await find(client, q="sari"))) == {catalog.saree.id, catalog.kanchi.id}


async def test_prefix_of_the_last_word_matches(client: httpx.AsyncClient, catalog: Catalog) -> None:
    assert ids(await find(client, q="channap")) == [catalog.toys.id]


async def test_only_published_listings_of_verified_sellers_are_found(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    found = ids(await find(client, q="firozabad glass"))
    assert catalog.glass.id in found
    assert catalog.draft.id not in found and catalog.suspended.id not in found
    assert (await find(client))["total"] == 5


async def test_changes_reach_the_index_through_the_outbox(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, catalog: Catalog
) -> None:
    catalog.toys.status = ListingStatus.UNPUBLISHED
    events.listing_changed(db, catalog.toys.id)
    catalog.glass.title = "Firozabad Glass Chandelier"
    events.listing_changed(db, catalog.glass.id)
    await db.commit()
    assert ids(await find(client, q="channapatna")) == [catalog.toys.id]  # not yet delivered
    await jobs.run_until_idle()
    assert ids(await find(client, q="channapatna")) == []
    assert ids(await find(client, q="chandelier")) == [catalog.glass.id]


async def test_filters_narrow_and_unknown_values_give_no_hits(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    assert set(ids(await find(client, state="uttar-pradesh"))) == {
        catalog.glass.id,
        catalog.cheap_glass.id,
        catalog.saree.id,
    }
    assert set(ids(await find(client, district="uttar-pradesh/firozabad", q="glass"))) == {
        catalog.glass.id,
        catalog.cheap_glass.id,
    }
    assert ids(await find(client, gi="nowhere-gi")) == []
    assert ids(await find(client, q="glass", export_ready="true")) == [catalog.glass.id]
    assert catalog.saree.id not in ids(await find(client, in_stock="true"))
    assert set(ids(await find(client, seller_type="shg"))) == {catalog.saree.id}
    cheap = await find(client, min_price="300", max_price="900")
    assert set(ids(cheap)) == {catalog.glass.id, catalog.toys.id}
    assert cheap["applied"]["min_price"] == "300"


async def test_price_range_in_a_foreign_currency(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog
) -> None:
    from datetime import date
    from decimal import Decimal

    from app.rates.service import set_rate

    await set_rate(db, "USD", Decimal("80"), date(2026, 1, 1), supported=["USD"])
    await db.commit()
    # US$10 = ₹800: the ₹800 bangles are in, the ₹450 toys are not.
    found = ids(await find(client, min_price="10", max_price="12", currency="USD"))
    assert found == [catalog.glass.id]


async def test_facet_counts_and_sorts(client: httpx.AsyncClient, catalog: Catalog) -> None:
    body = await find(client)
    states = {f["value"]: f["count"] for f in body["facets"]["state"]}
    assert states == {"uttar-pradesh": 3, "karnataka": 1, "tamil-nadu": 1}
    gis = body["facets"]["gi"]
    assert gis[0]["count"] == 2 and gis[0]["label"].startswith("Firozabad Glass")
    assert {f["value"] for f in body["facets"]["seller_type"]} == {"artisan", "shg", "cooperative"}
    assert ids(await find(client, sort="price_asc"))[0] == catalog.cheap_glass.id
    assert ids(await find(client, sort="price_desc"))[0] == catalog.kanchi.id


async def test_pagination(client: httpx.AsyncClient, catalog: Catalog) -> None:
    first = await find(client, per_page=2, sort="price_asc")
    second = await find(client, per_page=2, page=2, sort="price_asc")
    assert first["total"] == second["total"] == 5
    assert len(first["hits"]) == len(second["hits"]) == 2
    assert not set(ids(first)) & set(ids(second))


async def test_matched_words_are_highlighted_and_html_escaped(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    hit = (await find(client, q="bangles"))["hits"][0]
    assert "<mark>Bangles</mark>" in hit["title_html"]
    assert "&lt;set of 12&gt;" in hit["title_html"]


async def test_bad_input_is_text_not_syntax(client: httpx.AsyncClient, catalog: Catalog) -> None:
    for query in ['"glass', "glass OR toys", "NEAR(glass toys)", "glass*", "'; DROP TABLE x; --"]:
        await find(client, q=query)
    assert catalog.glass.id in ids(await find(client, q='"firozabad" AND glass'))
    long_query = "glass " * 2000
    assert catalog.glass.id in ids(await find(client, q=long_query))


async def test_bad_parameters_are_422_json(client: httpx.AsyncClient, catalog: Catalog) -> None:
    for params in (
        {"page": "0"},
        {"sort": "cheapest"},
        {"min_price": "-1"},
        {"colour": "red"},
        {"min_price": "5", "max_price": "1"},
    ):
        response = await client.get("/api/v1/search", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_failed"
    response = await client.get("/api/v1/search", params={"min_price": "1", "currency": "XYZ"})
    assert response.status_code == 422


async def test_suggestions_as_you_type(client: httpx.AsyncClient, catalog: Catalog) -> None:
    response = await client.get("/api/v1/search/suggest", params={"q": "chann"})
    assert response.json()["suggestions"] == ["Channapatna Wooden Toys"]
    assert (await client.get("/api/v1/search/suggest")).json()["suggestions"] == []


async def test_exact_words_rank_above_prefixes_and_typos(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    from app.catalog.search import service
    from tests import factories

    owner = await factories.seller(db)
    misspelt = await factories.listing(db, owner, title="Kalamkaari Paintings")
    exact = [await factories.listing(db, owner, title=f"Kalamkari Paintings {n}") for n in range(3)]
    teak = await factories.listing(db, owner, title="Teak Tray")
    tea = await factories.listing(db, owner, title="Tea Tray")
    ids_ = [misspelt.id, teak.id, tea.id, *(e.id for e in exact)]
    await service.sync_listings(db, ids_, settings)
    await db.commit()
    # A word the index has is not "corrected" into another one.
    assert set(ids(await find(client, q="kalamkari"))) == {e.id for e in exact}
    # A word it lacks matches within its typo budget.
    assert set(ids(await find(client, q="kalamkarri"))) == {misspelt.id, *(e.id for e in exact)}
    # The exact word before the words it is a prefix of.
    assert ids(await find(client, q="tea"))[:2] == [tea.id, teak.id]


async def test_a_suspended_seller_disappears_from_search(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, catalog: Catalog
) -> None:
    from app.sellers.models import Seller, SellerStatus

    seller = await db.get(Seller, catalog.glass.seller_id)
    assert seller is not None
    seller.status = SellerStatus.SUSPENDED
    seller_events.seller_changed(db, seller.id)
    await db.commit()
    await jobs.run_until_idle()
    found = ids(await find(client, q="glass"))
    assert catalog.glass.id not in found and catalog.cheap_glass.id not in found


async def test_database_facets_are_capped_and_cut_to_the_most_frequent(
    client: httpx.AsyncClient, catalog: Catalog, search_backend: str, monkeypatch: Any
) -> None:
    if search_backend != "database":
        pytest.skip("FACET_CAP and FACET_LIMIT are the database backend's")
    from app.catalog.search import database

    monkeypatch.setattr(database, "FACET_LIMIT", 1)
    body = await find(client)
    assert body["total"] == 5 and body["total_is_exact"]
    assert body["facets"]["state"] == [
        {"value": "uttar-pradesh", "label": "Uttar Pradesh", "count": 3}
    ]
    monkeypatch.setattr(database, "FACET_LIMIT", 30)
    monkeypatch.setattr(database, "FACET_CAP", 4)
    body = await find(client, q="silk")  # a new query: the cached one above still stands
    assert body["total"] == 2 and body["total_is_exact"] and not body["facets_approximate"]
    body = await find(client, sort="newest")
    assert body["total"] == 4 and not body["total_is_exact"] and body["facets_approximate"]
    assert sum(f["count"] for f in body["facets"]["state"]) == 4
    # The page does not claim a count it did not make: facet counts read "N+".
    page = await client.get("/search", params={"sort": "newest"})
    assert "Products found: more than 4" in page.text
    assert "+)</span>" in page.text and "counted over the first 4 matches only" in page.text
    page = await client.get("/search", params={"q": "silk"})
    assert "Products found: 2" in page.text
    assert "+)</span>" not in page.text and "counted over the first" not in page.text
    # A ticked State's own counts come from a pass without that filter: 3 hits in the State,
    # but its other values are counted over all 5 listings, capped at 4.
    body = await find(client, state="uttar-pradesh", sort="price_asc")
    assert body["total"] == 3 and body["total_is_exact"] and body["facets_approximate"]
    monkeypatch.setattr(database, "FACET_CAP", 6)
    body = await find(client, state="uttar-pradesh", sort="price_desc")
    assert body["total"] == 3 and not body["facets_approximate"]


async def test_a_place_is_a_preference_and_the_page_says_so(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    body = await find(client, q="varanasi silk")
    assert ids(body)[0] == catalog.saree.id and catalog.kanchi.id in ids(body)
    assert body["preferring"][0]["district"] == "uttar-pradesh/varanasi"
    page = await client.get("/search", params={"q": "varanasi silk"})
    assert "Silk, preferring Varanasi, Uttar Pradesh" in page.text
    assert "district=uttar-pradesh%2Fvaranasi" in page.text
    body = await find(client, q="glass zzqx")
    assert ids(body) and body["ignored"] == ["zzqx"]
    # A word relaxation dropped is not part of the understood query, nor of the "only" link.
    page = await client.get("/search", params={"q": "varanasi zzqx silk"})
    assert "Silk, preferring Varanasi, Uttar Pradesh" in page.text
    assert "ignored: zzqx" in page.text
    assert "q=silk&amp;district=uttar-pradesh%2Fvaranasi" in page.text


async def test_values_within_a_facet_are_ored_and_count_what_they_would_add(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    one = await find(client, state="uttar-pradesh")
    assert one["total"] == 3
    # Ticking a State leaves the other States on offer, each with the hits it would add.
    states = {f["value"]: f["count"] for f in one["facets"]["state"]}
    assert states == {"uttar-pradesh": 3, "karnataka": 1, "tamil-nadu": 1}
    # Other facets count within the selection.
    assert {f["value"] for f in one["facets"]["district"]} == {
        "uttar-pradesh/firozabad",
        "uttar-pradesh/varanasi",
    }
    two = await find(client, state=["uttar-pradesh", "karnataka"])
    assert two["total"] == 4
    narrowed = await find(client, state=["uttar-pradesh", "karnataka"], seller_type="shg")
    assert ids(narrowed) == [catalog.saree.id]
    states = {f["value"]: f["count"] for f in narrowed["facets"]["state"]}
    assert states == {"uttar-pradesh": 1}  # the other filters still apply
