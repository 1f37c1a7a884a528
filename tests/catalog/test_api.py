from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.catalog.conftest import Catalog


async def slugs(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get(f"/api/v1/listings{query}")
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def test_states_with_district_and_listing_counts(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    states = {s["slug"]: s for s in (await client.get("/api/v1/states")).json()}
    assert len(states) == 36
    up = states["uttar-pradesh"]
    assert up["name_hi"] == "उत्तर प्रदेश" and up["listing_count"] == 2
    assert up["district_count"] >= 75 and states["ladakh"]["is_union_territory"]


async def test_districts_of_a_state(client: httpx.AsyncClient, catalog: Catalog) -> None:
    districts = (await client.get("/api/v1/states/uttar-pradesh/districts")).json()
    firozabad = next(d for d in districts if d["slug"] == "firozabad")
    assert "Firozabad Glass" in firozabad["odop_products"] and firozabad["listing_count"] == 2
    missing = await client.get("/api/v1/states/utar-pradesh/districts")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_odop_products_by_state_and_district(client: httpx.AsyncClient) -> None:
    goa = (await client.get("/api/v1/odop-products?state=goa")).json()
    assert goa and all(p["state"]["slug"] == "goa" for p in goa)
    firozabad = (
        await client.get("/api/v1/odop-products?state=uttar-pradesh&district=firozabad")
    ).json()
    glass = next(p for p in firozabad if p["name"] == "Firozabad Glass")
    assert glass["gi"]["slug"] == "firozabad-glass" and glass["category"]["slug"]
    assert len((await client.get("/api/v1/odop-products")).json()) > 700


async def test_gi_tags_filter_by_state_and_goods_class(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    body = (await client.get("/api/v1/gi-tags?state=uttar-pradesh&goods_class=handicraft")).json()
    tags = {t["slug"]: t for t in body["items"]}
    assert tags["firozabad-glass"]["listing_count"] == 1  # only the verified authorised user
    assert all(t["goods_class"] == "handicraft" for t in body["items"])
    assert all(any(s["slug"] == "uttar-pradesh" for s in t["states"]) for t in body["items"])
    everything = (await client.get("/api/v1/gi-tags?page=2")).json()
    assert everything["page"] == 2 and everything["pages"] > 2


async def test_categories(client: httpx.AsyncClient, catalog: Catalog) -> None:
    categories = {c["slug"]: c for c in (await client.get("/api/v1/categories")).json()}
    assert categories["pottery-glass"]["listing_count"] == 2
    assert categories["textiles"]["name_hi"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["goan-cashews", "glass-vase", "blue-glass-bangles"]),
        ("?state=goa", ["goan-cashews"]),
        ("?state=uttar-pradesh&district=firozabad", ["glass-vase", "blue-glass-bangles"]),
        ("?gi=firozabad-glass", ["blue-glass-bangles"]),
        ("?category=pottery-glass&sort=price_asc", ["blue-glass-bangles", "glass-vase"]),
        ("?min_price=100000", ["goan-cashews", "glass-vase"]),
        ("?max_price=120000&sort=price_desc", ["goan-cashews", "blue-glass-bangles"]),
        ("?min_price=100000&max_price=200000", ["goan-cashews"]),
        ("?export_ready=true&sort=price_asc", ["blue-glass-bangles", "goan-cashews"]),
        ("?export_ready=false", ["glass-vase"]),
        ("?sort=price_desc", ["glass-vase", "goan-cashews", "blue-glass-bangles"]),
    ],
)
async def test_listing_filters_and_sorts(
    client: httpx.AsyncClient, catalog: Catalog, query: str, expected: list[str]
) -> None:
    assert await slugs(client, query) == expected


async def test_cursor_pagination_walks_every_listing_once(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    for sort in ("newest", "price_asc", "price_desc"):
        seen: list[str] = []
        cursor = ""
        while True:
            body = (await client.get(f"/api/v1/listings?limit=1&sort={sort}{cursor}")).json()
            seen += [item["slug"] for item in body["items"]]
            if not body["next_cursor"]:
                break
            cursor = f"&cursor={body['next_cursor']}"
        assert sorted(seen) == ["blue-glass-bangles", "glass-vase", "goan-cashews"], sort
        assert seen == await slugs(client, f"?sort={sort}")


async def test_gi_shown_on_listings_only_when_verified(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    items = {
        i["slug"]: i
        for i in (
            await client.get("/api/v1/listings?district=firozabad&state=uttar-pradesh")
        ).json()["items"]
    }
    assert items["blue-glass-bangles"]["gi"]["slug"] == "firozabad-glass"
    assert items["glass-vase"]["gi"] is None
    assert items["blue-glass-bangles"]["thumbnail_url"] == "/media/demo/bangles-thumb.jpg"


async def test_one_listing(client: httpx.AsyncClient, catalog: Catalog) -> None:
    body: dict[str, Any] = (await client.get("/api/v1/listings/blue-glass-bangles")).json()
    assert body["price"] == {"amount_paise": 84_500, "currency": "INR"}
    assert body["price_tiers"] == [
        {"min_quantity": 100, "price": {"amount_paise": 70_000, "currency": "INR"}}
    ]
    assert body["seller"]["name"] == "Kanch Artisans" and body["seller"]["verified"]
    assert body["moq"] == 12 and body["hs_code"] == "701890" and body["ships_to"] == ["US", "GB"]
    assert body["images"][0]["url"] == "/media/demo/bangles.jpg"
    for hidden in catalog.hidden:
        response = await client.get(f"/api/v1/listings/{hidden.slug}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/api/v1/listings?colour=blue", "query.colour"),
        ("/api/v1/listings?sort=cheapest", "query.sort"),
        ("/api/v1/listings?min_price=-1", "query.min_price"),
        ("/api/v1/listings?min_price=abc", "query.min_price"),
        ("/api/v1/listings?export_ready=maybe", "query.export_ready"),
        ("/api/v1/listings?limit=0", "query.limit"),
        ("/api/v1/listings?limit=101", "query.limit"),
        ("/api/v1/listings?cursor=not-a-cursor", "cursor"),
        ("/api/v1/listings?state=atlantis", "atlantis"),
        ("/api/v1/listings?district=firozabad", "needs `state`"),
        ("/api/v1/listings?state=goa&district=firozabad", "firozabad"),
        ("/api/v1/listings?gi=unknown-gi", "unknown-gi"),
        ("/api/v1/listings?category=nothing", "nothing"),
        ("/api/v1/listings?min_price=5&max_price=1", "min_price"),
        ("/api/v1/gi-tags?goods_class=magic", "query.goods_class"),
        ("/api/v1/gi-tags?page=0", "query.page"),
        ("/api/v1/states?x=1", "query.x"),
        ("/api/v1/categories?x=1", "query.x"),
        ("/api/v1/odop-products?district=firozabad", "needs `state`"),
        ("/api/v1/listings/blue-glass-bangles?full=1", "query.full"),
    ],
)
async def test_bad_parameters_are_422_with_a_clear_message(
    client: httpx.AsyncClient, catalog: Catalog, url: str, fragment: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and fragment in error["message"]


async def test_a_cursor_of_another_sort_is_refused(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    cursor = (await client.get("/api/v1/listings?limit=1")).json()["next_cursor"]
    response = await client.get(f"/api/v1/listings?sort=price_asc&cursor={cursor}")
    assert response.status_code == 422


async def test_openapi_documents_the_response_models(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/states",
        "/api/v1/states/{state}/districts",
        "/api/v1/odop-products",
        "/api/v1/gi-tags",
        "/api/v1/categories",
        "/api/v1/listings",
        "/api/v1/listings/{slug}",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {"ListingOut", "ListingDetailOut", "ListingPageOut", "GiTagOut", "StateOut"} <= set(
        schemas
    )
    params = {p["name"] for p in spec["paths"]["/api/v1/listings"]["get"]["parameters"]}
    assert {"state", "district", "gi", "category", "min_price", "max_price", "export_ready"} <= (
        params
    )
