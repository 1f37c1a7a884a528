"""JSON API of a seller's own listings under /api/v1/seller (personal API tokens, scoped).

Included in app/main.py with ``dependencies=[Depends(require_user)]``; reads need the
``seller:read`` scope and changes ``seller:write``. Another seller's listing id is a 404.
The scope parameter comes before ``OwnedListing``, so a token without the scope gets its 403
before any listing is looked up.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.accounts.deps import require_scope
from app.accounts.models import User
from app.db import SessionDep
from app.listings import repository as repo
from app.listings import service as listings
from app.listings.deps import OwnedListing
from app.listings.schemas import ListingIn, SellerListingOut
from app.sellers.deps import current_seller, public_storage
from app.storage import Storage

router = APIRouter(prefix="/api/v1/seller", tags=["seller"])
Reader = Annotated[User, require_scope("seller:read")]
Writer = Annotated[User, require_scope("seller:write")]


def _data(body: ListingIn) -> listings.ListingData:
    return listings.parse(body.as_text())  # FormErrors is a ValidationFailed: a 422 JSON error


@router.get("/listings", summary="Your listings", response_model=list[SellerListingOut])
async def list_listings(session: SessionDep, user: Reader) -> list[dict[str, Any]]:
    seller = await current_seller(session, user)
    return [listings.as_dict(item) for item in await repo.listings_of(session, seller.id)]


@router.post(
    "/listings", status_code=201, summary="Create a draft listing", response_model=SellerListingOut
)
async def create_listing(session: SessionDep, user: Writer, body: ListingIn) -> dict[str, Any]:
    seller = await current_seller(session, user)
    listing = await listings.create(session, seller, _data(body))
    return listings.as_dict(await listings.get_owned(session, seller, listing.id))


@router.get(
    "/listings/{listing_id}", summary="One of your listings", response_model=SellerListingOut
)
async def get_listing(user: Reader, listing: OwnedListing) -> dict[str, Any]:
    return listings.as_dict(listing)


@router.put(
    "/listings/{listing_id}", summary="Replace a listing's details", response_model=SellerListingOut
)
async def update_listing(
    session: SessionDep, user: Writer, listing: OwnedListing, body: ListingIn
) -> dict[str, Any]:
    seller = await current_seller(session, user)
    await listings.update(session, seller, listing, _data(body))
    return listings.as_dict(await listings.get_owned(session, seller, listing.id))


@router.post(
    "/listings/{listing_id}/publish",
    summary="Publish (verified sellers)",
    response_model=SellerListingOut,
)
async def publish_listing(
    session: SessionDep, user: Writer, listing: OwnedListing
) -> dict[str, Any]:
    seller = await current_seller(session, user)
    await listings.publish(session, seller, listing)
    return listings.as_dict(listing)


@router.post(
    "/listings/{listing_id}/unpublish", summary="Hide from buyers", response_model=SellerListingOut
)
async def unpublish_listing(
    session: SessionDep, user: Writer, listing: OwnedListing
) -> dict[str, Any]:
    await listings.unpublish(session, listing)
    return listings.as_dict(listing)


@router.delete("/listings/{listing_id}", status_code=204, summary="Delete a listing")
async def delete_listing(
    session: SessionDep,
    user: Writer,
    storage: Annotated[Storage, Depends(public_storage)],
    listing: OwnedListing,
) -> Response:
    await listings.delete(session, storage, listing)
    return Response(status_code=204)
