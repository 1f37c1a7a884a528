"""The search page without JavaScript, in English and Hindi, and the admin's synonym page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.catalog.search import service
from app.jobs import JobRunner
from app.listings import events
from app.listings.models import ListingStatus
from app.rates import service as currency
from tests import factories
from tests.catalog.search.conftest import Catalog
from tests.helpers import post_form


async def test_results_page_with_facets_as_plain_form(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    page = await client.get("/search", params={"q": "glas"})
    assert page.status_code == 200
    html = page.text
    assert "Firozabad <mark>Glass</mark> Bangles &lt;set of 12&gt;" in html
    assert re.search(r'name="state"\s+value="uttar-pradesh"', html)
    assert re.search(r'name="district"\s+value="uttar-pradesh/firozabad"', html)
    narrowed = await client.get(
        "/search", params={"q": "", "state": "karnataka", "sort": "price_asc"}
    )
    assert "Channapatna Wooden Toys" in narrowed.text
    assert "Banarasi Silk" not in narrowed.text
    assert re.search(r'value="karnataka"\s+checked', narrowed.text)


async def test_bad_page_parameters_are_ignored_not_errors(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    page = await client.get("/search", params={"q": "toys", "page": "x", "min_price": "-5"})
    assert page.status_code == 200
    assert "Some filters were not valid" in page.text
    assert "Channapatna" in page.text
    # A range upside down drops its upper bound (reported) and keeps the lower one.
    page = await client.get("/search", params={"q": "toys", "min_price": "100", "max_price": "5"})
    assert page.status_code == 200
    assert "Some filters were not valid" in page.text
    assert 'name="min_price"' in page.text and 'value="100"' in page.text


async def test_results_page_in_hindi(client: httpx.AsyncClient, catalog: Catalog) -> None:
    client.cookies.set("odop_lang", "hi")
    page = await client.get("/search", params={"q": "बनारसी"})
    assert "फ़िल्टर लगाएँ" in page.text
    assert "<mark>Banarasi</mark> Silk Saree" in page.text
    # Facets name States and categories in Hindi, as the catalog pages do.
    assert "उत्तर प्रदेश" in page.text


async def test_admin_extends_synonyms_and_search_uses_them(
    client: httpx.AsyncClient,
    db: AsyncSession,
    catalog: Catalog,
    sign_in: Callable[[User], Awaitable[str]],
) -> None:
    assert (await client.get("/api/v1/search", params={"q": "kanch"})).json()["total"] >= 0
    buyer = await factories.user(db)
    await sign_in(buyer)
    assert (await client.get("/admin/search/synonyms")).status_code == 403
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)
    page = await client.get("/admin/search/synonyms")
    assert page.status_code == 200 and "kanjeevaram" in page.text
    failed = await post_form(client, "/admin/search/synonyms", {"words": "lonely"})
    assert failed.status_code == 422 and 'value="lonely"' in failed.text
    assert (await client.get("/api/v1/search", params={"q": "bomma"})).json()["total"] == 0
    added = await post_form(client, "/admin/search/synonyms", {"words": "bomma, wooden"})
    assert added.status_code == 303
    hits = (await client.get("/api/v1/search", params={"q": "bomma"})).json()["hits"]
    assert [h["id"] for h in hits] == [catalog.toys.id]


async def test_a_foreign_buyer_sees_and_filters_prices_in_their_currency(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog
) -> None:
    await currency.set_rate(db, "USD", Decimal("80"), date(2026, 11, 1), supported=["USD"])
    await db.commit()
    client.cookies.set("odop_currency", "USD")
    page = (await client.get("/search", params={"q": "toys"})).text
    assert "$5.63" in page  # ₹450 / 80, rounded half up
    assert "Price (USD)" in page and 'name="currency" value="USD"' in page
    assert "Individual artisan" in page or "Self-help group (SHG)" in page  # labels, not codes
    cheap = (await client.get("/search", params={"q": "", "max_price": "6"})).text
    assert "Channapatna Wooden Toys" in cheap  # $5.63
    assert "Kanchipuram Silk Sari" not in cheap  # $300


async def test_the_search_api_is_documented_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/search"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SearchResponse"}
    response = spec["components"]["schemas"]["SearchResponse"]["properties"]
    assert {"hits", "total", "facets", "applied"} <= set(response)
    params = {p["name"] for p in operation["parameters"]}
    assert {"q", "state", "district", "gi", "category", "min_price", "sort", "page"} <= params


async def test_a_search_that_finds_nothing_suggests_what_to_try(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    page = await client.get("/search", params={"q": "firozaabaad glasss"})
    assert page.status_code == 200
    assert "Nothing matched" not in page.text  # within typo tolerance
    page = await client.get("/search", params={"q": "firozabadxyz glazz"})
    assert "Nothing matched" in page.text
    # The closest indexed word, the GI tag and district with a near name, popular categories.
    assert "?q=glass" in page.text
    assert "gi=firozabad-glass" in page.text
    assert "district=uttar-pradesh%2Ffirozabad" in page.text
    assert "Popular categories" in page.text


async def test_no_hit_suggestions_name_only_gi_tags_that_listings_still_carry(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, catalog: Catalog
) -> None:
    """The database backends read the GI tags from the index's facet combinations: one whose
    listings all left the index stays in that table but is no longer suggested."""
    for listing in (catalog.glass, catalog.cheap_glass):
        listing.status = ListingStatus.UNPUBLISHED
        events.listing_changed(db, listing.id)
    await db.commit()
    await jobs.run_until_idle()
    service.clear_reference_caches()
    page = await client.get("/search", params={"q": "firozabadxyz glazz"})
    assert "Nothing matched" in page.text
    assert "gi=firozabad-glass" not in page.text
    assert "district=uttar-pradesh%2Ffirozabad" in page.text  # places are reference data
