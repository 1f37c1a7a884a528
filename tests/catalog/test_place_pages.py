from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.sellers.models import SellerStatus
from tests import factories


async def test_home_lists_every_state_and_union_territory(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'lang="en"' in response.text
    assert response.text.count('href="/states/') == 36
    assert "Uttar Pradesh" in response.text and "Ladakh" in response.text


async def test_state_page_lists_districts_with_their_odop_product(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/states/uttar-pradesh")
    assert response.status_code == 200
    assert 'href="/states/uttar-pradesh/firozabad"' in response.text
    assert "Firozabad Glass" in response.text


async def test_district_page_shows_only_listings_of_verified_sellers(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    verified = await factories.seller(db)
    pending = await factories.seller(db, status=SellerStatus.SUBMITTED)
    await factories.listing(db, verified, title="Blue glass bangles")
    await factories.listing(db, pending, title="Unverified vase")
    await db.commit()
    response = await client.get("/states/uttar-pradesh/firozabad")
    assert response.status_code == 200
    assert "Blue glass bangles" in response.text
    assert "Unverified vase" not in response.text


async def test_unknown_district_gets_a_helpful_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/states/uttar-pradesh/firozbad")
    assert response.status_code == 404
    assert 'href="/states/uttar-pradesh/firozabad"' in response.text


async def test_unknown_state_suggests_near_matches(client: httpx.AsyncClient) -> None:
    response = await client.get("/states/utar-pradesh")
    assert response.status_code == 404
    assert 'href="/states/uttar-pradesh"' in response.text


async def test_api_errors_are_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_malformed_page_parameter_is_ignored_on_pages(client: httpx.AsyncClient) -> None:
    response = await client.get("/states/uttar-pradesh/firozabad?page=abc")
    assert response.status_code == 200


async def test_unexpected_errors_render_a_500_page_without_details(app: FastAPI) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert response.headers["x-request-id"] in response.text


async def test_static_files_have_etags_and_cache_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert "/static/css/site.css?v=" in page.text
    response = await client.get("/static/css/site.css?v=1")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    again = await client.get(
        "/static/css/site.css?v=1", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
