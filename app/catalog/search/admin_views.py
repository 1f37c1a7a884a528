"""The administrators' search pages: synonym groups.

Included in app/main.py with ``dependencies=[Depends(require_admin)]``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from app.catalog.search import service
from app.db import SessionDep
from app.errors import AppError
from app.i18n import gettext as _
from app.web import flash, redirect_to, templates_of, verify_csrf

admin_router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@admin_router.get("/admin/search/synonyms", response_class=HTMLResponse, name="admin_synonyms")
async def synonyms_page(request: Request, session: SessionDep) -> HTMLResponse:
    return _render_synonyms(request, await service.list_synonyms(session), {}, None)


def _render_synonyms(
    request: Request, groups: Any, values: dict[str, str], error: str | None
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "admin/synonyms.html",
        {"groups": groups, "values": values, "error": error},
        status_code=422 if error else 200,
    )


@admin_router.post("/admin/search/synonyms", name="admin_synonyms_add")
async def synonyms_add(
    request: Request,
    session: SessionDep,
    words: Annotated[str, Form(max_length=1000)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Any:
    try:
        await service.add_synonyms(session, [words], note)
    except AppError as exc:
        groups = await service.list_synonyms(session)
        return _render_synonyms(request, groups, {"words": words, "note": note}, exc.message)
    flash(request, _("Synonym group added."))
    return redirect_to(request, "admin_synonyms")


@admin_router.post("/admin/search/synonyms/{group_id}/delete", name="admin_synonyms_delete")
async def synonyms_delete(request: Request, session: SessionDep, group_id: int) -> Any:
    await service.remove_synonyms(session, group_id)
    flash(request, _("Synonym group removed."))
    return redirect_to(request, "admin_synonyms")
