"""JSON API of quotes, on the same service as the pages. Included with ``require_user`` (personal
API tokens). Only the quote's buyer and the listing's seller see a quote; anyone else gets 404."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.accounts.deps import CurrentUser, require_scope
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import FormErrors, error_responses
from app.i18n import gettext as _
from app.inputs import Id
from app.procurement.quotes import service
from app.procurement.quotes.models import Quote
from app.procurement.quotes.schemas import (
    AttachmentOut,
    DeclineIn,
    EventOut,
    MessageIn,
    MessageOut,
    OfferIn,
    QuoteIn,
    QuoteOut,
    ThreadOut,
)
from app.procurement.quotes.views import attachment_response
from app.sellers.deps import CurrentSeller, private_storage, settings_of
from app.storage import Storage

router = APIRouter(
    prefix="/api/v1", tags=["quotes"], responses=error_responses(401, 403, 404, 409, 422)
)
Buyer = Annotated[User, require_scope("orders:write")]
SellerWriter = Annotated[User, require_scope("seller:write")]


def _quote_out(quote: Quote) -> QuoteOut:
    return QuoteOut(
        id=quote.id,
        reference=quote.reference,
        state=quote.state,
        listing_id=quote.listing_id,
        seller_id=quote.seller_id,
        quantity=quote.quantity,
        specifications=quote.specifications,
        country=quote.delivery_country,
        district_id=quote.delivery_district_id,
        wanted_by=quote.wanted_by,
        unit_price_paise=quote.unit_price_paise,
        total_paise=quote.total_paise,
        lead_time_days=quote.lead_time_days,
        valid_until=quote.valid_until,
        created_at=quote.created_at,
    )


async def _thread_out(session: SessionDep, user: User, quote_id: int) -> ThreadOut:
    thread = await service.thread(session, user, quote_id)
    base = _quote_out(thread.quote).model_dump()
    return ThreadOut(
        **base,
        side=thread.side,
        events=[
            EventOut(
                from_state=e.from_state,
                to_state=e.to_state,
                side=e.side,
                unit_price_paise=e.unit_price_paise,
                lead_time_days=e.lead_time_days,
                valid_until=e.valid_until,
                note=e.note,
                at=e.created_at,
            )
            for e in thread.events
        ],
        messages=[
            MessageOut(
                id=m.id,
                side=m.side,
                body=m.body,
                created_at=m.created_at,
                attachments=[
                    AttachmentOut(
                        id=a.id,
                        filename=a.filename,
                        content_type=a.content_type,
                        size_bytes=a.size_bytes,
                        url=f"/api/v1/quotes/{quote_id}/attachments/{a.id}",
                    )
                    for a in m.attachments
                ],
            )
            for m in thread.messages
        ],
        orders=thread.orders,
    )


@router.post("/quotes", status_code=201, summary="Ask the listing's seller for a quote")
async def create_quote(session: SessionDep, user: Buyer, body: QuoteIn) -> ThreadOut:
    values = {
        "quantity": str(body.quantity),
        "specifications": body.specifications,
        "country": body.country,
        "district_id": str(body.district_id or ""),
        "wanted_by": body.wanted_by.isoformat(),
    }
    quote = await service.request_quote(session, user, body.listing_id, values)
    return await _thread_out(session, user, quote.id)


@router.get("/quotes", summary="The quotes the caller asked for, newest first")
async def list_quotes(session: SessionDep, user: CurrentUser) -> list[QuoteOut]:
    return [_quote_out(s.quote) for s in await service.buyer_quotes(session, user)]


@router.get("/seller/quotes", summary="Quote requests to the caller's seller account")
async def seller_queue(session: SessionDep, seller: CurrentSeller) -> list[QuoteOut]:
    return [_quote_out(s.quote) for s in await service.seller_quotes(session, seller)]


@router.get("/quotes/{quote_id}", summary="One quote with its history and messages")
async def get_quote(session: SessionDep, user: CurrentUser, quote_id: Id) -> ThreadOut:
    return await _thread_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/offer", summary="The seller's offer (or a new one)")
async def offer(session: SessionDep, user: SellerWriter, quote_id: Id, body: OfferIn) -> ThreadOut:
    data = service.check_offer(body.unit_price_paise, body.lead_time_days, body.valid_until)
    await service.make_offer(session, user, quote_id, data, body.note)
    return await _thread_out(session, user, quote_id)


@router.post(
    "/quotes/{quote_id}/accept",
    summary="Accept a valid offer: its quantity goes into the cart at the agreed price",
)
async def accept(session: SessionDep, user: Buyer, quote_id: Id) -> ThreadOut:
    await service.accept(session, user, quote_id)
    return await _thread_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/decline", summary="Decline (the request or the offer)")
async def decline(
    session: SessionDep, user: CurrentUser, quote_id: Id, body: DeclineIn
) -> ThreadOut:
    await service.decline(session, user, quote_id, body.reason)
    return await _thread_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/withdraw", summary="The buyer withdraws the request")
async def withdraw(session: SessionDep, user: Buyer, quote_id: Id) -> ThreadOut:
    await service.withdraw(session, user, quote_id)
    return await _thread_out(session, user, quote_id)


@router.post(
    "/quotes/{quote_id}/messages",
    status_code=201,
    summary="A message in the thread, with up to 3 files (base64 PDF, JPEG or PNG)",
)
async def post_message(
    session: SessionDep,
    user: CurrentUser,
    settings: Annotated[Settings, Depends(settings_of)],
    storage: Annotated[Storage, Depends(private_storage)],
    quote_id: Id,
    body: MessageIn,
) -> MessageOut:
    files = []
    for item in body.attachments:
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise FormErrors({"attachments": _("A file is not valid base64.")}) from None
        files.append(service.Upload(item.filename, data))
    message = await service.post_message(
        session, settings, storage, user, quote_id, body.body, files
    )
    return MessageOut(
        id=message.id,
        side=message.side,
        body=message.body,
        created_at=message.created_at,
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size_bytes=a.size_bytes,
                url=f"/api/v1/quotes/{quote_id}/attachments/{a.id}",
            )
            for a in message.attachments
        ],
    )


@router.get(
    "/quotes/{quote_id}/attachments/{attachment_id}",
    summary="A file sent in the thread",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as a download",
            "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
        }
    },
)
async def attachment(
    session: SessionDep,
    user: CurrentUser,
    storage: Annotated[Storage, Depends(private_storage)],
    quote_id: Id,
    attachment_id: Id,
) -> Response:
    found = await service.attachment(session, user, quote_id, attachment_id)
    return attachment_response(storage, found.storage_key, found.content_type, found.filename)
