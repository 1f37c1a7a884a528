"""The buyer's language and display currency, kept in long-lived cookies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app.config import Settings
from app.i18n import LANGUAGE_COOKIE, LANGUAGES
from app.money import BASE_CURRENCY

CURRENCY_COOKIE = "odop_currency"
ONE_YEAR = 365 * 24 * 3600

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths: never '//host' or a scheme, so the redirect cannot leave the site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def selected_currency(request: Request) -> str:
    settings: Settings = request.app.state.settings
    chosen = request.cookies.get(CURRENCY_COOKIE, BASE_CURRENCY)
    return chosen if chosen in settings.display_currencies else BASE_CURRENCY


def _remember(request: Request, cookie: str, value: str, target: str | None) -> RedirectResponse:
    response = RedirectResponse(safe_next(target), status_code=303)
    secure = request.app.state.settings.env == "production"
    response.set_cookie(
        cookie, value, max_age=ONE_YEAR, httponly=True, samesite="lax", secure=secure
    )
    return response


@router.get("/preferences/language", name="set_language")
async def set_language(
    request: Request,
    lang: Annotated[str, Query(max_length=8)],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> RedirectResponse:
    return _remember(request, LANGUAGE_COOKIE, lang if lang in LANGUAGES else "en", next)


@router.get("/preferences/currency", name="set_currency")
async def set_currency(
    request: Request,
    code: Annotated[str, Query(max_length=3)],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> RedirectResponse:
    settings: Settings = request.app.state.settings
    code = code.upper()
    return _remember(
        request,
        CURRENCY_COOKIE,
        code if code in settings.display_currencies else BASE_CURRENCY,
        next,
    )
