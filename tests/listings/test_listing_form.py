"""The listing form on a phone (issue 14): an error summary linking to each field, bulk prices as
rows, photos on the first save, Publish explained while the seller is unverified, units."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.listings.models import Listing
from app.listings.views import tier_rows
from app.sellers.models import SellerStatus
from tests.factories import onboarded_seller, verified_seller
from tests.helpers import csrf_token
from tests.sellers import files

SignIn = Callable[[User], Awaitable[str]]


def test_tier_text_becomes_rows_with_room_for_more() -> None:
    assert tier_rows("10:1100, 50:1000") == [("10", "1100"), ("50", "1000"), ("", "")]
    assert tier_rows("") == [("", ""), ("", ""), ("", "")]


async def test_a_failed_save_shows_a_summary_linking_to_each_field(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, _seller = await verified_seller(db, settings)
    await sign_in(owner)
    form = await client.get("/seller/listings/new")
    assert 'enctype="multipart/form-data"' in form.text and 'name="photos"' in form.text
    assert form.text.count('name="tier_quantity"') == 3 and 'inputmode="numeric"' in form.text
    assert "data-error-summary" not in form.text
    response = await client.post(
        "/seller/listings/new",
        data={
            "csrf_token": await csrf_token(client),
            "title": "Vase",
            "price_inr": "cheap",
            "moq": "0",
            "tier_quantity": ["10", ""],
            "tier_price": ["", ""],
        },
    )
    assert response.status_code == 422
    html = response.text
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary
    for field in ("price_inr", "moq", "price_tiers"):
        assert f'href="#f-{field}"' in summary
        assert f'id="f-{field}"' in html  # each link lands on its field
    assert html.index("error-summary") < html.index("<h1>")
    assert 'value="10"' in html  # the half-filled row is kept
    assert 'value="Vase"' in html


async def test_tier_rows_save_as_bulk_prices(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    await sign_in(owner)
    response = await client.post(
        "/seller/listings/new",
        data={
            "csrf_token": await csrf_token(client),
            "title": "Brass diya",
            "price_inr": "250",
            "moq": "2",
            "unit": "pair",
            "tier_quantity": ["50", "10", ""],
            "tier_price": ["200", "230", ""],
        },
    )
    assert response.status_code == 303
    listing = await db.scalar(
        select(Listing)
        .where(Listing.seller_id == seller.id, Listing.title == "Brass diya")
        .execution_options(populate_existing=True)
    )
    assert listing is not None and listing.unit == "pair"
    edit = (await client.get(response.headers["location"])).text
    assert 'value="10"' in edit and 'value="230.00"' in edit and 'value="50"' in edit
    assert '<option value="pair" selected>' in edit


async def test_photos_can_be_added_on_the_first_save(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    await sign_in(owner)
    response = await client.post(
        "/seller/listings/new",
        data={"csrf_token": await csrf_token(client), "title": "Glass lamp", "price_inr": "900"},
        files=[("photos", ("lamp.png", files.png(), "image/png"))],
    )
    assert response.status_code == 303
    edit = (await client.get(response.headers["location"])).text
    assert "with its photos" in edit and 'class="photo-list"' in edit and "/media/" in edit
    bad = await client.post(
        "/seller/listings/new",
        data={"csrf_token": await csrf_token(client), "title": "Glass cup", "price_inr": "90"},
        files=[("photos", ("cup.png", b"not an image", "image/png"))],
    )
    assert bad.status_code == 422 and 'href="#f-photos"' in bad.text
    # The listing itself was saved; only the photo needs another go.
    saved = await db.scalar(
        select(Listing).where(Listing.seller_id == seller.id, Listing.title == "Glass cup")
    )
    assert saved is not None


async def test_publish_is_disabled_and_explained_until_the_seller_is_verified(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings)
    assert seller.status == SellerStatus.SUBMITTED
    await sign_in(owner)
    response = await client.post(
        "/seller/listings/new",
        data={"csrf_token": await csrf_token(client), "title": "Glass bowl", "price_inr": "450"},
    )
    assert response.status_code == 303
    edit = (await client.get(response.headers["location"])).text
    assert '<button type="button" disabled aria-describedby="publish-note">' in edit
    assert "You can publish once we have verified your seller account" in edit
    assert "/publish" not in edit
