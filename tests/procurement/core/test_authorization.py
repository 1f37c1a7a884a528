"""Authorisation matrix of every procurement core route (pages and API): called by an anonymous
visitor, each role of the buying organisation (org admin, buyer, consignee, paying authority),
the PO's seller, another seller, a consignee of another organisation, a signed-in stranger and a
platform administrator.

"Allowed" means authorisation let the request through, whatever the business outcome (a
redirect, a page, a 409 for a step the PO's state does not allow, a 422 for an empty form);
"refused" is the exact status expected. The PO is invoiced, so its documents exist.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.config import Settings
from app.procurement.organisations import views as organisation_views
from app.procurement.organisations.models import Membership, Role
from app.procurement.purchase_orders import api, service
from app.procurement.purchase_orders import views as po_views
from app.procurement.purchase_orders.schemas import POLine
from tests import factories
from tests.authorization_matrix import (
    SIGN_IN,
    Actors,
    Refusals,
    Route,
    assert_refusals,
    served_routes,
)
from tests.procurement.core.conftest import add_roles, in_days, make_office, make_organisation

ACTORS = (
    "anonymous",
    "org_admin",
    "buyer",
    "consignee",
    "payer",
    "seller",
    "other_seller",
    "other_org",
    "stranger",
    "admin",
)
SIGNED_IN: Refusals = {"anonymous": SIGN_IN}
ALL_BUT = {actor: 403 for actor in ACTORS if actor != "anonymous"}
ADMIN_ONLY: Refusals = {**ALL_BUT, "anonymous": SIGN_IN, "admin": None}
OUTSIDERS = {"other_seller": 404, "other_org": 404, "stranger": 404}
ORG_MEMBERS: Refusals = {"anonymous": SIGN_IN, **OUTSIDERS, "seller": 404, "admin": 404}
ORG_ADMIN: Refusals = {**ALL_BUT, "anonymous": SIGN_IN, "org_admin": None}
PO_VIEWERS: Refusals = {"anonymous": SIGN_IN, **OUTSIDERS}
PO_SELLER: Refusals = {
    "anonymous": SIGN_IN,
    **OUTSIDERS,
    **dict.fromkeys(("org_admin", "buyer", "consignee", "payer", "admin"), 404),
}


def po_role(role: str) -> Refusals:
    """Only that role of the PO's organisation: other members 403, everyone else 404."""
    members = {"org_admin", "buyer", "consignee", "payer"} - {role}
    return {
        "anonymous": SIGN_IN,
        **OUTSIDERS,
        "seller": 404,
        "admin": 404,
        **dict.fromkeys(members, 403),
    }


TRAIL: Refusals = {
    "anonymous": SIGN_IN,
    **OUTSIDERS,
    **dict.fromkeys(("buyer", "consignee", "payer", "seller"), 403),
}
BUYERS: Refusals = {**ALL_BUT, "anonymous": SIGN_IN, "buyer": None}


ROUTES = [
    Route("GET", "/procurement", SIGNED_IN),
    Route("GET", "/procurement/organisations/new", SIGNED_IN),
    Route("POST", "/procurement/organisations", SIGNED_IN),
    Route("GET", "/procurement/organisations/{organisation_id}", ORG_MEMBERS),
    Route("POST", "/procurement/organisations/{organisation_id}/members", ORG_ADMIN),
    Route(
        "POST",
        "/procurement/organisations/{organisation_id}/members/{membership_id}/remove",
        ORG_ADMIN,
    ),
    Route(
        "POST",
        "/procurement/organisations/{organisation_id}/members/{membership_id}/limit",
        ORG_ADMIN,
    ),
    Route("POST", "/procurement/organisations/{organisation_id}/addresses", ORG_ADMIN),
    Route("POST", "/admin/procurement/organisations/{organisation_id}/verify", ADMIN_ONLY),
    Route("GET", "/admin/procurement", ADMIN_ONLY),
    Route("GET", "/procurement/direct/{listing_id}", SIGNED_IN),
    Route("POST", "/procurement/direct/{listing_id}", SIGNED_IN),
    Route("GET", "/procurement/po/{number}", PO_VIEWERS),
    Route("POST", "/procurement/po/{number}/accept", PO_SELLER),
    Route("POST", "/procurement/po/{number}/decline", PO_SELLER),
    Route("POST", "/procurement/po/{number}/cancel", po_role("buyer")),
    Route("POST", "/procurement/po/{number}/deliveries", PO_SELLER),
    Route("POST", "/procurement/po/{number}/receipt", po_role("consignee")),
    Route("POST", "/procurement/po/{number}/accept-goods", po_role("consignee")),
    Route("POST", "/procurement/po/{number}/reject-goods", po_role("consignee")),
    Route("POST", "/procurement/po/{number}/invoice", PO_SELLER),
    Route("POST", "/procurement/po/{number}/payment", po_role("payer")),
    Route("GET", "/procurement/po/{number}/document", PO_VIEWERS),
    Route("GET", "/procurement/po/{number}/document.pdf", PO_VIEWERS),
    Route("GET", "/procurement/po/{number}/invoice", PO_VIEWERS),
    Route("GET", "/procurement/po/{number}/invoice.pdf", PO_VIEWERS),
    Route("GET", "/procurement/po/{number}/audit.csv", TRAIL),
    Route("GET", "/procurement/po/{number}/audit.pdf", TRAIL),
    Route("GET", "/api/v1/procurement/organisations", SIGNED_IN),
    Route("POST", "/api/v1/procurement/organisations", SIGNED_IN),
    Route("GET", "/api/v1/procurement/organisations/{organisation_id}", ORG_MEMBERS),
    Route("POST", "/api/v1/procurement/organisations/{organisation_id}/members", ORG_ADMIN),
    Route("POST", "/api/v1/procurement/organisations/{organisation_id}/addresses", ORG_ADMIN),
    Route("POST", "/api/v1/procurement/organisations/{organisation_id}/verify", ADMIN_ONLY),
    Route("POST", "/api/v1/procurement/direct-purchases/quote", BUYERS),
    Route("POST", "/api/v1/procurement/direct-purchases", BUYERS),
    Route("GET", "/api/v1/procurement/purchase-orders", SIGNED_IN),
    Route("GET", "/api/v1/procurement/purchase-orders/{number}", PO_VIEWERS),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/accept", PO_SELLER),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/decline", PO_SELLER),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/cancel", po_role("buyer")),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/deliveries", PO_SELLER),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/receipt", po_role("consignee")),
    Route(
        "POST",
        "/api/v1/procurement/purchase-orders/{number}/goods-acceptance",
        po_role("consignee"),
    ),
    Route(
        "POST",
        "/api/v1/procurement/purchase-orders/{number}/goods-rejection",
        po_role("consignee"),
    ),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/invoice", PO_SELLER),
    Route("POST", "/api/v1/procurement/purchase-orders/{number}/payment", po_role("payer")),
    Route("GET", "/api/v1/procurement/purchase-orders/{number}/audit", TRAIL),
    Route("GET", "/api/v1/procurement/incidents", SIGNED_IN),
]


