"""Pages of procurement: the /procurement home (the officer's dashboard, and the seller's
purchase orders), direct purchase from a listing, a PO with the actions the viewer's roles allow,
its PDF, the seller's GST invoice, the audit trail export, and the platform admins' overview.

``router`` is included with ``require_user`` and ``admin_router`` with ``require_admin``."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import AdminUser, CurrentUser
from app.config import Settings
from app.db import SessionDep, utcnow
from app.errors import FormErrors
from app.i18n import gettext as _
from app.inputs import form_int
from app.orders import invoices
from app.procurement.audit import service as audit
from app.procurement.organisations import repository as org_repository
from app.procurement.organisations import service as organisations
from app.procurement.organisations.models import Role
from app.procurement.purchase_orders import direct, documents, service
from app.procurement.purchase_orders.deps import SettingsDep
from app.procurement.purchase_orders.errors import PurchaseOrderNotFound
from app.procurement.purchase_orders.models import POState
from app.sellers import repository as sellers_repository
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=2000)]


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FormErrors({field: _("Enter a date like 2026-12-31.")}) from None


# Home ---------------------------------------------------------------------------------------------


@router.get("/procurement", name="procurement_home")
async def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    memberships = await organisations.memberships_of(session, user.id)
    orgs = await organisations.organisations_of(session, user.id)
    roles: dict[int, list[str]] = {}
    for m in memberships:
        roles.setdefault(m.organisation_id, []).append(organisations.role_label(m.role))
    open_pos = await service.of_user(session, user, open_only=True)
    seller = await sellers_repository.seller_of_user(session, user.id)
    seller_pos = await service.of_seller(session, seller.id) if seller else []
    incidents = await service.incidents(
        session, sorted({po.id for po in open_pos} | {po.id for po in seller_pos})
    )
    numbers = {po.id: po.number for po in (*open_pos, *seller_pos)}
    return _no_store(
        templates_of(request).render(
            request,
            "procurement/home.html",
            {
                "orgs": orgs,
                "roles": roles,
                "open_pos": open_pos,
                "seller_pos": seller_pos,
                "is_seller": seller is not None,
                "incidents": [i for i in incidents if i.resolved_at is None],
                "numbers": numbers,
                "state_label": service.state_label,
                "kind_label": organisations.kind_label,
            },
        )
    )


# Direct purchase ----------------------------------------------------------------------------------


async def _render_direct(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: CurrentUser,
    listing_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    quote: direct.DirectQuote | None = None,
) -> Response:
    try:
        listing = await direct.buyable_listing(session, listing_id)
    except FormErrors:
        raise PurchaseOrderNotFound(_("That product is not available to buy now.")) from None
    choices = await direct.address_choices(session, user)
    return _no_store(
        templates_of(request).render(
            request,
            "procurement/purchase_orders/direct.html",
            {
                "listing": listing,
                "choices": [(c.address_id, c.label) for c in choices],
                "values": values,
                "errors": errors,
                "quote": quote,
                "limit": settings.procurement_direct_limit_paise,
            },
            status_code=422 if errors else 200,
        )
    )


async def _direct_args(
    session: SessionDep, user: CurrentUser, listing_id: int, quantity: str, address_id: str
) -> dict[str, Any]:
    choices = {c.address_id: c for c in await direct.address_choices(session, user)}
    choice = choices.get(form_int(address_id, low=1) or 0)
    if choice is None:
        raise FormErrors(
            {"delivery_address_id": _("Choose one of your organisation's delivery addresses.")}
        )
    return {
        "user": user,
        "listing_id": listing_id,
        "quantity": form_int(quantity, low=1),
        "organisation_id": choice.organisation_id,
        "consignee_user_id": choice.consignee_user_id,
        "delivery_address_id": choice.address_id,
    }


async def _preview(
    session: SessionDep, settings: Settings, args: dict[str, Any]
) -> tuple[direct.DirectQuote, dict[str, str]]:
    quote = await direct.quote(session, settings, **args)
    if not quote.allowed:
        return quote, {"quantity": direct.mode_message(quote.mode, quote.priced.total, settings)}
    return quote, {}


@router.get("/procurement/direct/{listing_id}", name="procurement_direct")
async def direct_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    listing_id: int,
    quantity: Annotated[str, Query(max_length=20)] = "",
    delivery_address_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The form; with a quantity and an address in the query (a link from elsewhere), the price
    and any split-purchase warning are shown at once."""
    if not (quantity and delivery_address_id):
        return await _render_direct(request, session, settings, user, listing_id, {}, {})
    values = {"quantity": quantity, "delivery_address_id": delivery_address_id}
    try:
        args = await _direct_args(session, user, listing_id, quantity, delivery_address_id)
        quote, errors = await _preview(session, settings, args)
    except FormErrors as exc:
        return await _render_direct(
            request, session, settings, user, listing_id, values, exc.errors
        )
    return await _render_direct(request, session, settings, user, listing_id, values, errors, quote)


