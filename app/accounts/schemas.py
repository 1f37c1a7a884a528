"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.accounts.models import Role


class Me(BaseModel):
    id: int
    email: str | None
    phone: str | None
    display_name: str
    role: Role
    language: str
    email_verified: bool
    phone_verified: bool
    created_at: datetime
    token_scopes: list[str]
