"""Factories: build valid objects with sensible defaults; override what a test cares about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.db import utcnow
from app.listings.models import Listing, ListingStatus
from app.reference.models import District, OdopProduct, State
from app.sellers.models import Seller, SellerStatus, SellerType

_counter = itertools.count(1)


async def district(
    session: AsyncSession, state_slug: str = "uttar-pradesh", slug: str = "firozabad"
) -> District:
    found = await session.scalar(
        select(District).join(State).where(State.slug == state_slug, District.slug == slug)
    )
    assert found is not None, f"reference district {state_slug}/{slug} missing"
    return found


async def seller(
    session: AsyncSession, *, in_district: District | None = None, **overrides: Any
) -> Seller:
    place = in_district or await district(session)
    n = next(_counter)
    values: dict[str, Any] = {
        "slug": f"test-seller-{n}",
        "legal_name": f"Test Seller {n} Pvt Ltd",
        "display_name": f"Test Seller {n}",
        "seller_type": SellerType.ARTISAN,
        "status": SellerStatus.VERIFIED,
        "state_id": place.state_id,
        "district_id": place.id,
        "verified_at": utcnow(),
    }
    values.update(overrides)
    obj = Seller(**values)
    session.add(obj)
    await session.flush()
    return obj


async def listing(session: AsyncSession, owner: Seller, **overrides: Any) -> Listing:
    n = next(_counter)
    product = await session.scalar(
        select(OdopProduct).where(OdopProduct.district_id == owner.district_id).limit(1)
    )
    values: dict[str, Any] = {
        "seller_id": owner.id,
        "slug": f"test-listing-{n}",
        "title": f"Test listing {n}",
        "description": "A listing made by the test factory.",
        "status": ListingStatus.PUBLISHED,
        "state_id": owner.state_id,
        "district_id": owner.district_id,
        "odop_product_id": product.id if product else None,
        "category_id": product.category_id if product else None,
        "price_paise": 150_000,
        "stock": 10,
        "published_at": utcnow(),
    }
    values.update(overrides)
    obj = Listing(**values)
    session.add(obj)
    await session.flush()
    return obj


# Accounts ----------------------------------------------------------------------------------------
# `user(db, ...)` makes an account; sign a client in with the `sign_in` fixture (tests/conftest.py):
#     buyer = await factories.user(db)
#     await sign_in(buyer)                      # `client` now carries a real session cookie
# Post forms with tests/helpers.py `post_form(client, url, {...})` (adds the CSRF token).
DEFAULT_PASSWORD = "plum-tiger-orbit-42"
_hashes: dict[str, str] = {}


def password_hash(password: str = DEFAULT_PASSWORD) -> str:
    """argon2id costs ~50 ms; each distinct password is hashed once per test run."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


async def user(
    session: AsyncSession,
    *,
    role: Role = Role.BUYER,
    password: str = DEFAULT_PASSWORD,
    verified: bool = True,
    **overrides: Any,
) -> User:
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"user{n}@example.test",
        "display_name": f"Test User {n}",
        "password_hash": password_hash(password),
        "role": role,
        "language": "en",
        "email_verified_at": utcnow() if verified else None,
        "password_changed_at": utcnow(),
    }
    values.update(overrides)
    obj = User(**values)
    session.add(obj)
    await session.flush()
    return obj