@router.post("/procurement/direct/{listing_id}", name="procurement_direct_place")
async def direct_place(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    listing_id: int,
    quantity: Text = "",
    delivery_address_id: Text = "",
    delivery_by: Text = "",
    separate_need: Text = "",
    action: Text = "issue",
) -> Response:
    values = {
        "quantity": quantity,
        "delivery_address_id": delivery_address_id,
        "delivery_by": delivery_by,
        "separate_need": separate_need,
    }
    args: dict[str, Any] = {}
    try:
        args = await _direct_args(session, user, listing_id, quantity, delivery_address_id)
        if action == "preview":
            quote, errors = await _preview(session, settings, args)
            return await _render_direct(
                request, session, settings, user, listing_id, values, errors, quote
            )
        day = parse_date(delivery_by, "delivery_by") if delivery_by.strip() else None
        po = await direct.place(
            session, settings, delivery_by=day, separate_need=separate_need == "yes", **args
        )
    except FormErrors as exc:
        shown = None
        if args and exc.errors.keys() <= {"delivery_by", "separate_need"}:
            # Keep the price and the split warning in view next to the errors.
            with contextlib.suppress(FormErrors):
                shown, _errors = await _preview(session, settings, args)
        return await _render_direct(
            request, session, settings, user, listing_id, values, exc.errors, shown
        )
    flash(
        request,
        _("Purchase order %(number)s is issued to the seller.", number=po.number),
        "success",
    )
    return redirect_to(request, "procurement_po", number=po.number)


# One purchase order -------------------------------------------------------------------------------


@router.get("/procurement/po/{number}", name="procurement_po")
async def po_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    return await _render_po(request, session, settings, user, number)


async def _render_po(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: CurrentUser,
    number: str,
    errors: dict[str, str] | None = None,
) -> Response:
    po, viewer = await service.visible_po(session, user, number)
    view = await documents.load(session, po)
    can_pay = Role.PAYING_AUTHORITY in viewer.roles and not (
        po.buyer_user_id == user.id and po.total_paise > settings.procurement_separation_limit_paise
    )
    return _no_store(
        templates_of(request).render(
            request,
            "procurement/purchase_orders/show.html",
            {
                "v": view,
                "po": po,
                "viewer": viewer,
                "can_pay": can_pay,
                "state_label": service.state_label,
                "deliveries": await service.deliveries(session, po),
                "incidents": await service.incidents(session, [po.id]),
                "trail": await audit.trail(session, po.id),
                "errors": errors or {},
                "today": utcnow().date().isoformat(),
                "States": POState,
            },
            status_code=422 if errors else 200,
        )
    )


