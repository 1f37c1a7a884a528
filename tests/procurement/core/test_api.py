"""The procurement core through the JSON API, on the same services as the pages: an organisation
registered and staffed by its admin, a direct purchase (amounts posted by the client ignored),
every step on the PO, the audit trail and incidents; a government organisation waits for
verification."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.config import Settings
from tests import factories
from tests.orders.conftest import make_shop
from tests.procurement.core.conftest import in_days


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    _token, secret = await accounts_service.create_api_token(
        db, user, name="test", scopes=accounts_service.scopes_for(user)
    )
    return {"authorization": f"Bearer {secret}"}


async def test_a_direct_purchase_through_the_api(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    people = {role: await factories.user(db) for role in ("admin", "buyer", "consignee", "payer")}
    auth = {role: await bearer(db, user) for role, user in people.items()}
    seller_auth = await bearer(db, shop.up_owner)
    agra = await factories.district(db, "uttar-pradesh", "agra")
    await db.commit()
    api = "/api/v1/procurement"

    created = await client.post(
        f"{api}/organisations",
        json={"name": "Agra Crafts Emporium Ltd", "kind": "company"},
        headers=auth["admin"],
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["can_issue_orders"] and org["your_roles"] == ["org_admin"]
    for role, roles in (
        ("buyer", ["buyer"]),
        ("consignee", ["consignee"]),
        ("payer", ["paying_authority"]),
    ):
        added = await client.post(
            f"{api}/organisations/{org['id']}/members",
            json={"email": people[role].email, "roles": roles},
            headers=auth["admin"],
        )
        assert added.status_code == 201, added.text
    address = await client.post(
        f"{api}/organisations/{org['id']}/addresses",
        json={
            "consignee_user_id": people["consignee"].id,
            "line1": "Sadar Bazar",
            "city": "Agra",
            "district_id": agra.id,
            "pin": "282001",
        },
        headers=auth["admin"],
    )
    assert address.status_code == 201, address.text
    body = {
        "listing_id": shop.glass.id,
        "quantity": 10,
        "organisation_id": org["id"],
        "consignee_user_id": people["consignee"].id,
        "delivery_address_id": address.json()["id"],
        "delivery_by": in_days(10).isoformat(),
        "unit_price_paise": 1,  # not part of the schema: ignored
        "total_paise": 1,
    }
    quote = (
        await client.post(f"{api}/direct-purchases/quote", json=body, headers=auth["buyer"])
    ).json()
    assert quote["unit_price_paise"] == 95_000 and quote["total_paise"] == 950_000
    assert quote["direct_allowed"] and quote["mode_required"] == "direct"
    refused = await client.post(
        f"{api}/direct-purchases", json={**body, "quantity": 60}, headers=auth["buyer"]
    )
    assert refused.status_code == 422 and "L1" in refused.text
    placed = await client.post(f"{api}/direct-purchases", json=body, headers=auth["buyer"])
    assert placed.status_code == 201, placed.text
    po = placed.json()
    assert po["total_paise"] == 950_000 and po["cgst_paise"] + po["sgst_paise"] > 0
    url = f"{api}/purchase-orders/{po['number']}"

    steps = [
        ("accept", seller_auth, None),
        (
            "deliveries",
            seller_auth,
            {
                "delivered_on": in_days(0).isoformat(),
                "lines": [{"line_id": po["lines"][0]["id"], "quantity": 10}],
            },
        ),
        ("receipt", auth["consignee"], None),
        ("goods-acceptance", auth["consignee"], None),
        ("invoice", seller_auth, None),
        ("payment", auth["payer"], {"reference": "UTR-API-1", "paid_on": in_days(0).isoformat()}),
    ]
    too_many = await client.post(
        f"{url}/deliveries",
        json={
            "delivered_on": in_days(0).isoformat(),
            "lines": [{"line_id": po["lines"][0]["id"], "quantity": 11}],
        },
        headers=seller_auth,
    )
    assert too_many.status_code == 422  # more than was ordered
    early = await client.post(f"{url}/deliveries", json=steps[1][2], headers=seller_auth)
    assert early.status_code == 409  # the seller has not accepted yet
    for step, headers, payload in steps:
        response = await client.post(f"{url}/{step}", json=payload, headers=headers)
        assert response.status_code in (200, 201), (step, response.text)
    final = (await client.get(url, headers=auth["buyer"])).json()
    assert final["state"] == "paid" and final["invoice_number"].startswith("INV/")
    assert final["lines"][0]["delivered_quantity"] == 10
    trail = (await client.get(f"{url}/audit", headers=auth["admin"])).json()
    assert [r["action"] for r in trail][-1] == "purchase_order.paid"
    assert (await client.get(f"{url}/audit", headers=auth["buyer"])).status_code == 403
    again = await client.post(f"{url}/payment", json=steps[-1][2], headers=auth["payer"])
    assert again.status_code == 409
    assert (await client.get(f"{api}/incidents", headers=seller_auth)).json() == []


async def test_a_government_organisation_waits_for_an_admin(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    officer = await factories.user(db)
    admin = await factories.user(db, role=AccountRole.ADMIN)
    officer_auth, admin_auth = await bearer(db, officer), await bearer(db, admin)
    await db.commit()
    api = "/api/v1/procurement"
    org = (
        await client.post(
            f"{api}/organisations",
            json={"name": "Ministry of Textiles", "kind": "ministry"},
            headers=officer_auth,
        )
    ).json()
    assert org["is_government"] and not org["can_issue_orders"]
    assert (
        await client.post(f"{api}/organisations/{org['id']}/verify", headers=officer_auth)
    ).status_code == 403
    verified = await client.post(f"{api}/organisations/{org['id']}/verify", headers=admin_auth)
    assert verified.status_code == 200 and verified.json()["can_issue_orders"]
    bad = await client.post(
        f"{api}/organisations", json={"name": "X", "kind": "club"}, headers=officer_auth
    )
    assert bad.status_code == 422
