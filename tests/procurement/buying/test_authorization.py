"""Authorisation matrix of every buying route (pages and API): an anonymous visitor, the
organisation's buyer, a member without the buyer role (consignee), another organisation's buyer,
an eligible seller who quoted, a seller not eligible, another signed-in user and an admin.

"Allowed" means authorisation let the request through, whatever the business outcome (a page, a
redirect, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.db import utcnow
from app.procurement.buying import api as buying_api
from app.procurement.buying import service
from app.procurement.buying import views as buying_views
from app.procurement.buying.models import BuyingMethod, Requirement
from app.storage import LocalStorage
from tests import factories
from tests.authorization_matrix import SIGN_IN, Actors, Refusals, assert_refusals, served_routes
from tests.authorization_matrix import Route as MatrixRoute
from tests.procurement.buying.conftest import Buying, make_buying

ACTORS = (
    "anonymous",
    "buyer",
    "consignee",
    "other_buyer",
    "seller",
    "other_seller",
    "stranger",
    "admin",
)
SIGNED_IN: Refusals = {"anonymous": SIGN_IN}
OUTSIDERS: Refusals = {
    "anonymous": SIGN_IN,
    "other_buyer": 404,
    "seller": 404,
    "other_seller": 404,
    "stranger": 404,
    "admin": 404,
}
MEMBERS = OUTSIDERS
BUYER_ONLY: Refusals = {**OUTSIDERS, "consignee": 403}
NOT_SELLERS: Refusals = {
    "anonymous": SIGN_IN,
    "buyer": 404,
    "consignee": 404,
    "other_buyer": 404,
    "stranger": 404,
    "admin": 404,
}
ANY_SELLER = NOT_SELLERS
ELIGIBLE_SELLER: Refusals = {**NOT_SELLERS, "other_seller": 404}
# Raising a requirement for the buyer's organisation: everyone else lacks the role there.
RAISE: Refusals = {
    "anonymous": SIGN_IN,
    **{a: 403 for a in ACTORS if a not in ("anonymous", "buyer")},
}
ADMIN_ONLY: Refusals = {
    "anonymous": SIGN_IN,
    **{a: 403 for a in ACTORS if a not in ("anonymous", "admin")},
}


@dataclass(frozen=True)
class Route(MatrixRoute):
    """{l1}, {ordered}, {bid}, {closed}, {comparison} in the path are the fixture's."""

    body: dict[str, Any] = field(default_factory=dict)


ROUTES = [
    Route("GET", "/procurement/requirements", SIGNED_IN),
    Route("GET", "/procurement/requirements/new", SIGNED_IN),
    Route("POST", "/procurement/requirements", SIGNED_IN),
    Route("GET", "/procurement/requirements/{l1}", MEMBERS),
    Route("GET", "/procurement/requirements/{bid}", MEMBERS),
    Route("POST", "/procurement/requirements/{l1}/order", BUYER_ONLY),
    Route("POST", "/procurement/requirements/{closed}/award", BUYER_ONLY),
    Route("GET", "/procurement/requirements/{ordered}/comparisons/{comparison}.csv", MEMBERS),
    Route("GET", "/procurement/requirements/{ordered}/comparisons/{comparison}.pdf", MEMBERS),
    Route("GET", "/seller/bids", ANY_SELLER),
    Route("GET", "/seller/bids/{bid}", ELIGIBLE_SELLER),
    Route("POST", "/seller/bids/{bid}", ELIGIBLE_SELLER),
    Route("GET", "/admin/procurement/splits", ADMIN_ONLY),
    Route("GET", "/api/v1/procurement/requirements", SIGNED_IN),
    Route("POST", "/api/v1/procurement/requirements", RAISE, {"requirement": True}),
    Route("GET", "/api/v1/procurement/requirements/{l1}", MEMBERS),
    Route("POST", "/api/v1/procurement/requirements/{l1}/comparisons", BUYER_ONLY),
    Route("POST", "/api/v1/procurement/requirements/{l1}/order", BUYER_ONLY, {"order": True}),
    Route("GET", "/api/v1/procurement/requirements/{closed}/bids", MEMBERS),
    Route("POST", "/api/v1/procurement/requirements/{closed}/award", BUYER_ONLY, {"award": True}),
    Route("GET", "/api/v1/seller/bids", ANY_SELLER),
    Route("GET", "/api/v1/seller/bids/{bid}", ELIGIBLE_SELLER),
    Route("PUT", "/api/v1/seller/bids/{bid}", ELIGIBLE_SELLER, {"quote": True}),
    Route("GET", "/api/v1/admin/procurement/split-events", ADMIN_ONLY),
]


