"""Prepares the live server's database for the quote journey: a buyer, and a demo seller in
Bihar handed to a seller account, with a listing in stock.

Run against the live server's database (``python -m tests.browser.quotes_setup`` with its
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

PASSWORD = "lamp-mango-harbour-73"


async def main() -> dict[str, object]:
    engine = make_engine(get_settings().database_url)
    async with make_session_factory(engine)() as session, session.begin():
        buyer = User(
            email="quote-buyer@example.test",
            display_name="Ravi Kumar",
            password_hash=password_hash(PASSWORD),
            email_verified_at=utcnow(),
        )
        owner = User(
            email="quote-seller@example.test",
            display_name="Quote Seller",
            password_hash=password_hash(PASSWORD),
            email_verified_at=utcnow(),
        )
        session.add_all([buyer, owner])
        await session.flush()
        state = await session.scalar(select(State).where(State.slug == "bihar"))
        assert state is not None
        listing, seller = (
            await session.execute(
                select(Listing, Seller)
                .join(Seller, Seller.id == Listing.seller_id)
                .where(
                    Seller.state_id == state.id,
                    Seller.owner_user_id.is_(None),
                    Listing.status == ListingStatus.PUBLISHED,
                )
                .order_by(Listing.id)
                .limit(1)
            )
        ).one()
        seller.owner_user_id = owner.id
        seller.gstin = gstin_for(state.lgd_code, "AAACB1234K")
        listing.stock, listing.moq, listing.made_to_order = 100, 1, False
        result: dict[str, object] = {
            "password": PASSWORD,
            "buyer": buyer.email,
            "seller_email": owner.email,
            "seller": seller.display_name,
            "slug": listing.slug,
            "title": listing.title,
        }
    await engine.dispose()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
