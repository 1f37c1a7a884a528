"""Prepares the live server's database for the L1 and bid journeys: a verified department with a
buyer (also its org admin), a consignee and a paying authority, a delivery address in Agra, and
three verified sellers with accounts in one district, each with one listing of its ODOP product
(the only ones published), in stock, with shipping terms.

``python -m tests.browser.buying_setup`` prints what the browser test needs as JSON;
``python -m tests.browser.buying_setup close <requirement id>`` moves a bid's closing time into
the past (the test cannot wait for the clock)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import User
from app.config import get_settings
from app.db import make_engine, make_session_factory, utcnow
from app.listings.models import Listing, ListingStatus
from app.listings.sale_models import SellerShipping
from app.procurement.buying.models import Requirement
from app.procurement.organisations.models import (
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)
from app.reference.models import District, OdopProduct, State
from tests import factories
from tests.factories import gstin_for, password_hash

PASSWORD = "vase-kiln-monsoon-73"
PANS = ("AAACB1234K", "AAACC2345L", "AAACD3456M")
PRICES = (100_000, 98_000, 110_000)  # the second charges ₹400 shipping: the first is L1
SHIPPING = (0, 40_000, 0)


def _user(email: str, name: str) -> User:
    return User(
        email=email,
        display_name=name,
        password_hash=password_hash(PASSWORD),
        email_verified_at=utcnow(),
    )


async def main() -> dict[str, object]:
    engine = make_engine(get_settings().database_url)
    result: dict[str, object] = {"password": PASSWORD}
    async with make_session_factory(engine)() as session, session.begin():
        state = await session.scalar(select(State).where(State.slug == "uttar-pradesh"))
        assert state is not None
        agra = await session.scalar(
            select(District).where(District.slug == "agra", District.state_id == state.id)
        )
        assert agra is not None
        organisation = Organisation(
            name="Department of Handicrafts (browser)",
            kind=OrgKind.DEPARTMENT,
            is_government=True,
            verified_at=utcnow(),
        )
        session.add(organisation)
        buyer = _user("buyer@dept.example.test", "Meera Buyer")
        consignee = _user("stores@dept.example.test", "Ravi Stores")
        payer = _user("accounts@dept.example.test", "Kiran Accounts")
        session.add_all([buyer, consignee, payer])
        await session.flush()
        for user, role in (
            (buyer, Role.BUYER),
            (buyer, Role.ORG_ADMIN),
            (consignee, Role.CONSIGNEE),
            (payer, Role.PAYING_AUTHORITY),
        ):
            session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=role))
        session.add(
            DeliveryAddress(
                organisation_id=organisation.id,
                consignee_user_id=consignee.id,
                label="Central stores",
                line1="1 Collectorate Road",
                city="Agra",
                district_id=agra.id,
                state_id=agra.state_id,
                pin="282001",
            )
        )
        # The last district's ODOP product: its demo listings (no other browser test looks at
        # them) are unpublished, so that the three sellers below are the only eligible ones.
        product = await session.scalar(select(OdopProduct).order_by(OdopProduct.id.desc()))
        assert product is not None
        place = await session.get(District, product.district_id)
        assert place is not None
        place_state = await session.get(State, place.state_id)
        assert place_state is not None
        await session.execute(
            update(Listing)
            .where(Listing.odop_product_id == product.id)
            .values(status=ListingStatus.UNPUBLISHED)
        )
        sellers = []
        for n in range(3):
            owner = _user(f"glassworks-{n + 1}@example.test", f"Glassworks owner {n + 1}")
            session.add(owner)
            await session.flush()
            seller = await factories.seller(
                session,
                in_district=place,
                slug=f"browser-glassworks-{n + 1}",
                display_name=f"Browser Glassworks {n + 1}",
                owner_user_id=owner.id,
                gstin=gstin_for(place_state.lgd_code, PANS[n]),
                email=owner.email,
            )
            session.add(
                SellerShipping(
                    seller_id=seller.id, domestic_flat_paise=SHIPPING[n], dispatch_days=2
                )
            )
            listing = await factories.listing(
                session,
                seller,
                slug=f"browser-glass-vase-{n + 1}",
                title=f"Hand-blown glass vase {n + 1}",
                price_paise=PRICES[n],
                stock=500,
                hsn_code="7013",
                odop_product_id=product.id,
            )
            sellers.append(
                {
                    "email": owner.email,
                    "seller": seller.display_name,
                    "listing_id": listing.id,
                    "title": listing.title,
                }
            )
        result.update(
            buyer=buyer.email,
            consignee=consignee.email,
            payer=payer.email,
            product_id=product.id,
            district_id=place.id,
            sellers=sellers,
        )
    await engine.dispose()
    return result


async def close(requirement_id: int) -> None:
    engine = make_engine(get_settings().database_url)
    async with make_session_factory(engine)() as session, session.begin():
        await session.execute(
            update(Requirement)
            .where(Requirement.id == requirement_id)
            .values(closes_at=utcnow() - timedelta(minutes=1))
        )
    await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["close"]:
        asyncio.run(close(int(sys.argv[2])))
    else:
        print(json.dumps(asyncio.run(main())))
