from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service
from app.rates import service as currency
from tests import factories
from tests.catalog.conftest import Catalog

USD = "odop_currency"
DOMAIN = "testserver.local"


def cards(html: str) -> list[str]:
    return re.findall(r'<article class="card">.*?</article>', html, re.S)


async def test_home_features_districts_and_gi_with_public_listings(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/")).text
    assert 'href="/states/uttar-pradesh/firozabad"' in html
    assert 'href="/states/goa/north-goa"' in html
    # Only the listing of the seller verified for the GI counts towards the GI.
    featured_gi = html.split('id="featured-gi-heading"')[1].split("</section>")[0]
    assert 'href="/gi/firozabad-glass"' in featured_gi and "Products: 1" in featured_gi
    for goods_class in ("handicraft", "agricultural", "foodstuff", "manufactured", "natural"):
        assert f"/gi?goods_class={goods_class}" in html
    assert 'href="/categories/pottery-glass"' in html
    assert 'role="search"' in html
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in html


async def test_state_page_counts_public_listings_per_district(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/states/uttar-pradesh")).text
    firozabad = html.split('href="/states/uttar-pradesh/firozabad"')[1].split("</li>")[0]
    assert "Products: 2" in firozabad  # the draft and the suspended seller's listing are hidden


async def test_district_page_shows_odop_story_gi_link_and_public_listings(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/states/uttar-pradesh/firozabad")).text
    assert "Firozabad Glass" in html and 'href="/gi/firozabad-glass"' in html
    titles = [re.search(r"<h3>(.*?)</h3>", c).group(1) for c in cards(html)]  # type: ignore[union-attr]
    assert titles == ["Glass vase", "Blue glass bangles"]  # newest first
    bangles = next(c for c in cards(html) if "Blue glass bangles" in c)
    vase = next(c for c in cards(html) if "Glass vase" in c)
    assert "badge-gi" in bangles and "badge-gi" not in vase
    assert (
        'src="/media/demo/bangles-thumb.jpg"' in bangles and 'alt="Blue glass bangles on' in bangles
    )
    assert "₹845.00" in bangles and "Firozabad" in bangles


async def test_district_filters_and_sorts_stay_in_the_url(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    url = "/states/uttar-pradesh/firozabad"

    async def listings_of(query: str) -> str:
        # The ODOP product cards above show a photo of the best listing whatever the filters.
        html = (await client.get(f"{url}?{query}")).text
        return html.split('id="listings-heading"', 1)[1]

    cheap_first = await listings_of("sort=price_asc")
    assert cheap_first.index("Blue glass bangles") < cheap_first.index("Glass vase")
    ranged = await listings_of("min_price=1000&max_price=3000")
    assert "Glass vase" in ranged and "Blue glass bangles" not in ranged
    export = await listings_of("export_ready=1")
    assert "Blue glass bangles" in export and "Glass vase" not in export
    assert 'name="export_ready"\n' in export or "checked" in export
    junk = await client.get(f"{url}?sort=nonsense&min_price=abc&after=%%%&page=x")
    assert junk.status_code == 200 and len(cards(junk.text)) == 2


async def test_pagination_is_keyset_and_keeps_filters(
    client: httpx.AsyncClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PAGE_SIZE", 1)
    first = (await client.get("/states/uttar-pradesh/firozabad?sort=price_desc")).text
    assert len(cards(first)) == 1 and "Glass vase" in first
    next_href = re.search(r'rel="next"\s+href="([^"]+)"', first)
    assert next_href is not None
    href = next_href.group(1).replace("&amp;", "&")
    assert "sort=price_desc" in href and "after=" in href
    second = (await client.get(href)).text
    assert "Blue glass bangles" in second and "Glass vase" not in second
    assert "First page" in second


async def test_gi_page_lists_only_sellers_verified_for_the_gi(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    response = await client.get("/gi/firozabad-glass")
    assert response.status_code == 200
    assert "Blue glass bangles" in response.text and "Glass vase" not in response.text
    assert 'href="/states/uttar-pradesh"' in response.text
    assert 'href="/states/uttar-pradesh/firozabad"' in response.text


async def test_gi_directory_filters_by_state_and_goods_class(client: httpx.AsyncClient) -> None:
    html = (await client.get("/gi?state=uttar-pradesh&goods_class=handicraft&show=all")).text
    assert 'href="/gi/firozabad-glass"' in html
    assert 'href="/gi/darjeeling-tea"' not in html
    tea = (await client.get("/gi?goods_class=agricultural&state=west-bengal&show=all")).text
    assert 'href="/gi/darjeeling-tea"' in tea and 'href="/gi/firozabad-glass"' not in tea
    everything = await client.get("/gi?goods_class=bogus&state=nowhere&page=-3&show=all")
    assert everything.status_code == 200 and "Page 1 of" in everything.text


async def test_category_page(client: httpx.AsyncClient, catalog: Catalog) -> None:
    html = (await client.get("/categories/pottery-glass")).text
    assert "Blue glass bangles" in html and "Goan cashews" not in html
    missing = await client.get("/categories/potery-glass")
    assert missing.status_code == 404 and 'href="/categories/pottery-glass"' in missing.text


async def test_product_page_shows_everything_a_buyer_needs(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    response = await client.get("/products/blue-glass-bangles")
    html = response.text
    assert response.status_code == 200
    for expected in (
        "₹845.00",  # price
        "₹700.00",  # bulk tier
        "100 or more",
        "Minimum order</dt>",
        "per piece",
        "Price includes GST at",
        "Dispatched within",
        "In stock",
        "HS code 701890",
        "Across India and to United States, United Kingdom",  # countries by name
        'href="/sellers/',  # the seller's public page
        "Kanch Artisans",
        "Verified seller",
        'href="/gi/firozabad-glass"',
        'href="/states/uttar-pradesh/firozabad"',
        'action="/cart/add"',  # a working add-to-cart form
        'srcset="/media/demo/bangles-thumb.jpg 400w, /media/demo/bangles.jpg 800w"',
    ):
        assert expected in html, expected
    assert 'name="csrf_token"' not in html  # the page stays cacheable (see docs/orders.md)
    assert '<meta property="og:type" content="product">' in html
    data = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert data["@type"] == "Product"
    assert data["offers"]["price"] == "845.00" and data["offers"]["priceCurrency"] == "INR"
    assert data["brand"]["name"] == "Kanch Artisans"
    address = data["locationCreated"]["address"]
    assert (address["addressLocality"], address["addressRegion"]) == ("Firozabad", "Uttar Pradesh")
    assert address["addressCountry"] == "IN"
    assert any(p["name"] == "Geographical Indication" for p in data["additionalProperty"])


async def test_gi_badge_only_when_the_sellers_claim_is_verified(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/products/glass-vase")).text
    assert 'href="/gi/firozabad-glass"' not in html
    assert "Geographical Indication" not in html.split("application/ld+json")[1]


async def test_hidden_listings_are_404_with_suggestions(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    for listing in catalog.hidden:
        assert (await client.get(f"/products/{listing.slug}")).status_code == 404
    response = await client.get("/products/blue-glass-bangle")
    assert response.status_code == 404
    assert 'href="/products/blue-glass-bangles"' in response.text
    gi = await client.get("/gi/firozabad-glas")
    assert gi.status_code == 404 and 'href="/gi/firozabad-glass"' in gi.text


async def test_prices_in_the_buyers_currency_with_the_rate_date(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog
) -> None:
    await currency.set_rate(db, "USD", Decimal("84.5"), date(2026, 11, 1), supported=["USD"])
    await db.commit()
    client.cookies.set(USD, "USD", domain=DOMAIN)
    html = (await client.get("/products/blue-glass-bangles")).text
    assert "$10.00" in html  # ₹845 / 84.5
    assert "₹84.5 per USD (rate of 2026-11-01)" in html
    page = (await client.get("/states/uttar-pradesh/firozabad?min_price=20")).text
    listing = page.split('id="listings-heading"', 1)[1]  # below the ODOP product cards
    assert "Glass vase" in listing and "Blue glass bangles" not in listing  # $20 = ₹1690


async def test_hindi_pages_use_hindi_reference_names(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    client.cookies.set("odop_lang", "hi", domain=DOMAIN)
    html = (await client.get("/states/uttar-pradesh")).text
    assert '<html lang="hi">' in html
    assert "उत्तर प्रदेश" in html
    assert "उत्पाद: 2" in html


async def test_robots_and_sitemaps(client: httpx.AsyncClient, catalog: Catalog) -> None:
    robots = (await client.get("/robots.txt")).text
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots and "Disallow: /api/" in robots
    index = (await client.get("/sitemap.xml")).text
    assert "<sitemapindex" in index
    assert "/sitemaps/places.xml" in index and "/sitemaps/products-0.xml" in index
    places = (await client.get("/sitemaps/places.xml")).text
    assert "/states/uttar-pradesh/firozabad</loc>" in places and "/gi/firozabad-glass<" in places
    products = (await client.get("/sitemaps/products-0.xml")).text
    assert "/products/blue-glass-bangles</loc>" in products
    assert all(f"/products/{x.slug}<" not in products for x in catalog.hidden)
    assert (await client.get("/sitemaps/other.xml")).status_code == 404


async def test_pages_are_gzipped_and_static_files_cached(client: httpx.AsyncClient) -> None:
    page = await client.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    css = await client.get("/static/css/site.css?v=1")
    assert css.headers["etag"] and "immutable" in css.headers["cache-control"]
    again = await client.get(
        "/static/css/site.css?v=1", headers={"if-none-match": css.headers["etag"]}
    )
    assert again.status_code == 304


async def test_a_full_district_page_stays_under_100_kb_before_images(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await factories.seller(db)
    for n in range(service.PAGE_SIZE + 1):
        await factories.listing(db, owner, title=f"Hand-blown glass lamp number {n} " * 4)
    await db.commit()
    page = await client.get("/states/uttar-pradesh/firozabad")
    assert len(cards(page.text)) == service.PAGE_SIZE
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assets = [await client.get(href) for href in [*stylesheets, *scripts]]
    assert stylesheets and all(asset.status_code == 200 for asset in assets)
    assert len(page.content) + sum(len(asset.content) for asset in assets) <= 100_000


async def test_json_ld_cannot_be_broken_out_of(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await factories.seller(db, display_name="</script><script>alert(1)</script>")
    await factories.listing(db, owner, slug="sneaky", title="Vase </script><b>bold</b>")
    await db.commit()
    html = (await client.get("/products/sneaky")).text
    block = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert json.loads(block)["brand"]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in html


async def test_stock_states(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await factories.seller(db)
    await factories.listing(db, owner, slug="made", made_to_order=True, stock=0)
    await factories.listing(db, owner, slug="gone", stock=0)
    await db.commit()
    made = (await client.get("/products/made")).text
    gone = (await client.get("/products/gone")).text
    assert "Made to order" in made and "schema.org/InStock" in made
    assert "Out of stock" in gone and "schema.org/OutOfStock" in gone
