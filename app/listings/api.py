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
from app.listings import repository as repo
from app.listings import service as listings
from app.listings.schemas import ListingIn
from app.sellers.deps import current_seller, public_storage
from app.storage import Storage

router = APIRouter(prefix="/api/v1/seller", tags=["seller"])
Reader = Annotated[User, require_scope("seller:read")]
Writer = Annotated[User, require_scope("seller:write")]


def _data(body: ListingIn) -> listings.ListingData:
    return listings.parse(body.as_text())  # FormErrors is a ValidationFailed: a 422 JSON error


@router.get("/listings", summary="Your listings")
async def list_listings(session: SessionDep, user: Reader) -> list[dict[str, Any]]:
    seller = await current_seller(session, user)
    return [listings.as_dict(item) for item in await repo.listings_of(session, seller.id)]


@router.post("/listings", status_code=201, summary="Create a draft listing")
async def create_listing(session: SessionDep, user: Writer, body: ListingIn) -> dict[str, Any]:
    seller = await current_seller(session, user)
    data = _data(body)
    listing = await listings.create(session, seller, data)
    return listings.as_dict(await listings.get_owned(session, seller, listing.id))


@router.get("/listings/{listing_id}", summary="One of your listings")
async def get_listing(session: SessionDep, user: Reader, listing_id: int) -> dict[str, Any]:
    seller = await current_seller(session, user)
    return listings.as_dict(await listings.get_owned(session, seller, listing_id))


@router.put("/listings/{listing_id}", summary="Replace a listing's details")
async def update_listing(
    session: SessionDep, user: Writer, listing_id: int, body: ListingIn
) -> dict[str, Any]:
    seller = await current_seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.update(session, seller, listing, _data(body))
    return listings.as_dict(await listings.get_owned(session, seller, listing_id))


@router.post("/listings/{listing_id}/publish", summary="Publish (verified sellers)")
async def publish_listing(session: SessionDep, user: Writer, listing_id: int) -> dict[str, Any]:
    seller = await current_seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.publish(session, seller, listing)
    return listings.as_dict(listing)


@router.post("/listings/{listing_id}/unpublish", summary="Hide from buyers")
async def unpublish_listing(session: SessionDep, user: Writer, listing_id: int) -> dict[str, Any]:
    seller = await current_seller(session, user)
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
    seller = await current_seller(session, user)
    listing = await listings.get_owned(session, seller, listing_id)
    await listings.delete(session, storage, listing)
    return Response(status_code=204)
