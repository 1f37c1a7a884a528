"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.accounts.models import Role


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    language: str
    email_verified: bool
    created_at: datetime
    token_scopes: list[str]
