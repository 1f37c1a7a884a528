"""Verification pages under /admin: the queue of submitted sellers and GI claims, decisions,
suspension. Included in app/main.py with ``dependencies=[Depends(require_admin)]``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import AdminUser
from app.db import SessionDep
from app.errors import FormErrors, NotFound
from app.i18n import gettext as _
from app.inputs import Id
from app.sellers import repository, service
from app.sellers.deps import private_storage
from app.sellers.models import SellerStatus
from app.sellers.views import document_response
from app.storage import Storage
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=2000)]
NO_STORE = {"cache-control": "no-store"}


@router.get("/admin", name="admin_home")
async def admin_home(request: Request) -> RedirectResponse:
    return redirect_to(request, "admin_sellers")


@router.get("/admin/sellers", name="admin_sellers")
async def queue(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "admin/sellers.html",
        {
            "submitted": await repository.sellers_in_review(session),
            "claims": await repository.claims_in_review(session),
            "verified": await repository.sellers_with_status(session, SellerStatus.VERIFIED),
            "suspended": await repository.sellers_with_status(session, SellerStatus.SUSPENDED),
            "type_labels": service.seller_type_labels(),
        },
        headers=NO_STORE,
    )


async def _seller_page(
    request: Request,
    session: AsyncSession,
    seller_id: Id,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    seller = await repository.seller_by_id(session, seller_id)
    if seller is None:
        raise NotFound()
    return templates_of(request).render(
        request,
        "admin/seller.html",
        {
            "seller": seller,
            "documents": await repository.documents(session, seller.id),
            "claims": await repository.claims(session, seller.id),
            "members": await repository.members(session, seller.id),
            "audit": await repository.audit_log_with_actors(session, seller.id),
            "status_labels": service.status_labels(),
            "type_labels": service.seller_type_labels(),
            "kind_labels": service.document_kind_labels(),
            "claim_labels": service.claim_status_labels(),
            "audit_labels": service.audit_labels(),
            "errors": errors or {},
        },
        status_code=status,
        headers=NO_STORE,
    )


@router.get("/admin/sellers/{seller_id}", name="admin_seller")
async def seller_detail(
    request: Request, session: SessionDep, admin: AdminUser, seller_id: Id
) -> HTMLResponse:
    return await _seller_page(request, session, seller_id)


@router.post("/admin/sellers/{seller_id}/decision", name="admin_seller_decision")
async def seller_decision(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    seller_id: Id,
    decision: Annotated[str, Form(max_length=40)] = "",
    reason: Reason = "",
) -> Response:
    try:
        seller = await service.decide(session, admin, seller_id, decision, reason)
    except FormErrors as exc:
        return await _seller_page(request, session, seller_id, exc.errors, 422)
    flash(request, _("Decision saved for %(name)s.", name=seller.display_name))
    return redirect_to(request, "admin_sellers")


@router.post("/admin/sellers/{seller_id}/suspend", name="admin_seller_suspend")
async def seller_suspend(
    request: Request, session: SessionDep, admin: AdminUser, seller_id: Id, reason: Reason = ""
) -> Response:
    try:
        seller = await service.suspend(session, admin, seller_id, reason)
    except FormErrors as exc:
        return await _seller_page(request, session, seller_id, exc.errors, 422)
    flash(request, _("%(name)s is suspended; its listings are hidden.", name=seller.display_name))
    return redirect_to(request, "admin_seller", seller_id=seller_id)


@router.post("/admin/sellers/{seller_id}/reinstate", name="admin_seller_reinstate")
async def seller_reinstate(
    request: Request, session: SessionDep, admin: AdminUser, seller_id: Id, reason: Reason = ""
) -> Response:
    seller = await service.reinstate(session, admin, seller_id, reason)
    flash(request, _("%(name)s is reinstated.", name=seller.display_name))
    return redirect_to(request, "admin_seller", seller_id=seller_id)


@router.post("/admin/gi-claims/{claim_id}/decision", name="admin_claim_decision")
async def claim_decision(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    claim_id: Id,
    decision: Annotated[str, Form(max_length=40)] = "",
    reason: Reason = "",
) -> Response:
    found = await repository.claim(session, claim_id)
    if found is None:
        raise NotFound()
    try:
        await service.decide_claim(session, admin, claim_id, decision == "approve", reason)
    except FormErrors as exc:
        return await _seller_page(request, session, found.seller_id, exc.errors, 422)
    flash(request, _("GI claim decision saved."))
    return redirect_to(request, "admin_seller", seller_id=found.seller_id)


@router.get("/admin/documents/{document_id}", name="admin_document")
async def document_file(
    session: SessionDep,
    admin: AdminUser,
    storage: Annotated[Storage, Depends(private_storage)],
    document_id: Id,
) -> Response:
    document = await repository.document(session, document_id, None)
    if document is None:
        raise NotFound()
    return document_response(storage, document)
