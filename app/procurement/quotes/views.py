"""Pages of quotes: the request form on a listing, the buyer's list, one thread per quote (for
both sides), and the seller's queue. Included with ``require_user``; every form has the CSRF
token and works without JavaScript; failed forms re-render with the input kept (422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentUser
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import Conflict, FormErrors
from app.i18n import gettext as _
from app.i18n import localized_name
from app.inputs import Id, form_int
from app.orders import checkout as orders_checkout
from app.orders import repository as orders_repository
from app.procurement.quotes import repository, service
from app.procurement.quotes.errors import QuoteStepNotAllowed
from app.procurement.quotes.models import QuoteSide, QuoteState
from app.sellers.deps import CurrentSeller, private_storage, settings_of
from app.storage import Storage
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
Files = Annotated[list[UploadFile] | None, File()]
NO_STORE = {"cache-control": "no-store"}


async def _countries(session: AsyncSession) -> list[tuple[str, str]]:
    codes = await orders_repository.zone_countries(session)
    return sorted(
        ((code, orders_checkout.country_name(code)) for code in codes), key=lambda pair: pair[1]
    )


async def _request_page(
    request: Request,
    session: AsyncSession,
    listing_id: int,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    listing = await service.quotable_listing(session, listing_id)
    state_id = form_int(values.get("state_id"), low=1)
    districts = await repository.districts_of(session, state_id) if state_id else []
    return templates_of(request).render(
        request,
        "procurement/quotes/request.html",
        {
            "listing": listing,
            "values": values,
            "errors": errors or {},
            "state_options": [(s.id, localized_name(s)) for s in await repository.states(session)],
            "district_options": [(d.id, localized_name(d)) for d in districts],
            "countries": await _countries(session),
            "min_date": service.today_in_india().isoformat(),
        },
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


@router.get("/quotes/new/{listing_id}", name="quote_new")
async def request_form(
    request: Request, session: SessionDep, user: CurrentUser, listing_id: Id
) -> Response:
    listing = await service.quotable_listing(session, listing_id)
    if listing.seller.owner_user_id == user.id:
        raise QuoteStepNotAllowed(_("This is your own listing."))
    open_quote = await repository.open_quote_of(session, user.id, listing.id)
    if open_quote is not None:
        flash(request, _("You already have an open quote for this product."))
        return redirect_to(request, "quote", quote_id=open_quote.id)
    values = {"quantity": str(listing.moq), "country": "IN"}
    return await _request_page(request, session, listing_id, values)


@router.post("/quotes/new/{listing_id}", name="quote_create")
async def request_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    listing_id: Id,
    quantity: FormText = "",
    specifications: FormText = "",
    country: FormText = "IN",
    state_id: FormText = "",
    district_id: FormText = "",
    wanted_by: FormText = "",
    action: FormText = "send",
) -> Response:
    values = {
        "quantity": quantity,
        "specifications": specifications,
        "country": country,
        "state_id": state_id,
        "district_id": district_id,
        "wanted_by": wanted_by,
    }
    if action == "districts":  # without JavaScript: show the chosen State's districts
        return await _request_page(request, session, listing_id, values)
    try:
        quote = await service.request_quote(session, user, listing_id, values)
    except FormErrors as exc:
        return await _request_page(request, session, listing_id, values, exc.errors)
    flash(request, _("Your request is sent. The seller's answer will appear here."), "success")
    return redirect_to(request, "quote", quote_id=quote.id)


@router.get("/quotes", name="quotes")
async def buyer_list(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return templates_of(request).render(
        request,
        "procurement/quotes/list.html",
        {
            "summaries": await service.buyer_quotes(session, user),
            "labels": service.state_labels(),
            "is_seller": await repository.seller_of_user(session, user.id) is not None,
        },
        headers=NO_STORE,
    )


SELLER_TABS: dict[str, tuple[QuoteState, ...]] = {
    "open": (QuoteState.REQUESTED, QuoteState.OFFERED, QuoteState.EXPIRED),
    "closed": (QuoteState.ACCEPTED, QuoteState.DECLINED, QuoteState.WITHDRAWN),
}


@router.get("/seller/quotes", name="seller_quotes")
async def seller_queue(
    request: Request, session: SessionDep, seller: CurrentSeller, show: str = "open"
) -> Response:
    tab = show if show in SELLER_TABS else "open"
    return templates_of(request).render(
        request,
        "procurement/quotes/seller_queue.html",
        {
            "seller": seller,
            "tab": tab,
            "summaries": await service.seller_quotes(session, seller, SELLER_TABS[tab]),
            "labels": service.state_labels(),
        },
        headers=NO_STORE,
    )


async def _thread_page(
    request: Request,
    session: AsyncSession,
    user: User,
    quote_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    thread = await service.thread(session, user, quote_id)
    values = dict(values or {})
    if thread.side == QuoteSide.SELLER and "unit_price" not in values:
        quote = thread.quote
        price = quote.unit_price_paise
        values.setdefault("unit_price", f"{price // 100}.{price % 100:02d}" if price else "")
        values.setdefault(
            "lead_time_days", str(quote.lead_time_days or thread.listing.lead_time_days)
        )
        values.setdefault("valid_until", quote.valid_until.isoformat() if quote.valid_until else "")
    return templates_of(request).render(
        request,
        "procurement/quotes/thread.html",
        {
            "thread": thread,
            "quote": thread.quote,
            "listing": thread.listing,
            "labels": service.state_labels(),
            "values": values,
            "errors": errors or {},
            "S": QuoteState,
            "is_buyer": thread.side == QuoteSide.BUYER,
            "is_seller": thread.side == QuoteSide.SELLER,
            "country_name": orders_checkout.country_name,
            "min_date": service.today_in_india().isoformat(),
            "max_files": service.MAX_ATTACHMENTS,
        },
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


@router.get("/quotes/{quote_id}", name="quote")
async def thread_page(
    request: Request, session: SessionDep, user: CurrentUser, quote_id: Id
) -> Response:
    return await _thread_page(request, session, user, quote_id)


@router.post("/quotes/{quote_id}/messages", name="quote_message")
async def message_post(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: Annotated[Settings, Depends(settings_of)],
    storage: Annotated[Storage, Depends(private_storage)],
    quote_id: Id,
    body: FormText = "",
    files: Files = None,
) -> Response:
    uploads = [service.Upload(upload.filename or "", await upload.read()) for upload in files or []]
    try:
        await service.post_message(session, settings, storage, user, quote_id, body, uploads)
    except FormErrors as exc:
        return await _thread_page(
            request, session, user, quote_id, values={"body": body}, errors=exc.errors
        )
    flash(request, _("Message sent."), "success")
    return redirect_to(request, "quote", quote_id=quote_id)


@router.post("/quotes/{quote_id}/offer", name="quote_offer")
async def offer_post(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    quote_id: Id,
    unit_price: FormText = "",
    lead_time_days: FormText = "",
    valid_until: FormText = "",
    note: FormText = "",
) -> Response:
    values = {
        "unit_price": unit_price,
        "lead_time_days": lead_time_days,
        "valid_until": valid_until,
        "note": note,
    }
    try:
        offer = service.parse_offer(values)
        await service.make_offer(session, user, quote_id, offer, note)
    except FormErrors as exc:
        return await _thread_page(
            request, session, user, quote_id, values=values, errors=exc.errors
        )
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect_to(request, "quote", quote_id=quote_id)
    flash(request, _("Your offer is sent to the buyer."), "success")
    return redirect_to(request, "quote", quote_id=quote_id)


@router.post("/quotes/{quote_id}/accept", name="quote_accept")
async def accept_post(
    request: Request, session: SessionDep, user: CurrentUser, quote_id: Id
) -> Response:
    try:
        await service.accept(session, user, quote_id)
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect_to(request, "quote", quote_id=quote_id)
    flash(
        request,
        _("Offer accepted. It is in your cart at the agreed price: check out to order it."),
        "success",
    )
    return redirect_to(request, "cart")


@router.post("/quotes/{quote_id}/decline", name="quote_decline")
async def decline_post(
    request: Request, session: SessionDep, user: CurrentUser, quote_id: Id, reason: FormText = ""
) -> Response:
    try:
        await service.decline(session, user, quote_id, reason)
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect_to(request, "quote", quote_id=quote_id)
    flash(request, _("The quote is declined."))
    return redirect_to(request, "quote", quote_id=quote_id)


@router.post("/quotes/{quote_id}/withdraw", name="quote_withdraw")
async def withdraw_post(
    request: Request, session: SessionDep, user: CurrentUser, quote_id: Id
) -> Response:
    try:
        await service.withdraw(session, user, quote_id)
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect_to(request, "quote", quote_id=quote_id)
    flash(request, _("Your request is withdrawn."))
    return redirect_to(request, "quote", quote_id=quote_id)


@router.get("/quotes/{quote_id}/attachments/{attachment_id}", name="quote_attachment")
async def attachment_file(
    session: SessionDep,
    user: CurrentUser,
    storage: Annotated[Storage, Depends(private_storage)],
    quote_id: Id,
    attachment_id: Id,
) -> Response:
    found = await service.attachment(session, user, quote_id, attachment_id)
    return attachment_response(storage, found.storage_key, found.content_type, found.filename)


def attachment_response(storage: Storage, key: str, content_type: str, filename: str) -> Response:
    """A private file as a download: never rendered inline, never cached, never sniffed."""
    return Response(
        storage.read(key),
        media_type=content_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
        },
    )
