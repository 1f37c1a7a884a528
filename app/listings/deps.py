"""Dependencies of the seller's listing pages and API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.listings import service
from app.listings.models import Listing
from app.sellers.deps import CurrentSeller


async def owned_listing(session: SessionDep, seller: CurrentSeller, listing_id: int) -> Listing:
    """The ``{listing_id}`` of the path, if it is the caller's: another seller's id is a 404."""
    return await service.get_owned(session, seller, listing_id)


OwnedListing = Annotated[Listing, Depends(owned_listing)]
