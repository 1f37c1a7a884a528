"""Dependencies of the buying routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.storage import Storage


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def private_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.private_storage
    return storage


SettingsDep = Annotated[Settings, Depends(settings_of)]
StorageDep = Annotated[Storage, Depends(private_storage)]
