"""Authorisation matrix of every cart, checkout, order and seller-order route (pages and API):
called by an anonymous visitor, the order's buyer, the seller of the order's part, another
seller, another signed-in user and an administrator.

"Allowed" means authorisation let the request through, whatever the business outcome (a redirect,
a page, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import Role, User
from app.config import Settings
from app.orders import api as orders_api
from app.orders import cart as cart_service
from app.orders import checkout, repository, service
from app.orders import views as orders_views
from app.orders.models import PartState
from tests import factories
from tests.helpers import post_form, start_session
from tests.orders.conftest import UP_ADDRESS, make_shop

ACTORS = ("anonymous", "buyer", "seller", "other_seller", "stranger", "admin")
SIGN_IN = "sign_in"  # pages: redirect to the sign-in page; API: 401
Refusals = dict[str, int | str]
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


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {order}, {part}, {listing} are the fixture's
    refused: Refusals


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
    served = {
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in (route.methods or set()) - {"HEAD"}
    }
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
    api_secrets = {}
    for name, user in users.items():
        if user is not None:
            _token, api_secrets[name] = await accounts_service.create_api_token(
                db, user, name="matrix", scopes=accounts_service.scopes_for(user)
            )
    await db.commit()
    path = route.path.format(order=order.number, part=part.id, listing=shop.glass.id)
    body = {"listing_id": shop.glass.id, "quantity": 2, **UP_ADDRESS}

    outcomes: dict[str, int | str] = {}
    # The buyer and the seller go last: some of their allowed requests change the order.
    for actor in sorted(ACTORS, key=lambda a: a in ("buyer", "seller")):
        client.cookies.clear()
        user = users[actor]
        if path.startswith("/api/"):
            headers = {"authorization": f"Bearer {api_secrets[actor]}"} if user else {}
            response = await client.request(
                route.method,
                path,
                headers=headers,
                json=body if route.method in ("POST", "PUT") else None,
            )
            signed_out = response.status_code == 401
        else:
            if user is not None:
                await start_session(client, db, settings, user)
            if route.method == "GET":
                response = await client.get(path)
            else:
                response = await post_form(client, path)
            signed_out = response.status_code == 303 and response.headers["location"].startswith(
                "/account/sign-in"
            )
        outcomes[actor] = SIGN_IN if signed_out else response.status_code
    for actor in ACTORS:
        expected = route.refused.get(actor)
        if expected is None:
            assert outcomes[actor] not in (SIGN_IN, 401, 403, 404), (actor, outcomes)
            assert outcomes[actor] != 500, (actor, outcomes)
        else:
            assert outcomes[actor] == expected, (actor, outcomes)
