from __future__ import annotations

import httpx

from app.listings.schemas import CSV_COLUMNS, FIELDS, FORM_FIELDS, ListingIn


def test_the_api_body_has_exactly_the_listed_fields() -> None:
    assert set(ListingIn.model_fields) == {field.api for field in FIELDS}


def test_form_and_csv_names_come_from_the_one_list() -> None:
    assert tuple(field.name for field in FIELDS) == FORM_FIELDS
    assert set(CSV_COLUMNS) < set(FORM_FIELDS)
    assert set(FORM_FIELDS) - set(CSV_COLUMNS) == {
        "category_id",
        "odop_product_id",
        "gi_tag_id",
        "member_id",
    }


def test_an_api_body_written_as_text_names_every_form_field() -> None:
    body = ListingIn(title="Vase", price_paise=50_050, price_tiers={10: 45_000})
    text = body.as_text()
    assert tuple(text) == FORM_FIELDS
    assert (text["price_inr"], text["price_tiers"]) == ("500.50", "10:450.00")


async def test_openapi_shows_the_seller_api_response_shapes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    listing = schema["paths"]["/api/v1/seller/listings/{listing_id}"]["get"]
    shape = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert shape == {"$ref": "#/components/schemas/SellerListingOut"}
    properties = schema["components"]["schemas"]["SellerListingOut"]["properties"]
    assert set(FORM_FIELDS) | {"id", "slug", "status", "price_paise", "images"} == set(properties)
    listed = schema["paths"]["/api/v1/seller/listings"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/SellerListingOut"
    }
