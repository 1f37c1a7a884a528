"""Ledger pages: the seller's statement on the dashboard; payout batches for administrators.

``router`` is included behind ``require_user`` (sellers), ``admin_router`` behind
``require_admin``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import AdminUser
from app.config import Settings
from app.db import SessionDep
from app.i18n import gettext as _
from app.orders.ledger import repository, service
from app.sellers.deps import CurrentSeller
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(include_in_schema=False)
NO_STORE = {"cache-control": "no-store"}


def kind_labels() -> dict[str, str]:
    return {
        "sale": _("Sale"),
        "commission": _("Platform commission"),
        "tcs": _("TCS (GST section 52)"),
        "tds": _("TDS (Income-tax section 194-O)"),
        "refund": _("Refund to the buyer"),
        "commission_refund": _("Commission returned"),
        "tcs_refund": _("TCS returned"),
        "tds_refund": _("TDS returned"),
        "payout": _("Paid to your bank account"),
    }


@router.get("/seller/ledger", name="seller_ledger")
async def seller_ledger(
    request: Request, session: SessionDep, seller: CurrentSeller
) -> HTMLResponse:
    ledger = await service.seller_ledger(session, seller.id)
    return templates_of(request).render(
        request,
        "orders/ledger/seller.html",
        {"seller": seller, "ledger": ledger, "labels": kind_labels()},
        headers=NO_STORE,
    )


@admin_router.get("/admin/payouts", name="admin_payouts")
async def payouts(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "orders/ledger/payouts.html",
        {
            "owed": await service.owed(session),
            "batches": await repository.batches(session),
        },
        headers=NO_STORE,
    )


@admin_router.post("/admin/payouts", name="admin_payout_create")
async def create_payout(request: Request, session: SessionDep, admin: AdminUser) -> Response:
    try:
        batch = await service.create_batch(session, created_by=admin.id)
    except service.NothingToPay as exc:
        flash(request, exc.message, "error")
        return redirect_to(request, "admin_payouts")
    flash(request, _("Payout batch %(id)s created.", id=batch.id))
    return redirect_to(request, "admin_payout", batch_id=batch.id)


@admin_router.get("/admin/payouts/{batch_id}", name="admin_payout")
async def payout(
    request: Request, session: SessionDep, admin: AdminUser, batch_id: int
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "orders/ledger/payout.html",
        {"batch": await service.get_batch(session, batch_id)},
        headers=NO_STORE,
    )


@admin_router.post("/admin/payouts/{batch_id}/paid", name="admin_payout_paid")
async def payout_paid(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    batch_id: int,
    bank_reference: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    await service.mark_paid(
        session, batch_id=batch_id, paid_by=admin.id, bank_reference=bank_reference
    )
    flash(request, _("Payout batch %(id)s is marked as paid.", id=batch_id))
    return redirect_to(request, "admin_payout", batch_id=batch_id)


@admin_router.get("/admin/payouts/{batch_id}/export.csv", name="admin_payout_csv")
async def payout_csv(
    request: Request, session: SessionDep, admin: AdminUser, batch_id: int
) -> Response:
    settings: Settings = request.app.state.settings
    batch = await service.get_batch(session, batch_id)
    return Response(
        service.batch_csv(settings, batch),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="odop-payout-{batch.id}.csv"',
            "cache-control": "no-store",
        },
    )