def test_the_matrix_covers_every_procurement_core_route() -> None:
    routers = (
        organisation_views.router,
        organisation_views.admin_router,
        po_views.router,
        po_views.admin_router,
        api.router,
    )
    served = served_routes(*routers)
    assert served == {(r.method, r.path) for r in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    shop = office.shop
    other_org = await make_organisation(db)
    outsider = await factories.user(db)
    await add_roles(db, other_org, outsider, Role.CONSIGNEE, Role.BUYER, Role.ORG_ADMIN)
    admin = await factories.user(db, role=AccountRole.ADMIN)
    stranger = await factories.user(db)
    po = await service.create_purchase_order(
        db,
        organisation_id=office.organisation.id,
        buyer_user_id=office.buyer.id,
        consignee_user_id=office.consignee.id,
        delivery_address_id=office.address.id,
        seller_id=shop.up_seller.id,
        lines=[POLine(shop.glass.id, 2, 105_000)],
        mode="direct",
        source="test",
        source_id=None,
        justification=None,
        delivery_by=in_days(7),
        settings=settings,
    )
    await service.seller_accept(db, settings, user=shop.up_owner, number=po.number)
    await service.record_delivery(
        db,
        user=shop.up_owner,
        number=po.number,
        quantities={po.lines[0].id: 2},
        delivered_on=in_days(0),
    )
    await service.provisional_receipt(db, settings, user=office.consignee, number=po.number)
    await service.accept_goods(db, settings, user=office.consignee, number=po.number)
    await service.issue_invoice(db, settings, user=shop.up_owner, number=po.number)
    buyer_membership = await db.scalar(
        select(Membership).where(Membership.user_id == office.buyer.id)
    )
    assert buyer_membership is not None
    users: dict[str, User | None] = {
        "anonymous": None,
        "org_admin": office.admin,
        "buyer": office.buyer,
        "consignee": office.consignee,
        "payer": office.payer,
        "seller": shop.up_owner,
        "other_seller": shop.rj_owner,
        "other_org": outsider,
        "stranger": stranger,
        "admin": admin,
    }
    actors = await Actors(client, db, settings, users).issue_tokens()
    path = route.path.format(
        number=po.number,
        organisation_id=office.organisation.id,
        membership_id=buyer_membership.id,
        listing_id=shop.glass.id,
    )
    body = {
        "name": "Matrix Traders",
        "kind": "company",
        "email": "nobody@example.test",
        "roles": ["buyer"],
        "consignee_user_id": office.consignee.id,
        "line1": "1 Mall Road",
        "city": "Agra",
        "district_id": office.address.district_id,
        "pin": "282001",
        "listing_id": shop.glass.id,
        "quantity": 2,
        "organisation_id": office.organisation.id,
        "delivery_address_id": office.address.id,
        "delivery_by": in_days(9).isoformat(),
        "reason": "Not needed any more",
        "delivered_on": in_days(0).isoformat(),
        "lines": [{"line_id": po.lines[0].id, "quantity": 0}],
        "reference": "UTR-MATRIX-1",
        "paid_on": in_days(0).isoformat(),
    }

    # Those whose allowed requests change the PO or the organisation go last.
    changers = ("org_admin", "seller", "buyer", "consignee", "payer")
    outcomes = await actors.outcomes(
        route.method,
        path,
        sorted(ACTORS, key=lambda a: changers.index(a) + 1 if a in changers else 0),
        json=body,
    )
    assert_refusals(route.refused, outcomes)
