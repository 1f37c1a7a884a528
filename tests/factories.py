"""Factories: build valid objects with sensible defaults; override what a test cares about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.config import Settings
from app.db import utcnow
from app.listings.models import Listing, ListingStatus
from app.reference.models import District, OdopProduct, State
from app.sellers import identifiers as ids
from app.sellers import repository as seller_repository
from app.sellers import service as seller_service
from app.sellers.models import Seller, SellerStatus, SellerType
from app.storage import LocalStorage
from tests.sellers import files

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


# Sellers that went through onboarding (the seller service, not direct rows) -------------------

FPO_PAN = "AAACF1234K"


def gstin_for(state_lgd_code: int, pan: str) -> str:
    body = f"{sorted(ids.gst_state_codes(state_lgd_code))[0]}{pan}1Z"
    return body + ids.gstin_check_character(body)


async def onboarded_seller(
    db: AsyncSession,
    settings: Settings,
    *,
    seller_type: SellerType = SellerType.FPO,
    submit: bool = True,
    owner: User | None = None,
) -> tuple[User, Seller]:
    """A seller who went through every required step (and submitted, unless told not to)."""
    owner = owner or await user(db, role=Role.BUYER)
    place = await district(db)
    seller = await seller_service.save_profile(
        db,
        owner,
        seller_service.ProfileInput(
            legal_name="Firozabad Glass Producer Company Ltd",
            display_name="Firozabad Glass FPO",
            seller_type=seller_type.value,
            state_id=place.state_id,
            district_id=place.id,
            address="12 Kanch Mandi, Firozabad",
            pin_code="283203",
            phone="9876543210",
            email=owner.email or "",
            languages=["Hindi"],
        ),
    )
    pan = FPO_PAN if seller_type != SellerType.ARTISAN else "ABCPE1234F"
    await seller_service.save_identifiers(
        db,
        seller,
        seller_service.IdentifiersInput(
            pan=pan,
            gstin=gstin_for(seller.state.lgd_code, pan),
            udyam_number="UDYAM-UP-09-0012345",
            cin="U01400UP2019PTC123456",
            nrlm_shg_id="1234567",
            pehchan_card="",
        ),
    )
    await seller_service.save_bank(
        db,
        settings,
        seller,
        holder=seller.legal_name,
        ifsc="SBIN0001234",
        account="123456789012",
        account_again="123456789012",
    )
    storage = LocalStorage(settings.media_dir / "private")
    await seller_service.add_document(
        db, settings, storage, seller, kind="registration", filename="reg.pdf", data=files.pdf()
    )
    if submit:
        await seller_service.submit(db, owner, seller)
    found = await seller_repository.seller_by_id(db, seller.id)
    assert found is not None
    if submit:
        assert found.status == SellerStatus.SUBMITTED
    return owner, found


async def verified_seller(
    db: AsyncSession, settings: Settings, admin: User | None = None
) -> tuple[User, Seller]:
    """An onboarded seller an administrator approved."""
    owner, seller = await onboarded_seller(db, settings)
    admin = admin or await user(db, role=Role.ADMIN)
    return owner, await seller_service.decide(
        db, admin, seller.id, seller_service.Decision.APPROVE, ""
    )
