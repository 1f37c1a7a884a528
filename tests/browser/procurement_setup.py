"""Prepares the live server's database for the direct-purchase journey: four officers of a
government department who do not yet belong to anything, and a demo seller in Uttar Pradesh
handed to a seller account, with a listing in stock.

Run against the live server's database (``python -m tests.browser.procurement_setup`` with its
environment); prints what the browser test needs as JSON."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from app.accounts.models import User
from app.config import get_settings
from app.db import make_engine, make_session_factory, utcnow
from app.listings.models import Listing, ListingStatus
from app.reference.models import State
from app.sellers.models import Seller
from tests.factories import gstin_for, password_hash

PASSWORD = "tender-mango-loom-73"
OFFICERS = ("admin", "buyer", "consignee", "payer")


async def main() -> dict[str, object]:
    engine = make_engine(get_settings().database_url)
    result: dict[str, object] = {"password": PASSWORD}
    async with make_session_factory(engine)() as session, session.begin():
        for role in OFFICERS:
            session.add(
                User(
                    email=f"po-{role}@example.gov.in",
                    display_name=f"Officer {role.title()}",
                    password_hash=password_hash(PASSWORD),
                    email_verified_at=utcnow(),
                )
            )
            result[role] = f"po-{role}@example.gov.in"
        state = await session.scalar(select(State).where(State.slug == "uttar-pradesh"))
        assert state is not None
        listing, seller = (
            await session.execute(
                select(Listing, Seller)
                .join(Seller, Seller.id == Listing.seller_id)
                .where(Seller.state_id == state.id, Listing.status == ListingStatus.PUBLISHED)
                .order_by(Listing.id.desc())
                .limit(1)
            )
        ).one()
        owner = User(
            email="po-seller@example.test",
            display_name="PO Seller",
            password_hash=password_hash(PASSWORD),
            email_verified_at=utcnow(),
        )
        session.add(owner)
        await session.flush()
        seller.owner_user_id = owner.id
        seller.gstin = gstin_for(state.lgd_code, "AAACP1234K")
        listing.stock, listing.moq, listing.made_to_order = 100, 1, False
        listing.price_paise = 120_000
        result["seller"] = owner.email
        result["slug"] = listing.slug
        result["title"] = listing.title
    await engine.dispose()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
