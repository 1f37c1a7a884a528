"""Authorisation matrix of every quote route (pages and API): called by an anonymous visitor,
the quote's buyer, the listing's seller, another seller, another signed-in user and an
administrator. Only the two parties see a quote; an administrator is no party.

"Allowed" means authorisation let the request through, whatever the business outcome (a redirect,
a page, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.procurement.quotes import api as quotes_api
from app.procurement.quotes import service
from app.procurement.quotes import views as quotes_views
from app.storage import LocalStorage
from tests import factories
from tests.authorization_matrix import (
    SIGN_IN,
    Actors,
    Refusals,
    Route,
    assert_refusals,
    served_routes,
)
from tests.procurement.quotes.conftest import firozabad_id, in_days, quoted
from tests.sellers import files

ACTORS = ("anonymous", "buyer", "seller", "other_seller", "stranger", "admin")
SIGNED_IN: Refusals = {"anonymous": SIGN_IN}
NOT_OWN_LISTING: Refusals = {"anonymous": SIGN_IN, "seller": 409}
ANY_SELLER: Refusals = {"anonymous": SIGN_IN, "buyer": 404, "stranger": 404, "admin": 404}
PARTIES: Refusals = {"anonymous": SIGN_IN, "other_seller": 404, "stranger": 404, "admin": 404}


ROUTES = [
    Route("GET", "/quotes/new/{listing}", NOT_OWN_LISTING),
    Route("POST", "/quotes/new/{listing}", NOT_OWN_LISTING),
    Route("GET", "/quotes", SIGNED_IN),
    Route("GET", "/seller/quotes", ANY_SELLER),
    Route("GET", "/quotes/{quote}", PARTIES),
    Route("POST", "/quotes/{quote}/messages", PARTIES),
    Route("POST", "/quotes/{quote}/offer", PARTIES),
    Route("POST", "/quotes/{quote}/accept", PARTIES),
    Route("POST", "/quotes/{quote}/decline", PARTIES),
    Route("POST", "/quotes/{quote}/withdraw", PARTIES),
    Route("GET", "/quotes/{quote}/attachments/{attachment}", PARTIES),
    Route("POST", "/api/v1/quotes", NOT_OWN_LISTING),
    Route("GET", "/api/v1/quotes", SIGNED_IN),
    Route("GET", "/api/v1/seller/quotes", ANY_SELLER),
    Route("GET", "/api/v1/quotes/{quote}", PARTIES),
    Route("POST", "/api/v1/quotes/{quote}/offer", PARTIES),
    Route("POST", "/api/v1/quotes/{quote}/accept", PARTIES),
    Route("POST", "/api/v1/quotes/{quote}/decline", PARTIES),
    Route("POST", "/api/v1/quotes/{quote}/withdraw", PARTIES),
    Route("POST", "/api/v1/quotes/{quote}/messages", PARTIES),
    Route("GET", "/api/v1/quotes/{quote}/attachments/{attachment}", PARTIES),
]


def test_the_matrix_covers_every_quotes_route() -> None:
    served = served_routes(quotes_views.router, quotes_api.router)
    listed = {
        (
            r.method,
            r.path.format(quote="{quote_id}", listing="{listing_id}", attachment="{attachment_id}"),
        )
        for r in ROUTES
    }
    assert served == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    q = await quoted(db, offer=True)
    message = await service.post_message(
        db,
        settings,
        LocalStorage(settings.media_dir / "private"),
        q.shop.buyer,
        q.quote.id,
        "Spec sheet",
        [service.Upload("spec.pdf", files.pdf())],
    )
    admin = await factories.user(db, role=Role.ADMIN)
    stranger = await factories.user(db)
    users: dict[str, User | None] = {
        "anonymous": None,
        "buyer": q.shop.buyer,
        "seller": q.shop.up_owner,
        "other_seller": q.shop.rj_owner,
        "stranger": stranger,
        "admin": admin,
    }
    actors = await Actors(client, db, settings, users).issue_tokens()
    body = {
        "listing_id": q.shop.glass.id,
        "quantity": 40,
        "country": "IN",
        "district_id": await firozabad_id(db),
        "wanted_by": in_days(20).isoformat(),
        "unit_price_paise": 81_000,
        "lead_time_days": 4,
        "valid_until": in_days(5).isoformat(),
        "body": "Hello",
    }
    await db.commit()
    path = route.path.format(
        quote=q.quote.id, listing=q.shop.glass.id, attachment=message.attachments[0].id
    )
    # The buyer and the seller go last: some of their allowed requests change the quote.
    outcomes = await actors.outcomes(
        route.method,
        path,
        sorted(ACTORS, key=lambda a: a in ("buyer", "seller")),
        json=body,
        form={"body": "Hello"},
    )
    assert_refusals(route.refused, outcomes)
