"""Public pages read only what they show: never a seller's private columns, and listings by
column, in a fixed number of statements per page."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.catalog.cache import TtlCache
from app.catalog.service import Prices
from app.rates.service import format_minor
from app.sellers.models import Seller
from tests.catalog.conftest import Catalog
from tests.helpers import recorded_statements

PRIVATE_SELLER_COLUMNS = (
    "legal_name",
    "address",
    "pin_code",
    "phone",
    "email",
    "pan",
    "gstin",
    "udyam_number",
    "cin",
    "nrlm_shg_id",
    "pehchan_card",
    "bank_account_holder",
    "bank_ifsc",
    "bank_account_encrypted",
    "bank_account_last4",
    "status_reason",
)
# "sellers.pan" or an alias of the table, "sellers_1.pan"
PRIVATE = re.compile(rf"\bsellers(?:_\d+)?\.({'|'.join(PRIVATE_SELLER_COLUMNS)})\b")
# Listing columns no public page shows: an ORM load of whole listing rows would name them.
UNSHOWN_LISTING = re.compile(
    r"\blistings(?:_\d+)?\.(weekly_capacity|dimensions_mm|member_id|is_demo|created_at)\b"
)

PUBLIC_PAGES = [
    "/",
    "/states/uttar-pradesh",
    "/states/uttar-pradesh/firozabad",
    "/gi",
    "/gi/firozabad-glass",
    "/categories/handicrafts",
    "/products/blue-glass-bangles",
    "/products/goan-cashews",
    "/api/v1/listings",
    "/api/v1/listings/blue-glass-bangles",
]
HTML_PAGES_READ_BY_COLUMN = [
    "/states/uttar-pradesh/firozabad",
    "/gi/firozabad-glass",
    "/products/blue-glass-bangles",
]
# Statements per page once the catalog cache is warm: the product page reads the listing (with
# its seller's public columns and the GI check), its photos and its bulk prices; a district page
# only its listing cards (its ODOP cards' figures are cached for every product at once).
WARM_BUDGET = {
    "/products/blue-glass-bangles": 3,
    "/states/uttar-pradesh/firozabad": 1,
    "/gi/firozabad-glass": 1,
}


def test_the_patterns_catch_what_an_orm_load_would_read() -> None:
    whole_seller = str(select(Seller).compile())
    assert PRIVATE.search(whole_seller)
    assert PRIVATE.search("SELECT sellers_1.gstin FROM sellers AS sellers_1")
    assert not PRIVATE.search("SELECT sellers.display_name, sellers.slug FROM sellers")
    assert UNSHOWN_LISTING.search("SELECT listings.is_demo FROM listings")


@pytest.fixture
async def private_seller(db: AsyncSession, catalog: Catalog) -> None:
    await db.execute(
        update(Seller)
        .where(Seller.id == catalog.glass_verified.seller_id)
        .values(
            pan="ABCPQ1234Z",
            gstin="09ABCPQ1234Z1Z5",
            bank_account_last4="9876",
            phone="+919812345678",
            legal_name="Private Legal Name Pvt Ltd",
        )
    )
    await db.commit()


@pytest.mark.usefixtures("private_seller")
async def test_no_public_page_reads_or_shows_a_sellers_private_fields(
    app: FastAPI, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    cache: TtlCache = app.state.catalog_cache
    cache.clear()
    for path in PUBLIC_PAGES:
        with recorded_statements(engine) as statements:
            response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        read = [s for s in statements if PRIVATE.search(s)]
        assert read == [], (path, read)
        for secret in ("ABCPQ1234Z", "9876", "9812345678", "Private Legal Name"):
            assert secret not in response.text, (path, secret)
    seller_page = await client.get("/products/blue-glass-bangles")
    assert "Kanch Artisans" in seller_page.text  # the public name is there


@pytest.mark.usefixtures("catalog")
async def test_html_pages_read_listings_by_column_in_a_fixed_number_of_statements(
    app: FastAPI, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    cache: TtlCache = app.state.catalog_cache
    cache.clear()
    for path in HTML_PAGES_READ_BY_COLUMN:
        assert (await client.get(path)).status_code == 200  # fills the catalog cache
        with recorded_statements(engine) as statements:
            response = await client.get(path)
        assert response.status_code == 200
        whole_rows = [s for s in statements if UNSHOWN_LISTING.search(s)]
        assert whole_rows == [], (path, whole_rows)
        queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        if path in WARM_BUDGET:
            assert len(queries) == WARM_BUDGET[path], (path, queries)


@pytest.mark.parametrize("language", ["en", "hi"])
def test_rupee_prices_read_as_babel_formats_them(language: str) -> None:
    prices = Prices("INR", language, None)
    for paise in (0, 5, 100, 84_500, 12_345_678, 99_999_999_999, 7, 1_000_000_000):
        assert prices(paise) == format_minor(paise, "INR", language)
