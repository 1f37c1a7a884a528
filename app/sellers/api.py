"""JSON API of a seller's own listings under /api/v1/seller (personal API tokens, scoped).

Included in app/main.py with ``dependencies=[Depends(require_user)]``; reads need the
``seller:read`` scope and changes ``seller:write``. Another seller's listing id is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.accounts.deps import require_scope
from app.accounts.models import User
from app.db import SessionDep
from app.errors import FormErrors, NotFound, ValidationFailed
from app.i18n import gettext as _
from app.sellers import listing_repository as repo
from app.sellers import listings, repository
from app.sellers.deps import public_storage
from app.sellers.models import Seller
from app.sellers.schemas import ListingIn
from app.storage import Storage

router = APIRouter(prefix="/api/v1/seller", tags=["seller"])
Reader = Annotated[User, require_scope("seller:read")]
Writer = Annotated[User, require_scope("seller:write")]


async def _seller(session: SessionDep, user: User) -> Seller:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        raise NotFound(_("You have no seller account yet. Start at /sell."))
    return seller


def _data(body: ListingIn) -> listings.ListingData:
    try:
        return listings.parse(body.as_text())
    except FormErrors as exc:
        raise ValidationFailed(exc.message, details=exc.errors) from None


@router.get("/listings", summary="Your listings")
async def list_listings(session: SessionDep, user: Reader) -> list[dict[str, Any]]:
    seller = await _seller(session, user)
    return [listings.as_dict(item) for item in await repo.listings_of(session, seller.id)]


@router.post("/listings", status_code=201, summary="Create a draft listing")
async def create_listing(session: SessionDep, user: Writer, body: ListingIn) -> dict[str, Any]:
    seller = await _seller(session, user)
    data = _data(body)
    try:
        listing = await listings.create(session, seller, data)
    except FormErrors as exc:
        raise ValidationFailed(exc.message, details=exc.errors) from None
    return listings.as_dict(await listings.get_owned(session, seller, listing.id))


@router.get("/listings/{listing_id}", summary="One of your listings")
async def get_listing(session: SessionDep, user: Reader, listing_id: int) -> dict[str, Any]:
    seller = await _seller(session, user)
    return listings.as_dict(await listings.get_owned(session, seller, listing_id))


@router.put("/listings/{listing_id}", summary="Replace a listing's details")
async def update_listing(
    session: SessionDep, user: Writer, listing_id: int, body: ListingIn
) -> dict[str, Any]:
    seller = await _seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    try:
        await listings.update(session, seller, listing, _data(body))
    except FormErrors as exc:
        raise ValidationFailed(exc.message, details=exc.errors) from None
    return listings.as_dict(await listings.get_owned(session, seller, listing_id))


@router.post("/listings/{listing_id}/publish", summary="Publish (verified sellers)")
async def publish_listing(session: SessionDep, user: Writer, listing_id: int) -> dict[str, Any]:
    seller = await _seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.publish(session, seller, listing)
    return listings.as_dict(listing)


@router.post("/listings/{listing_id}/unpublish", summary="Hide from buyers")
async def unpublish_listing(session: SessionDep, user: Writer, listing_id: int) -> dict[str, Any]:
    seller = await _seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.unpublish(session, listing)
    return listings.as_dict(listing)


@router.delete("/listings/{listing_id}", status_code=204, summary="Delete a listing")
async def delete_listing(
    session: SessionDep,
    user: Writer,
    storage: Annotated[Storage, Depends(public_storage)],
    listing_id: int,
) -> Response:
    seller = await _seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.delete(session, storage, listing)
    return Response(status_code=204)
