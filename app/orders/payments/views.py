"""Payment pages: the buyer starts paying an order; administrators see flagged provider events,
record offline payments and refund orders. Included in app/main.py behind ``require_user``
(``router``) and ``require_admin`` (``admin_router``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import AdminUser, CurrentUser
from app.config import Settings
from app.db import SessionDep
from app.errors import Conflict, FormErrors, NotFound, ValidationFailed
from app.i18n import gettext as _
from app.orders.payments import service
from app.orders.payments.base import PaymentProviderError
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]
NO_STORE = {"cache-control": "no-store"}


@router.post("/payments/{order_number}/start", name="payment_start")
async def start(
    request: Request, session: SessionDep, user: CurrentUser, order_number: str
) -> Response:
    """The order page's "Pay" button. A double submit finds the same payment."""
    settings: Settings = request.app.state.settings
    number = await service.owned_order_number(session, order_number, user.id)
    started = await service.start_payment(session, settings, order_number=number)
    if started.redirect_url:
        return RedirectResponse(started.redirect_url, status_code=303)
    return templates_of(request).render(
        request,
        "orders/payments/offline.html",
        {"order_number": number, "instructions": started.instructions or ""},
        headers=NO_STORE,
    )


async def _admin_page(
    request: Request,
    session: SessionDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "orders/payments/admin.html",
        {**await service.admin_overview(session), "errors": errors or {}, "values": values or {}},
        status_code=status,
        headers=NO_STORE,
    )


@admin_router.get("/admin/payments", name="admin_payments")
async def admin_payments(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    return await _admin_page(request, session)


@admin_router.post("/admin/payments/{payment_id}/record", name="admin_payment_record")
async def record_offline(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    payment_id: int,
    reference: Text = "",
    paid_on: Text = "",
    amount: Text = "",
) -> Response:
    settings: Settings = request.app.state.settings
    values = {
        "payment_id": str(payment_id),
        "reference": reference,
        "paid_on": paid_on,
        "amount": amount,
    }
    try:
        errors: dict[str, str] = {}
        if not reference.strip():
            errors["reference"] = _("Enter the bank's reference (UTR) or the UPI transaction id.")
        try:
            day = date.fromisoformat(paid_on)
        except ValueError:
            errors["paid_on"] = _("Enter the date of the transfer.")
        try:
            minor = service.parse_amount(amount)
        except FormErrors as exc:
            errors.update(exc.errors)
        if errors:
            raise FormErrors(errors)
        outcome = await service.record_offline_payment(
            session,
            settings,
            payment_id=payment_id,
            reference=reference.strip(),
            paid_on=day,
            amount_minor=minor,
            recorded_by=admin.id,
        )
    except FormErrors as exc:
        return await _admin_page(request, session, exc.errors, values, 422)
    if outcome.flag:
        flash(request, outcome.flag, "error")
    else:
        flash(request, _("Payment recorded; the order is paid."))
    return redirect_to(request, "admin_payments")


@admin_router.post("/admin/refunds", name="admin_refund")
async def refund(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    order_number: Text = "",
    order_part_id: Text = "",
    amount: Text = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    settings: Settings = request.app.state.settings
    values = {
        "order_number": order_number,
        "order_part_id": order_part_id,
        "amount": amount,
        "reason": reason,
    }
    try:
        minor = service.parse_amount(amount)
        if order_part_id.strip() and not order_part_id.strip().isdigit():
            raise FormErrors({"order_part_id": _("Leave empty for the whole order.")})
        part = int(order_part_id) if order_part_id.strip() else None
        await service.refund(
            session,
            settings,
            order_number=order_number.strip().upper(),
            order_part_id=part,
            amount_minor=minor,
            requested_by=admin.id,
            reason=reason,
        )
    except FormErrors as exc:
        return await _admin_page(request, session, exc.errors, values, 422)
    except (ValidationFailed, Conflict, PaymentProviderError) as exc:
        return await _admin_page(request, session, {"refund": exc.message}, values, 422)
    except NotFound as exc:
        return await _admin_page(request, session, {"order_number": exc.message}, values, 422)
    flash(request, _("Refund made for order %(number)s.", number=order_number.strip().upper()))
    return redirect_to(request, "admin_payments")
