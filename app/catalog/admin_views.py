"""The administrators' storefront pages: exchange rates.

The storefront caches the rates it shows, so saving one clears the catalog cache; that is why
this page lives with the catalog rather than in app/rates.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import AdminUser
from app.catalog.deps import CacheDep
from app.config import Settings
from app.db import SessionDep, utcnow
from app.errors import ValidationFailed
from app.i18n import gettext as _
from app.rates import service as currency
from app.web import flash, redirect_to, templates_of, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


@router.get("/admin/rates", response_class=HTMLResponse, name="admin_rates")
async def admin_rates(request: Request, session: SessionDep, user: AdminUser) -> HTMLResponse:
    return await _rates_page(request, session, {})


async def _rates_page(
    request: Request,
    session: SessionDep,
    form: dict[str, str],
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    return templates_of(request).render(
        request,
        "admin/rates.html",
        {
            "current": await currency.current_rates(session, utcnow().date()),
            "history": await currency.rate_history(session),
            "display_currencies": settings.display_currencies,
            "form": {"currency": "", "rate": "", "effective_date": "", **form},
            "error": error,
            "today": utcnow().date(),
        },
        status_code=status_code,
    )


@router.post("/admin/rates", response_class=HTMLResponse, name="admin_rates_set")
async def admin_rates_set(
    request: Request,
    session: SessionDep,
    cache: CacheDep,
    user: AdminUser,
    currency_code: Annotated[str, Form(alias="currency", max_length=3)] = "",
    rate: Annotated[str, Form(max_length=40)] = "",
    effective_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    settings: Settings = request.app.state.settings
    form = {"currency": currency_code, "rate": rate, "effective_date": effective_date}
    try:
        day = date.fromisoformat(effective_date) if effective_date else utcnow().date()
    except ValueError:
        return await _rates_page(
            request, session, form, _("Give the date as YYYY-MM-DD."), status_code=422
        )
    try:
        saved = await currency.set_rate(
            session,
            currency_code,
            currency.parse_rate(rate),
            day,
            supported=settings.display_currencies,
            source=f"admin:{user.id}",
        )
    except ValidationFailed as exc:
        return await _rates_page(request, session, form, exc.message, status_code=422)
    cache.clear()
    flash(
        request,
        _(
            "Saved: 1 %(code)s = ₹%(rate)s from %(day)s.",
            code=saved.currency,
            rate=saved.inr_text,
            day=saved.effective_date.isoformat(),
        ),
    )
    return redirect_to(request, "admin_rates")
