"""Prepares the live server's database for the order journey: a buyer, and two demo sellers in
Uttar Pradesh and Rajasthan handed to seller accounts, each with a listing in stock.

Run against the live server's database (``python -m tests.browser.orders_setup`` with its
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

PASSWORD = "quilt-bangle-river-58"


async def main() -> dict[str, object]:
    engine = make_engine(get_settings().database_url)
    result: dict[str, object] = {"password": PASSWORD}
    async with make_session_factory(engine)() as session, session.begin():
        buyer = User(
            email="buyer@example.test",
            display_name="Asha Verma",
            password_hash=password_hash(PASSWORD),
            email_verified_at=utcnow(),
        )
        session.add(buyer)
        for key, state_slug, pan in (
            ("up", "uttar-pradesh", "AAACU1234K"),
            ("rj", "rajasthan", "AAACR1234K"),
        ):
            state = await session.scalar(select(State).where(State.slug == state_slug))
            assert state is not None
            row = (
                await session.execute(
                    select(Listing, Seller)
                    .join(Seller, Seller.id == Listing.seller_id)
                    .where(Seller.state_id == state.id, Listing.status == ListingStatus.PUBLISHED)
                    .order_by(Listing.id)
                    .limit(1)
                )
            ).one()
            listing, seller = row
            owner = User(
                email=f"seller-{key}@example.test",
                display_name=f"Seller {key.upper()}",
                password_hash=password_hash(PASSWORD),
                email_verified_at=utcnow(),
            )
            session.add(owner)
            await session.flush()
            seller.owner_user_id = owner.id
            seller.gstin = gstin_for(state.lgd_code, pan)
            listing.stock, listing.moq, listing.made_to_order = 50, 1, False
            result[key] = {
                "email": owner.email,
                "seller": seller.display_name,
                "slug": listing.slug,
                "title": listing.title,
            }
    await engine.dispose()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
