"""Authorisation matrix: every seller and admin route and seller API endpoint, called by an
anonymous visitor, a buyer, another seller, the owner and an admin.

"Allowed" means authorisation let the request through (whatever the business outcome: a
redirect, a page, a 409 or a 422 for an empty form); "refused" is the exact status expected.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import phone_views
from app.accounts.models import Role, User
from app.catalog import admin_views as catalog_admin_views
from app.catalog import views as catalog_views
from app.config import Settings
from app.listings import api
from app.listings import service as listings
from app.listings import views as dashboard_views
from app.sellers import admin_views, repository, service, start_views
from app.sellers import views as sellers_views
from app.sms import dev_router as sms_dev_router
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
from tests.factories import onboarded_seller
from tests.sellers import files

ACTORS = ("anonymous", "buyer", "other_seller", "owner", "admin")


OWNER_ONLY: Refusals = {"anonymous": SIGN_IN, "buyer": 404, "other_seller": 404, "admin": 404}
ANY_SELLER: Refusals = {"anonymous": SIGN_IN, "buyer": 404, "admin": 404}
SIGNED_IN: Refusals = {"anonymous": SIGN_IN}
PUBLIC: Refusals = {}
ADMIN_ONLY: Refusals = {"anonymous": SIGN_IN, "buyer": 403, "other_seller": 403, "owner": 403}

ROUTES = [
    Route("GET", "/sell", SIGNED_IN),
    Route("GET", "/sell/profile", SIGNED_IN),
    Route("GET", "/sell/districts?state_id=1", SIGNED_IN),
    Route("POST", "/sell/profile", SIGNED_IN),
    Route("GET", "/sell/identifiers", SIGNED_IN),
    Route("POST", "/sell/identifiers", ANY_SELLER),
    Route("GET", "/sell/bank", SIGNED_IN),
    Route("POST", "/sell/bank", ANY_SELLER),
    Route("GET", "/sell/documents", SIGNED_IN),
    Route("POST", "/sell/documents", ANY_SELLER),
    Route("GET", "/sell/documents/{document}", OWNER_ONLY),
    Route("POST", "/sell/documents/{document}/delete", OWNER_ONLY),
    Route("GET", "/sell/gi", SIGNED_IN),
    Route("POST", "/sell/gi", SIGNED_IN),
    Route("POST", "/sell/gi/{claim}/withdraw", OWNER_ONLY),
    Route("GET", "/sell/members", ANY_SELLER),
    Route("POST", "/sell/members", ANY_SELLER),
    Route("POST", "/sell/members/{member}/remove", OWNER_ONLY),
    Route("POST", "/sell/submit", SIGNED_IN),
    Route("GET", "/seller", ANY_SELLER),
    Route("GET", "/seller/listings", ANY_SELLER),
    Route("GET", "/seller/listings/new", ANY_SELLER),
    Route("POST", "/seller/listings/new", ANY_SELLER),
    Route("GET", "/seller/export.csv", ANY_SELLER),
    Route("POST", "/seller/import", ANY_SELLER),
    Route("GET", "/seller/listings/{listing}", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/duplicate", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/publish", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/unpublish", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/photos", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/photos/{image}/move", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/photos/{image}/delete", OWNER_ONLY),
    Route("POST", "/seller/listings/{listing}/delete", OWNER_ONLY),
    Route("GET", "/admin", ADMIN_ONLY),
    Route("GET", "/admin/sellers", ADMIN_ONLY),
    Route("GET", "/admin/sellers/{seller}", ADMIN_ONLY),
    Route("GET", "/admin/documents/{document}", ADMIN_ONLY),
    Route("POST", "/admin/sellers/{seller}/decision", ADMIN_ONLY),
    Route("POST", "/admin/sellers/{seller}/suspend", ADMIN_ONLY),
    Route("POST", "/admin/sellers/{seller}/reinstate", ADMIN_ONLY),
    Route("POST", "/admin/gi-claims/{claim}/decision", ADMIN_ONLY),
    Route("GET", "/api/v1/seller/listings", ANY_SELLER),
    Route("POST", "/api/v1/seller/listings", ANY_SELLER),
    Route("GET", "/api/v1/seller/listings/{listing}", OWNER_ONLY),
    Route("PUT", "/api/v1/seller/listings/{listing}", OWNER_ONLY),
    Route("POST", "/api/v1/seller/listings/{listing}/publish", OWNER_ONLY),
    Route("POST", "/api/v1/seller/listings/{listing}/unpublish", OWNER_ONLY),
    Route("DELETE", "/api/v1/seller/listings/{listing}", OWNER_ONLY),
    # Issue 14: stories (administrators), the rates page beside them, and the public routes of
    # the journeys: anyone may open them (signed-in users may be sent on, never refused).
    Route("GET", "/admin/rates", ADMIN_ONLY),
    Route("POST", "/admin/rates", ADMIN_ONLY),
    Route("GET", "/admin/stories", ADMIN_ONLY),
    Route("GET", "/admin/stories/{district}", ADMIN_ONLY),
    Route("POST", "/admin/stories/{district}", ADMIN_ONLY),
    Route("GET", "/sell/start", PUBLIC),
    Route("GET", "/sellers/{seller_slug}", PUBLIC),
    Route("GET", "/account/phone/register", PUBLIC),
    Route("POST", "/account/phone/register", PUBLIC),
    Route("GET", "/account/phone/sign-in", PUBLIC),
    Route("POST", "/account/phone/sign-in", PUBLIC),
    Route("POST", "/account/phone/code", PUBLIC),
    Route("GET", "/dev/sms", PUBLIC),
]
API_BODY = {"title": "Glass vase", "price_paise": 99_900}


def test_the_matrix_covers_every_seller_and_admin_route() -> None:
    routers = (
        sellers_views.router,
        dashboard_views.router,
        admin_views.router,
        api.router,
        catalog_admin_views.router,
        start_views.router,
        phone_views.router,
        sms_dev_router,
    )
    served = served_routes(*routers) | {
        (method, route.path)
        for route in catalog_views.router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/sellers/")
        for method in (route.methods or set()) - {"HEAD"}
    }
    listed = {
        (
            route.method,
            route.path.format(
                listing="{listing_id}",
                document="{document_id}",
                claim="{claim_id}",
                member="{member_id}",
                image="{image_id}",
                seller="{seller_id}",
                district="{district_id}",
                seller_slug="{seller_slug}",
            ),
        )
        for route in ROUTES
    }
    listed = {(method, path.split("?", 1)[0]) for method, path in listed}
    assert served == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_authorisation(
    route: Route, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    owner, seller = await onboarded_seller(db, settings)
    admin = await factories.user(db, role=Role.ADMIN)
    seller = await service.decide(db, admin, seller.id, service.Decision.APPROVE, "")
    other_owner, _other = await onboarded_seller(db, settings, submit=False)
    buyer = await factories.user(db)
    tags = await repository.gi_tags_for_place(db, seller.state_id, seller.district_id)
    private = LocalStorage(settings.media_dir / "private")
    claim = await service.add_gi_claim(
        db,
        settings,
        private,
        seller,
        gi_tag_id=tags[0].id,
        authorised_user_number="AU-1",
        certificate_name="c.pdf",
        certificate=files.pdf(),
    )
    member = await service.add_member(
        db, seller, name="Sunita", craft="", pehchan_card="", phone=""
    )
    listing = await listings.create(
        db, seller, listings.parse({"title": "Vase", "price_inr": "500"})
    )
    listing = await listings.get_owned(db, seller, listing.id)
    await listings.add_photos(
        db, settings, LocalStorage(settings.media_dir / "public"), listing, [("p.png", files.png())]
    )
    document = (await repository.documents(db, seller.id))[0]
    path = route.path.format(
        listing=listing.id,
        document=document.id,
        claim=claim.id,
        member=member.id,
        image=listing.images[0].id,
        seller=seller.id,
        district=seller.district_id,
        seller_slug=seller.slug,
    )
    users: dict[str, User | None] = {
        "anonymous": None,
        "buyer": buyer,
        "other_seller": other_owner,
        "owner": owner,
        "admin": admin,
    }
    actors = await Actors(
        client, db, settings, users, sign_in_pages=("/account/sign-in", "/sell/start")
    ).issue_tokens()

    # The owner goes last: some of its allowed requests delete what the others aim at.
    outcomes = await actors.outcomes(
        route.method, path, sorted(ACTORS, key=lambda a: a == "owner"), json=API_BODY
    )
    assert_refusals(route.refused, outcomes)
