"""Dependencies of the seller pages and API: settings, storages, and the caller's own seller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.accounts.deps import CurrentUser
from app.config import Settings
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import gettext as _
from app.sellers import repository
from app.sellers.models import Seller
from app.storage import Storage


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def private_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.private_storage
    return storage


def public_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.public_storage
    return storage


async def current_seller(session: SessionDep, user: CurrentUser) -> Seller:
    """The signed-in user's seller; a user without one gets 404 (there is nothing of theirs)."""
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        raise NotFound(_("You have no seller account yet. Start at /sell."))
    return seller


CurrentSeller = Annotated[Seller, Depends(current_seller)]
