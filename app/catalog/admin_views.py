"""The administrators' storefront pages: exchange rates, district and ODOP product stories.

The storefront caches the rates it shows, so saving one clears the catalog cache; that is why
this page lives with the catalog rather than in app/rates.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import AdminUser
from app.catalog import service
from app.catalog.deps import CacheDep
from app.config import Settings
from app.db import SessionDep, utcnow
from app.errors import FormErrors, ValidationFailed
from app.i18n import gettext as _
from app.rates import service as currency
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)


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


# District and ODOP product stories ---------------------------------------------------------------


@router.get("/admin/stories", response_class=HTMLResponse, name="admin_stories")
async def admin_stories(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    state: Annotated[str, Query(max_length=120)] = "",
) -> HTMLResponse:
    states = await service.all_states(session)
    chosen = next((s for s in states if s.slug == state), None)
    districts = await service.districts_for_stories(session, chosen.id) if chosen else []
    return templates_of(request).render(
        request,
        "admin/stories.html",
        {"states": states, "chosen": chosen, "districts": districts},
        headers={"cache-control": "no-store"},
    )


async def _story_page(
    request: Request,
    session: SessionDep,
    district_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    district = await service.district_for_stories(session, district_id)
    if values is None:
        values = {"story": district.story, "story_hi": district.story_hi or ""}
        for product in district.odop_products:
            values[f"story_{product.id}"] = product.story
            values[f"story_hi_{product.id}"] = product.story_hi or ""
    return templates_of(request).render(
        request,
        "admin/story.html",
        {"district": district, "values": values, "errors": errors or {}},
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


@router.get("/admin/stories/{district_id}", response_class=HTMLResponse, name="admin_story")
async def admin_story(
    request: Request, session: SessionDep, user: AdminUser, district_id: int
) -> HTMLResponse:
    return await _story_page(request, session, district_id)


@router.post("/admin/stories/{district_id}", response_class=HTMLResponse)
async def admin_story_save(
    request: Request, session: SessionDep, cache: CacheDep, user: AdminUser, district_id: int
) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    try:
        district = await service.save_stories(session, district_id, values)
    except FormErrors as exc:
        return await _story_page(request, session, district_id, values, exc.errors, 422)
    cache.clear()  # district pages keep the district (with its products) in the catalog cache
    flash(request, _("The stories of %(district)s are saved.", district=district.name))
    return RedirectResponse(
        request.app.url_path_for("admin_story", district_id=str(district_id)), status_code=303
    )
