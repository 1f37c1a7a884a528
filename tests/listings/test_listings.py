"""Seller listings through the dashboard, the CSV import/export and the JSON API."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.config import Settings
from app.listings import repository as listing_repository
from app.listings import service as listings
from app.listings.models import Listing, ListingStatus
from app.sellers import repository, service
from app.sellers.models import ClaimStatus
from app.storage import LocalStorage
from tests import factories
from tests.factories import onboarded_seller, verified_seller
from tests.helpers import csrf_token, post_form
from tests.sellers import files

SignIn = Callable[[User], Awaitable[str]]
FORM: dict[str, str | list[str]] = {
    "title": "Blue glass bangles, set of 12",
    "description": "Hand-made in Firozabad.",
    "price_inr": "1,250.50",
    "price_tiers": "20:1100, 100:999.50",
    "moq": "2",
    "stock": "40",
    "sku": "BANG-12",
    "hsn_code": "7018",
    "gst_rate": "12",
    "weight_grams": "300",
    "dimensions_mm": "200 x 100 x 50",
    "export_ready": "yes",
    "hs_code": "701810",
    "ships_to": "us, gb",
    "lead_time_days": "5",
}


async def count_listings(db: AsyncSession, seller_id: int) -> int:
    return (
        await db.scalar(
            select(func.count()).select_from(Listing).where(Listing.seller_id == seller_id)
        )
    ) or 0


async def test_create_edit_publish_and_show_on_the_district_page(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    await sign_in(owner)
    bad = await post_form(client, "/seller/listings/new", {**FORM, "price_inr": "NaN"})
    assert bad.status_code == 422
    assert "Enter the price in rupees" in bad.text and "Blue glass bangles" in bad.text

    created = await post_form(client, "/seller/listings/new", FORM)
    assert created.status_code == 303
    listing_id = int(created.headers["location"].rsplit("/", 1)[1])
    listing = await listing_repository.owned_listing(db, seller.id, listing_id)
    assert listing is not None
    assert (listing.price_paise, listing.moq, listing.gst_rate_bp) == (125_050, 2, 1200)
    assert [(t.min_quantity, t.price_paise) for t in listing.price_tiers] == [
        (20, 110_000),
        (100, 99_950),
    ]
    assert listing.ships_to == ["GB", "US"] and listing.dimensions_mm == "200x100x50"
    assert listing.status == ListingStatus.DRAFT

    photo = await client.post(
        f"/seller/listings/{listing_id}/photos",
        data={"csrf_token": await csrf_token(client)},
        files=[
            ("photos", ("a.jpg", files.jpeg_with_gps_exif(800, 600), "image/jpeg")),
            ("photos", ("b.png", files.png(300, 300), "image/png")),
        ],
    )
    assert photo.status_code == 303
    listing = await listing_repository.owned_listing(db, seller.id, listing_id)
    assert listing is not None and len(listing.images) == 2
    storage = LocalStorage(settings.media_dir / "public")
    first = Image.open(io.BytesIO(storage.read(listing.images[0].storage_key)))
    assert first.format == "JPEG" and not first.getexif()
    second_id = listing.images[1].id
    moved = await post_form(
        client, f"/seller/listings/{listing_id}/photos/{second_id}/move", {"direction": "up"}
    )
    assert moved.status_code == 303
    listing = await listing_repository.owned_listing(db, seller.id, listing_id)
    assert listing is not None and listing.images[0].id == second_id

    published = await post_form(client, f"/seller/listings/{listing_id}/publish")
    assert published.status_code == 303
    place = await factories.district(db)
    page = await client.get(f"/states/uttar-pradesh/{place.slug}")
    assert "Blue glass bangles, set of 12" in page.text
    assert listing.images[0].thumb_key in page.text

    await post_form(client, f"/seller/listings/{listing_id}/unpublish")
    page = await client.get(f"/states/uttar-pradesh/{place.slug}")
    assert "Blue glass bangles, set of 12" not in page.text

    copy = await post_form(client, f"/seller/listings/{listing_id}/duplicate")
    assert copy.status_code == 303
    assert await count_listings(db, seller.id) == 2
    deleted = await post_form(client, f"/seller/listings/{listing_id}/delete")
    assert deleted.status_code == 303
    assert await count_listings(db, seller.id) == 1


async def test_unverified_sellers_draft_but_cannot_publish(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    created = await post_form(client, "/seller/listings/new", FORM)
    assert created.status_code == 303
    listing_id = int(created.headers["location"].rsplit("/", 1)[1])
    refused = await post_form(client, f"/seller/listings/{listing_id}/publish")
    assert refused.status_code == 409
    listing = await listing_repository.owned_listing(db, seller.id, listing_id)
    assert listing is not None and listing.status == ListingStatus.DRAFT


async def test_a_gi_tag_needs_a_verified_claim(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    tags = await repository.gi_tags_for_place(db, seller.state_id, seller.district_id)
    storage = LocalStorage(settings.media_dir / "private")
    claim = await service.add_gi_claim(
        db,
        settings,
        storage,
        seller,
        gi_tag_id=tags[0].id,
        authorised_user_number="AU-1",
        certificate_name="c.pdf",
        certificate=files.pdf(),
    )
    await sign_in(owner)
    refused = await post_form(
        client, "/seller/listings/new", {**FORM, "gi_tag_id": str(tags[0].id)}
    )
    assert refused.status_code == 422 and "claim has been verified" in refused.text
    claim.status = ClaimStatus.VERIFIED
    await db.commit()
    accepted = await post_form(
        client, "/seller/listings/new", {**FORM, "gi_tag_id": str(tags[0].id)}
    )
    assert accepted.status_code == 303


async def test_csv_import_is_all_or_nothing_and_round_trips(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    await sign_in(owner)
    await post_form(client, "/seller/listings/new", FORM)
    exported = await client.get("/seller/export.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    header, row = exported.text.strip().splitlines()
    assert header.startswith("sku,title") and row.startswith("BANG-12,")

    updated_row = row.replace("Blue glass bangles, set of 12", "Blue bangles (12)")
    csv_bad = "\n".join(
        [header, updated_row, "NEW-1,Red bangles,,,,abc,1,5", "NEW-2,Green bangles,,,,300"]
    )
    response = await client.post(
        "/seller/import",
        data={"csrf_token": await csrf_token(client)},
        files={"file": ("listings.csv", csv_bad.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Row 3" in response.text and "Nothing was imported" in response.text
    assert await count_listings(db, seller.id) == 1
    assert "Blue glass bangles, set of 12" in (await client.get("/seller/listings")).text

    csv_good = "\n".join([header, updated_row, "NEW-2,Green bangles,,,,300"])
    response = await client.post(
        "/seller/import",
        data={"csrf_token": await csrf_token(client)},
        files={"file": ("listings.csv", csv_good.encode(), "text/csv")},
    )
    assert response.status_code == 303
    assert await count_listings(db, seller.id) == 2
    page = (await client.get("/seller/listings")).text
    assert "Blue bangles (12)" in page and "Green bangles" in page


async def test_the_api_is_scoped_and_owner_only(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    owner, seller = await verified_seller(db, settings)
    _token, read_only = await accounts_service.create_api_token(
        db, owner, name="read", scopes=["seller:read"]
    )
    _token, writer = await accounts_service.create_api_token(
        db, owner, name="write", scopes=["seller:read", "seller:write"]
    )
    other_owner, other = await onboarded_seller(db, settings)
    foreign = await factories.listing(db, other)
    await db.commit()
    body = {"title": "Glass vase", "price_paise": 99_900, "stock": 3, "price_tiers": {"10": 90_000}}

    denied = await client.post(
        "/api/v1/seller/listings", json=body, headers={"authorization": f"Bearer {read_only}"}
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    made = await client.post(
        "/api/v1/seller/listings", json=body, headers={"authorization": f"Bearer {writer}"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["price_paise"] == 99_900 and made.json()["price_tiers"] == "10:900.00"
    invalid = await client.post(
        "/api/v1/seller/listings",
        json={**body, "hsn_code": "12"},
        headers={"authorization": f"Bearer {writer}"},
    )
    assert invalid.status_code == 422
    assert "hsn_code" in invalid.json()["error"]["details"]

    listed = await client.get(
        "/api/v1/seller/listings", headers={"authorization": f"Bearer {read_only}"}
    )
    assert [item["title"] for item in listed.json()] == ["Glass vase"]
    other_id = foreign.id
    for method, path in [
        ("GET", f"/api/v1/seller/listings/{other_id}"),
        ("PUT", f"/api/v1/seller/listings/{other_id}"),
        ("DELETE", f"/api/v1/seller/listings/{other_id}"),
        ("POST", f"/api/v1/seller/listings/{other_id}/publish"),
    ]:
        response = await client.request(
            method, path, json=body, headers={"authorization": f"Bearer {writer}"}
        )
        assert response.status_code == 404, (method, path)
    assert other_owner.id != owner.id and seller.id != other.id


async def test_a_listing_slug_race_is_settled_by_the_unique_constraint(
    db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _owner, seller = await verified_seller(db, settings)
    data = listings.parse({"title": "Glass vase", "price_inr": "500"})
    first = await listings.create(db, seller, data)

    async def never_taken(_session: AsyncSession, _slug: str) -> bool:
        return False

    monkeypatch.setattr(listing_repository, "listing_slug_taken", never_taken)
    second = await listings.create(
        db, seller, listings.parse({"title": "Glass vase", "price_inr": "500"})
    )
    assert second.slug == first.slug + "-2"


async def test_listings_follow_a_seller_who_moves_district(
    db: AsyncSession, settings: Settings
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    listing = await listings.create(
        db, seller, listings.parse({"title": "Glass vase", "price_inr": "500"})
    )
    agra = await factories.district(db, "uttar-pradesh", "agra")
    await service.save_profile(
        db,
        owner,
        service.ProfileInput(
            legal_name=seller.legal_name,
            display_name=seller.display_name,
            seller_type=seller.seller_type.value,
            state_id=agra.state_id,
            district_id=agra.id,
            address="Taj Ganj, Agra",
            pin_code="282001",
            phone="9876543210",
            email=str(owner.email),
            languages=["Hindi"],
        ),
    )
    moved = await listing_repository.owned_listing(db, seller.id, listing.id)
    assert moved is not None and moved.district_id == agra.id


async def test_csv_cells_that_look_like_formulas_are_exported_as_text_and_read_back(
    db: AsyncSession, settings: Settings
) -> None:
    _owner, seller = await verified_seller(db, settings)
    title = '=HYPERLINK("http://evil.example","click")'
    await listings.create(
        db, seller, listings.parse({"title": title, "price_inr": "500", "sku": "F-1"})
    )
    exported = listings.export_csv(await listing_repository.listings_of(db, seller.id))
    assert "'=HYPERLINK" in exported
    result = await listings.import_csv(db, seller, exported.encode())
    assert (result.errors, result.updated) == ([], 1)
    (listing,) = await listing_repository.listings_of(db, seller.id)
    assert listing.title == title


async def test_the_overview_shows_status_missing_steps_and_low_stock(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    await factories.listing(db, seller, title="Nearly sold out vase", stock=1)
    await factories.listing(db, seller, title="Plenty of bowls", stock=500)
    await sign_in(owner)
    page = (await client.get("/seller")).text
    assert "Verified" in page and "Still to do" not in page
    low = page.split("Low stock", 1)[1]
    assert "Nearly sold out vase" in low and "Plenty of bowls" not in low

    newcomer, _draft = await onboarded_seller(db, settings, submit=False)
    newcomer_seller = await repository.seller_of_user(db, newcomer.id)
    assert newcomer_seller is not None
    newcomer_seller.bank_ifsc = None
    await db.commit()
    await sign_in(newcomer)
    page = (await client.get("/seller")).text
    assert "Draft: not yet submitted" in page and "Bank account" in page.split("Still to do")[1]


async def test_listings_are_attributed_only_to_the_collectives_own_members(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await verified_seller(db, settings)
    _other_owner, other = await onboarded_seller(db, settings, submit=False)
    mine = await service.add_member(db, seller, name="Sunita", craft="", pehchan_card="", phone="")
    theirs = await service.add_member(db, other, name="Rekha", craft="", pehchan_card="", phone="")
    mine_id, theirs_id = mine.id, theirs.id
    await sign_in(owner)
    refused = await post_form(client, "/seller/listings/new", {**FORM, "member_id": str(theirs_id)})
    assert refused.status_code == 422 and "Choose one of your members." in refused.text
    made = await post_form(client, "/seller/listings/new", {**FORM, "member_id": str(mine_id)})
    assert made.status_code == 303
    (listing,) = await listing_repository.listings_of(db, seller.id)
    assert listing.member_id == mine_id