def test_the_matrix_covers_every_buying_route() -> None:
    routers = (buying_views.router, buying_views.admin_router, buying_api.router)
    served = served_routes(*routers)
    listed = {
        (
            r.method,
            r.path.format(
                l1="{requirement_id}",
                bid="{requirement_id}",
                closed="{requirement_id}",
                ordered="{requirement_id}",
                comparison="{comparison_id}",
            ),
        )
        for r in ROUTES
    }
    assert served == listed


def _input(b: Buying, method: BuyingMethod, **changes: Any) -> service.RequirementInput:
    values: dict[str, Any] = {
        "organisation_id": b.organisation.id,
        "method": method,
        "title": "Vases",
        "quantity": 10,
        "delivery_address_id": b.address.id,
        "delivery_by": b.delivery_by(),
        "odop_product_id": b.product.id,
    }
    if method == BuyingMethod.BID:
        values["closes_at"] = utcnow() + timedelta(hours=3)
    values.update(changes)
    return service.RequirementInput(**values)


async def _bid_with_quote(db: AsyncSession, settings: Settings, b: Buying) -> Requirement:
    requirement = await service.create_requirement(
        db, settings, user=b.buyer, data=_input(b, BuyingMethod.BID)
    )
    await service.submit_bid(
        db,
        settings,
        user=b.owners[0],
        seller=b.sellers[0],
        requirement_id=requirement.id,
        data=service.QuoteInput(b.listings[0].id, 100_000, 10, 5, b.delivery_by(60)),
    )
    return requirement


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    admin = await factories.user(db, role=Role.ADMIN)
    stranger = await factories.user(db)
    l1 = await service.create_requirement(
        db, settings, user=b.buyer, data=_input(b, BuyingMethod.L1)
    )
    shown = await service.show_comparison(db, settings, user=b.buyer, requirement=l1)
    ordered_id = comparison_id = 1
    if "{ordered}" in route.path:
        ordered = await service.create_requirement(
            db, settings, user=b.buyer, data=_input(b, BuyingMethod.L1)
        )
        view = await service.show_comparison(db, settings, user=b.buyer, requirement=ordered)
        await service.order_l1(
            db,
            settings,
            LocalStorage(settings.media_dir / "private"),
            user=b.buyer,
            requirement_id=ordered.id,
            comparison_id=view.comparison.id,
            listing_id=view.offers[0].listing_id,
            justification="",
        )
        ordered_id, comparison_id = ordered.id, view.comparison.id
    bid = await _bid_with_quote(db, settings, b)
    closed = await _bid_with_quote(db, settings, b)
    await db.execute(
        update(Requirement)
        .where(Requirement.id == closed.id)
        .values(closes_at=utcnow() - timedelta(minutes=1))
    )
    users: dict[str, User | None] = {
        "anonymous": None,
        "buyer": b.buyer,
        "consignee": b.consignee,
        "other_buyer": b.other_buyer,
        "seller": b.owners[0],
        "other_seller": b.outsider_owner,
        "stranger": stranger,
        "admin": admin,
    }
    actors = await Actors(client, db, settings, users).issue_tokens()
    path = route.path.format(
        l1=l1.id, bid=bid.id, closed=closed.id, ordered=ordered_id, comparison=comparison_id
    )
    body: dict[str, Any] = {}
    if route.body.get("requirement"):
        body = {
            "organisation_id": b.organisation.id,
            "method": "l1",
            "title": "Vases",
            "quantity": 10,
            "delivery_address_id": b.address.id,
            "delivery_by": b.delivery_by().isoformat(),
            "odop_product_id": b.product.id,
        }
    elif route.body.get("order"):
        body = {"comparison_id": shown.comparison.id, "listing_id": shown.offers[0].listing_id}
    elif route.body.get("award"):
        body = {"allocations": [], "justification": ""}
    elif route.body.get("quote"):
        body = {
            "listing_id": b.listings[0].id,
            "unit_price_paise": 99_000,
            "quantity": 10,
            "lead_time_days": 4,
            "valid_until": b.delivery_by(60).isoformat(),
        }

    # The buyer and the seller go last: some of their allowed requests change things.
    outcomes = await actors.outcomes(
        route.method, path, sorted(ACTORS, key=lambda a: a in ("buyer", "seller")), json=body
    )
    assert_refusals(route.refused, outcomes)
