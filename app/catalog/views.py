"""Catalog pages: home, a State/UT, a district."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.catalog import repository, service
from app.db import SessionDep
from app.web import templates_of, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


def _lenient_page(page: str | None = None) -> int:
    """Pages ignore a malformed ?page= rather than failing; the API is strict instead."""
    try:
        return max(1, int(page or 1))
    except ValueError:
        return 1


PageNumber = Annotated[int, Depends(_lenient_page)]


@router.get("/", response_class=HTMLResponse, name="home")
async def home(request: Request, session: SessionDep) -> HTMLResponse:
    states = await repository.states_with_counts(session)
    return templates_of(request).render(request, "catalog/home.html", {"states": states})


@router.get("/states/{state_slug}", response_class=HTMLResponse, name="state")
async def state_page(request: Request, session: SessionDep, state_slug: str) -> HTMLResponse:
    state = await service.get_state(session, state_slug)
    districts = await repository.districts_with_products(session, state.id)
    return templates_of(request).render(
        request, "catalog/state.html", {"state": state, "districts": districts}
    )


@router.get("/states/{state_slug}/{district_slug}", response_class=HTMLResponse, name="district")
async def district_page(
    request: Request,
    session: SessionDep,
    state_slug: str,
    district_slug: str,
    page: PageNumber,
) -> HTMLResponse:
    state = await service.get_state(session, state_slug)
    district = await service.get_district(session, state, district_slug)
    listings, pagination = await service.district_listings(session, district, page)
    return templates_of(request).render(
        request,
        "catalog/district.html",
        {"state": state, "district": district, "listings": listings, "page": pagination},
    )
