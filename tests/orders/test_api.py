"""The JSON API of the cart, checkout and orders: the same services as the pages, in OpenAPI."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import User
from tests.orders.conftest import UP_ADDRESS, make_shop


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    _token, secret = await accounts_service.create_api_token(
        db, user, name="test", scopes=accounts_service.scopes_for(user)
    )
    await db.commit()
    return {"authorization": f"Bearer {secret}"}


async def test_cart_checkout_and_orders_over_the_api(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    shop = await make_shop(db)
    auth = await bearer(db, shop.buyer)
    assert (await client.get("/api/v1/cart")).status_code == 401
    below_moq = await client.post(
        "/api/v1/cart/lines", json={"listing_id": shop.glass.id, "quantity": 1}, headers=auth
    )
    assert below_moq.status_code == 422
    assert below_moq.json()["error"]["details"] == {"quantity": "The minimum order is 2."}
    added = await client.post(
        "/api/v1/cart/lines", json={"listing_id": shop.glass.id, "quantity": 12}, headers=auth
    )
    assert added.status_code == 201
    cart = added.json()
    assert cart["lines"][0]["unit_price_paise"] == 95_000  # the tier for 10 or more
    assert cart["saving_paise"] == 12 * 10_000
    assert cart["lines"][0]["unit"] == "dozen"
    await client.put(f"/api/v1/cart/lines/{shop.quilt.id}", json={"quantity": 1}, headers=auth)
    bad = await client.post(
        "/api/v1/checkout", json={**UP_ADDRESS, "pin_code": "12345"}, headers=auth
    )
    assert bad.status_code == 422 and "pin_code" in bad.json()["error"]["details"]
    placed = await client.post(
        "/api/v1/checkout",
        json={**UP_ADDRESS, "total_inr_paise": 1, "unit_price_paise": 1},  # ignored
        headers=auth,
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    goods = 12 * 95_000 + 250_000
    assert order["goods_inr_paise"] == goods
    # The glass part passes the seller's ₹5,000 free-shipping threshold; the quilt pays ₹80.
    assert order["shipping_inr_paise"] == 8_000
    assert order["total_inr_paise"] == goods + 8_000
    assert {p["state"] for p in order["parts"]} == {"placed"}
    number = order["number"]
    listed = await client.get("/api/v1/orders", headers=auth)
    assert [o["number"] for o in listed.json()] == [number]
    detail = await client.get(f"/api/v1/orders/{number}", headers=auth)
    assert detail.json()["parts"][0]["events"][0]["to"] == "placed"
    cancelled = await client.post(f"/api/v1/orders/{number}/cancel", headers=auth)
    assert {p["state"] for p in cancelled.json()["parts"]} == {"cancelled"}
    again = await client.post(f"/api/v1/orders/{number}/cancel", headers=auth)
    assert again.status_code == 409
    other = await bearer(db, shop.up_owner)
    assert (await client.get(f"/api/v1/orders/{number}", headers=other)).status_code == 404
    assert (await client.get("/api/v1/cart", headers=auth)).json()["lines"] == []


async def test_the_api_is_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/cart",
        "/api/v1/cart/lines",
        "/api/v1/cart/lines/{listing_id}",
        "/api/v1/checkout",
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/cancel",
    ):
        assert path in paths, path
