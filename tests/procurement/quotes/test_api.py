"""The quotes JSON API: the whole exchange with personal tokens, bad input as 4xx JSON, and only
the two parties see a quote."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.procurement.quotes import service
from tests import factories
from tests.orders.conftest import UP_ADDRESS, make_shop
from tests.procurement.quotes.conftest import firozabad_id, in_days
from tests.sellers import files


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    _token, secret = await accounts_service.create_api_token(
        db, user, name="api", scopes=accounts_service.scopes_for(user)
    )
    return {"authorization": f"Bearer {secret}"}


async def test_the_whole_exchange_through_the_api(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    shop = await make_shop(db)
    buyer = await bearer(db, shop.buyer)
    seller = await bearer(db, shop.up_owner)
    stranger = await bearer(db, await factories.user(db))
    await db.commit()
    body = {
        "listing_id": shop.glass.id,
        "quantity": 40,
        "specifications": "Gold rims",
        "country": "IN",
        "district_id": await firozabad_id(db),
        "wanted_by": in_days(20).isoformat(),
    }
    for bad, field in (
        ({"quantity": 1}, "quantity"),
        ({"wanted_by": (service.today_in_india() - timedelta(days=1)).isoformat()}, "wanted_by"),
        ({"district_id": None}, "district_id"),
        ({"country": "ZZ", "district_id": None}, "country"),
    ):
        response = await client.post("/api/v1/quotes", json={**body, **bad}, headers=buyer)
        assert response.status_code == 422, bad
        assert field in response.json()["error"]["details"], response.json()
    created = await client.post("/api/v1/quotes", json=body, headers=buyer)
    assert created.status_code == 201, created.text
    quote = created.json()
    path = f"/api/v1/quotes/{quote['id']}"
    assert (quote["state"], quote["side"], quote["quantity"]) == ("requested", "buyer", 40)
    assert (await client.get(path, headers=stranger)).status_code == 404
    queue = await client.get("/api/v1/seller/quotes", headers=seller)
    assert [q["id"] for q in queue.json()] == [quote["id"]]
    offer = {"unit_price_paise": 80_000, "lead_time_days": 5, "valid_until": in_days(5).isoformat()}
    assert (await client.post(f"{path}/offer", json=offer, headers=buyer)).status_code == 409
    past = {**offer, "valid_until": (service.today_in_india() - timedelta(days=1)).isoformat()}
    assert (await client.post(f"{path}/offer", json=past, headers=seller)).status_code == 422
    offered = await client.post(f"{path}/offer", json=offer, headers=seller)
    assert offered.status_code == 200 and offered.json()["state"] == "offered"
    assert offered.json()["total_paise"] == 3_200_000
    photo = base64.b64encode(files.png()).decode()
    message = await client.post(
        f"{path}/messages",
        json={"body": "Sample", "attachments": [{"filename": "s.png", "content_base64": photo}]},
        headers=buyer,
    )
    assert message.status_code == 201, message.text
    url = message.json()["attachments"][0]["url"]
    assert (await client.get(url, headers=seller)).content.startswith(b"\x89PNG")
    assert (await client.get(url, headers=stranger)).status_code == 404
    not_base64 = await client.post(
        f"{path}/messages",
        json={"attachments": [{"filename": "x.pdf", "content_base64": "%%%"}]},
        headers=seller,
    )
    assert not_base64.status_code == 422
    reply = await client.post(f"{path}/messages", json={"body": "Got it"}, headers=seller)
    assert reply.json()["side"] == "seller"
    accepted = await client.post(f"{path}/accept", headers=buyer)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert (await client.post(f"{path}/accept", headers=buyer)).status_code == 409
    cart = (await client.get("/api/v1/cart", headers=buyer)).json()
    assert [(line["quantity"], line["unit_price_paise"]) for line in cart["lines"]] == [
        (40, 80_000)
    ]
    tampered = await client.put(
        f"/api/v1/cart/lines/{shop.glass.id}", json={"quantity": 1}, headers=buyer
    )
    assert tampered.status_code == 422
    order = await client.post("/api/v1/checkout", json=UP_ADDRESS, headers=buyer)
    assert order.status_code == 201, order.text
    (line,) = order.json()["parts"][0]["lines"]
    assert (line["quantity"], line["unit_price_paise"], line["total_paise"]) == (
        40,
        80_000,
        3_200_000,
    )
    thread = (await client.get(path, headers=buyer)).json()
    assert thread["orders"] == [order.json()["number"]]
    assert [e["to_state"] for e in thread["events"]] == ["requested", "offered", "accepted"]
    assert [m["side"] for m in thread["messages"]] == ["buyer", "seller"]
    assert [q["id"] for q in (await client.get("/api/v1/quotes", headers=buyer)).json()] == [
        quote["id"]
    ]
