"""``/sell/start``: where someone who wants to sell lands when signed out. It offers both
creating an account (by mobile number or email) and signing in, and keeps ``next`` so each way
ends back at onboarding (through registration and the email confirmation link)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.deps import OptionalUser
from app.preferences import safe_next
from app.web import templates_of

router = APIRouter(include_in_schema=False)


@router.get("/sell/start", name="sell_start")
async def sell_start(
    request: Request, user: OptionalUser, next: Annotated[str, Query(max_length=2000)] = "/sell"
) -> Response:
    target = safe_next(next) if next.startswith("/sell") else "/sell"
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return templates_of(request).render(
        request, "sellers/sell_start.html", {"next": target}, headers={"cache-control": "no-store"}
    )
