"""JSON API of accounts. Included in app/main.py with ``dependencies=[Depends(require_user)]``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.accounts.deps import CurrentUser
from app.accounts.models import ApiToken
from app.accounts.schemas import Me
from app.errors import error_responses

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=error_responses(401))


@router.get("/me", response_model=Me, summary="The user behind the API token")
async def me(request: Request, user: CurrentUser) -> Me:
    token: ApiToken | None = getattr(request.state, "api_token", None)
    return Me(
        id=user.id,
        email=user.email,
        phone=user.phone,
        display_name=user.display_name,
        role=user.role,
        language=user.language,
        email_verified=user.email_verified_at is not None,
        phone_verified=user.phone_verified_at is not None,
        created_at=user.created_at,
        token_scopes=sorted(token.scope_set) if token else [],
    )