async def _step(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: CurrentUser,
    number: str,
    done: str,
    step: Awaitable[object],
) -> Response:
    try:
        await step
    except FormErrors as exc:
        return await _render_po(request, session, settings, user, number, exc.errors)
    flash(request, done, "success")
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/accept", name="procurement_po_accept")
async def po_accept(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    await service.seller_accept(session, settings, user=user, number=number)
    flash(request, _("You accepted the purchase order."), "success")
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/decline", name="procurement_po_decline")
async def po_decline(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    number: str,
    reason: LongText = "",
) -> Response:
    return await _step(
        request,
        session,
        settings,
        user,
        number,
        _("You declined the purchase order."),
        service.seller_decline(session, settings, user=user, number=number, reason=reason),
    )


@router.post("/procurement/po/{number}/cancel", name="procurement_po_cancel")
async def po_cancel(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    number: str,
    reason: LongText = "",
) -> Response:
    return await _step(
        request,
        session,
        settings,
        user,
        number,
        _("The purchase order is cancelled."),
        service.buyer_cancel(session, user=user, number=number, reason=reason),
    )


@router.post("/procurement/po/{number}/deliveries", name="procurement_po_delivery")
async def po_delivery(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    await service.require_seller(session, user, number)
    form = await request.form()
    quantities: dict[int, int] = {}
    errors: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("line_") and isinstance(value, str):
            line_id = form_int(key.removeprefix("line_"), low=1)
            amount = form_int(value) if value.strip() else 0
            if line_id is None or amount is None:
                errors[key[:40]] = _("Enter a whole number of units.")
            else:
                quantities[line_id] = amount
    delivered_on = str(form.get("delivered_on") or "")
    challan = str(form.get("challan") or "")[:200]
    try:
        if errors:
            raise FormErrors(errors)
        await service.record_delivery(
            session,
            user=user,
            number=number,
            quantities=quantities,
            delivered_on=parse_date(delivered_on, "delivered_on"),
            challan=challan,
        )
    except FormErrors as exc:
        return await _render_po(request, session, settings, user, number, exc.errors)
    flash(request, _("Delivery recorded."), "success")
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/receipt", name="procurement_po_receipt")
async def po_receipt(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    await service.provisional_receipt(session, settings, user=user, number=number)
    flash(
        request,
        _("Provisional receipt recorded. Inspect the goods, then accept or reject them."),
        "success",
    )
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/accept-goods", name="procurement_po_accept_goods")
async def po_accept_goods(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    await service.accept_goods(session, settings, user=user, number=number)
    flash(request, _("Goods accepted. The seller may now invoice."), "success")
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/reject-goods", name="procurement_po_reject_goods")
async def po_reject_goods(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    number: str,
    reason: LongText = "",
) -> Response:
    return await _step(
        request,
        session,
        settings,
        user,
        number,
        _("Goods rejected."),
        service.reject_goods(session, settings, user=user, number=number, reason=reason),
    )


@router.post("/procurement/po/{number}/invoice", name="procurement_po_invoice_issue")
async def po_invoice_issue(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> Response:
    await service.issue_invoice(session, settings, user=user, number=number)
    flash(request, _("Invoice issued."), "success")
    return redirect_to(request, "procurement_po", number=number)


@router.post("/procurement/po/{number}/payment", name="procurement_po_payment")
async def po_payment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    number: str,
    reference: Text = "",
    paid_on: Text = "",
) -> Response:
    await service.require_member_role(session, user, number, Role.PAYING_AUTHORITY)
    try:
        day = parse_date(paid_on, "paid_on")
    except FormErrors as exc:
        return await _render_po(request, session, settings, user, number, exc.errors)
    return await _step(
        request,
        session,
        settings,
        user,
        number,
        _("Payment recorded."),
        service.record_payment(
            session, settings, user=user, number=number, reference=reference, paid_on=day
        ),
    )


# Documents ----------------------------------------------------------------------------------------


async def _document(
    request: Request, session: SessionDep, user: CurrentUser, number: str, kind: str, as_pdf: bool
) -> Response:
    po, _viewer = await service.visible_po(session, user, number)
    view = await documents.load(session, po)
    if kind == "invoice" and po.invoice_number is None:
        raise PurchaseOrderNotFound(_("The seller has not invoiced this purchase order yet."))
    template = "po_invoice.html" if kind == "invoice" else "po_document.html"
    html = (
        templates_of(request)
        .env.get_template(f"procurement/purchase_orders/{template}")
        .render({"v": view, "request": request})
    )
    if not as_pdf:
        return _no_store(HTMLResponse(html))
    body = await invoices.pdf(html, str(request.base_url))
    name = (po.invoice_number or "").replace("/", "-") if kind == "invoice" else po.number
    return _no_store(
        Response(
            body,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="{name}.pdf"'},
        )
    )


@router.get("/procurement/po/{number}/document", name="procurement_po_document")
async def po_document(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    return await _document(request, session, user, number, "po", False)


@router.get("/procurement/po/{number}/document.pdf", name="procurement_po_pdf")
async def po_pdf(request: Request, session: SessionDep, user: CurrentUser, number: str) -> Response:
    return await _document(request, session, user, number, "po", True)


@router.get("/procurement/po/{number}/invoice", name="procurement_po_invoice")
async def po_invoice(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    return await _document(request, session, user, number, "invoice", False)


@router.get("/procurement/po/{number}/invoice.pdf", name="procurement_po_invoice_pdf")
async def po_invoice_pdf(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    return await _document(request, session, user, number, "invoice", True)


async def _trail_export(
    request: Request, session: SessionDep, user: CurrentUser, number: str, as_pdf: bool
) -> Response:
    po, _viewer = await documents.trail_for_export(session, user, number)
    records = await audit.trail(session, po.id)
    names = await documents.actor_names(session, records)
    if not as_pdf:
        return _no_store(
            Response(
                audit.trail_csv(records, names),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{po.number}-audit.csv"'},
            )
        )
    html = (
        templates_of(request)
        .env.get_template("procurement/purchase_orders/audit_trail.html")
        .render({"po": po, "records": records, "names": names, "request": request})
    )
    body = await invoices.pdf(html, str(request.base_url))
    return _no_store(
        Response(
            body,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="{po.number}-audit.pdf"'},
        )
    )


@router.get("/procurement/po/{number}/audit.csv", name="procurement_po_audit_csv")
async def po_audit_csv(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    return await _trail_export(request, session, user, number, False)


@router.get("/procurement/po/{number}/audit.pdf", name="procurement_po_audit_pdf")
async def po_audit_pdf(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    return await _trail_export(request, session, user, number, True)


# Platform admins ----------------------------------------------------------------------------------


@admin_router.get("/admin/procurement", name="admin_procurement")
async def admin_overview(request: Request, session: SessionDep, admin: AdminUser) -> Response:
    incidents = await service.open_incidents(session)
    pos = await service.recent(session)
    numbers = {po.id: po.number for po in pos}
    missing = sorted({i.purchase_order_id for i in incidents} - set(numbers))
    for po_id in missing:
        found = await service.po_by_id(session, po_id)
        if found is not None:
            numbers[po_id] = found.number
    return _no_store(
        templates_of(request).render(
            request,
            "procurement/admin.html",
            {
                "to_verify": await organisations.unverified_government(session),
                "orgs": await org_repository.organisations(session),
                "incidents": incidents,
                "pos": pos,
                "numbers": numbers,
                "state_label": service.state_label,
                "kind_label": organisations.kind_label,
            },
        )
    )
