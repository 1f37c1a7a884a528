"""Authorisation matrix of every payments and ledger route: called by an anonymous visitor, the
order's buyer, a seller with a ledger, another signed-in user and an administrator.

"Allowed" means authorisation let the request through, whatever the business outcome (a redirect,
a page, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.orders.ledger import api as ledger_api
from app.orders.ledger import service as ledger_service
from app.orders.ledger import views as ledger_views
from app.orders.payments import api as payments_api
from app.orders.payments import sandbox_views, service, webhook
from app.orders.payments import views as payment_views
from app.orders.payments.models import Payment
from app.sellers.models import Seller
from tests import factories
from tests.authorization_matrix import (
    SIGN_IN,
    Actors,
    Refusals,
    Route,
    assert_refusals,
    served_routes,
)
from tests.orders.payments.conftest import PartSpec, make_order

ACTORS = ("anonymous", "buyer", "seller", "stranger", "admin")
BUYER_ONLY: Refusals = {"anonymous": SIGN_IN, "seller": 404, "stranger": 404, "admin": 404}
SELLER_ONLY: Refusals = {"anonymous": SIGN_IN, "buyer": 404, "stranger": 404, "admin": 404}
ADMIN_ONLY: Refusals = {"anonymous": SIGN_IN, "buyer": 403, "seller": 403, "stranger": 403}
PUBLIC: Refusals = {}
# Authenticated by the Stripe-Signature header only: an unsigned call is a 400 for everyone.
SIGNATURE: Refusals = dict.fromkeys(ACTORS, 400)


ROUTES = [
    Route("POST", "/webhooks/stripe", SIGNATURE),
    Route("GET", "/payments/sandbox/{session}", PUBLIC),
    Route("POST", "/payments/sandbox/{session}", PUBLIC),
    Route("GET", "/payments/sandbox/{session}/authenticate", PUBLIC),
    Route("POST", "/payments/sandbox/{session}/authenticate", PUBLIC),
    Route("POST", "/payments/{order}/start", BUYER_ONLY),
    Route("GET", "/admin/payments", ADMIN_ONLY),
    Route("POST", "/admin/payments/{payment}/record", ADMIN_ONLY),
    Route("POST", "/admin/refunds", ADMIN_ONLY),
    Route("GET", "/seller/ledger", SELLER_ONLY),
    Route("GET", "/admin/payouts", ADMIN_ONLY),
    Route("POST", "/admin/payouts", ADMIN_ONLY),
    Route("GET", "/admin/payouts/{batch}", ADMIN_ONLY),
    Route("POST", "/admin/payouts/{batch}/paid", ADMIN_ONLY),
    Route("GET", "/admin/payouts/{batch}/export.csv", ADMIN_ONLY),
    Route("POST", "/api/v1/orders/{order}/payment", BUYER_ONLY),
    Route("POST", "/api/v1/admin/orders/{order}/refunds", ADMIN_ONLY),
    Route("GET", "/api/v1/seller/ledger", SELLER_ONLY),
    Route("GET", "/api/v1/admin/payouts", ADMIN_ONLY),
    Route("POST", "/api/v1/admin/payouts", ADMIN_ONLY),
    Route("GET", "/api/v1/admin/payouts/{batch}", ADMIN_ONLY),
    Route("POST", "/api/v1/admin/payouts/{batch}/paid", ADMIN_ONLY),
    Route("GET", "/api/v1/admin/payouts/{batch}/export.csv", ADMIN_ONLY),
]
API_BODY = {"amount_minor": 100, "bank_reference": "UTR"}


def test_the_matrix_covers_every_payments_and_ledger_route() -> None:
    routers = (
        webhook.router,
        sandbox_views.router,
        payment_views.router,
        payment_views.admin_router,
        payments_api.router,
        ledger_views.router,
        ledger_views.admin_router,
        ledger_api.router,
    )
    served = served_routes(*routers)
    listed = {
        (
            r.method,
            r.path.format(
                order="{order_number}",
                payment="{payment_id}",
                batch="{batch_id}",
                session="{session_id}",
            ),
        )
        for r in ROUTES
    }
    assert served == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    buyer = await factories.user(db)
    admin = await factories.user(db, role=Role.ADMIN)
    stranger = await factories.user(db)
    seller_user = await factories.user(db)
    paid = await make_order(db, settings, [PartSpec(10_000, 8_475)])
    await service.start_payment(db, settings, order_number=paid.number)
    payment = await db.scalar(select(Payment).where(Payment.order_id == paid.id))
    assert payment is not None
    await service.payment_succeeded(db, settings, payment.id, amount_minor=10_000, currency="INR")
    seller = await db.scalar(select(Seller).order_by(Seller.id.desc()))
    assert seller is not None
    seller.owner_user_id = seller_user.id
    batch = await ledger_service.create_batch(db, created_by=admin.id)
    order = await make_order(db, settings, [PartSpec(20_000, 16_949)], buyer=buyer)
    sandbox = await service.start_payment(db, settings, order_number=order.number)
    offline = settings.model_copy(update={"payment_provider": "offline"})
    other = await make_order(db, offline, [PartSpec(5_000, 4_237)])
    await service.start_payment(db, offline, order_number=other.number)
    offline_payment = await db.scalar(select(Payment).where(Payment.order_id == other.id))
    assert offline_payment is not None
    users: dict[str, User | None] = {
        "anonymous": None,
        "buyer": buyer,
        "seller": seller_user,
        "stranger": stranger,
        "admin": admin,
    }
    actors = await Actors(client, db, settings, users).issue_tokens()
    path = route.path.format(
        order=order.number if "refunds" not in route.path else paid.number,
        payment=offline_payment.id,
        batch=batch.id,
        session=sandbox.provider_payment_id,
    )

    # The buyer and the admin go last: some of their allowed requests change what others aim at.
    outcomes = await actors.outcomes(
        route.method, path, sorted(ACTORS, key=lambda a: a in ("buyer", "admin")), json=API_BODY
    )
    assert_refusals(route.refused, outcomes)
