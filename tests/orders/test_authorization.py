"""Authorisation matrix of every cart, checkout, order and seller-order route (pages and API):
called by an anonymous visitor, the order's buyer, the seller of the order's part, another
seller, another signed-in user and an administrator.

"Allowed" means authorisation let the request through, whatever the business outcome (a redirect,
a page, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.orders import api as orders_api
from app.orders import cart as cart_service
from app.orders import checkout, repository, service
from app.orders import views as orders_views
from app.orders.models import PartState
from tests import factories
from tests.authorization_matrix import (
    SIGN_IN,
    Actors,
    Refusals,
    Route,
    assert_refusals,
    served_routes,
)
from tests.orders.conftest import UP_ADDRESS, make_shop

ACTORS = ("anonymous", "buyer", "seller", "other_seller", "stranger", "admin")
PUBLIC: Refusals = {}
SIGNED_IN: Refusals = {"anonymous": SIGN_IN}
BUYER_ONLY: Refusals = {
    "anonymous": SIGN_IN,
    "seller": 404,
    "other_seller": 404,
    "stranger": 404,
    "admin": 404,
}
ANY_SELLER: Refusals = {"anonymous": SIGN_IN, "buyer": 404, "stranger": 404, "admin": 404}
PART_SELLER: Refusals = {**ANY_SELLER, "other_seller": 404}


ROUTES = [
    Route("GET", "/cart", PUBLIC),
    Route("POST", "/cart/add", PUBLIC),
    Route("POST", "/cart/update", PUBLIC),
    Route("POST", "/cart/remove", PUBLIC),
    Route("POST", "/cart/review", PUBLIC),
    Route("GET", "/checkout", SIGNED_IN),
    Route("POST", "/checkout", SIGNED_IN),
    Route("GET", "/orders", SIGNED_IN),
    Route("GET", "/orders/{order}", BUYER_ONLY),
    Route("POST", "/orders/{order}/cancel", BUYER_ONLY),
    Route("GET", "/orders/{order}/invoices/{part}.pdf", BUYER_ONLY),
    Route("GET", "/orders/{order}/invoices/{part}", BUYER_ONLY),
    Route("GET", "/seller/orders", ANY_SELLER),
    Route("POST", "/seller/orders/{part}/advance", PART_SELLER),
    Route("POST", "/seller/orders/{part}/cancel", PART_SELLER),
    Route("GET", "/seller/orders/{part}/invoice", PART_SELLER),
    Route("GET", "/seller/orders/{part}/invoice.pdf", PART_SELLER),
    Route("GET", "/api/v1/cart", SIGNED_IN),
    Route("POST", "/api/v1/cart/lines", SIGNED_IN),
    Route("PUT", "/api/v1/cart/lines/{listing}", SIGNED_IN),
    Route("DELETE", "/api/v1/cart/lines/{listing}", SIGNED_IN),
    Route("POST", "/api/v1/cart/review", SIGNED_IN),
    Route("POST", "/api/v1/checkout", SIGNED_IN),
    Route("GET", "/api/v1/orders", SIGNED_IN),
    Route("GET", "/api/v1/orders/{order}", BUYER_ONLY),
    Route("POST", "/api/v1/orders/{order}/cancel", BUYER_ONLY),
]


def test_the_matrix_covers_every_orders_route() -> None:
    routers = (orders_views.cart_router, orders_views.router, orders_api.router)
    served = served_routes(*routers)
    listed = {
        (r.method, r.path.format(order="{number}", part="{part_id}", listing="{listing_id}"))
        for r in ROUTES
    }
    assert served == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    admin = await factories.user(db, role=Role.ADMIN)
    stranger = await factories.user(db)
    cart, _ = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, cart, shop.glass.id, 2)
    await cart_service.add(db, cart, shop.quilt.id, 1)
    address = checkout.parse_address(
        {k: str(v) for k, v in UP_ADDRESS.items()}, await repository.states(db), set()
    )
    order = await checkout.place_order(
        db, settings, buyer=shop.buyer, cart=cart, address=address, currency="INR"
    )
    await service.on_payment_succeeded(
        db,
        order_number=order.number,
        provider="sandbox",
        provider_payment_id="pi_matrix",
        amount_minor=order.total_minor,
        currency="INR",
    )
    part = next(p for p in order.parts if p.seller_id == shop.up_seller.id)
    for step in (PartState.ACCEPTED, PartState.PACKED):
        await service.seller_advance(db, shop.up_owner, shop.up_seller.id, part.id, step)
    await service.seller_advance(
        db,
        shop.up_owner,
        shop.up_seller.id,
        part.id,
        PartState.SHIPPED,
        carrier="India Post",
        tracking_number="EE1234IN",
    )
    users: dict[str, User | None] = {
        "anonymous": None,
        "buyer": shop.buyer,
        "seller": shop.up_owner,
        "other_seller": shop.rj_owner,
        "stranger": stranger,
        "admin": admin,
    }
    actors = await Actors(client, db, settings, users).issue_tokens()
    path = route.path.format(order=order.number, part=part.id, listing=shop.glass.id)
    body = {"listing_id": shop.glass.id, "quantity": 2, **UP_ADDRESS}

    # The buyer and the seller go last: some of their allowed requests change the order.
    outcomes = await actors.outcomes(
        route.method, path, sorted(ACTORS, key=lambda a: a in ("buyer", "seller")), json=body
    )
    assert_refusals(route.refused, outcomes)
