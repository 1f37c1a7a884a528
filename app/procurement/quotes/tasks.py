"""Job handlers of quotes: email the other side of each step and message, in the recipient's
language; expire an offer whose validity has passed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.procurement.quotes import repository, service
from app.procurement.quotes.models import (
    Quote,
    QuoteEvent,
    QuoteMessage,
    QuoteSide,
    QuoteState,
)
from app.sellers.models import Seller


@job_handler(service.EXPIRE_JOB)
async def expire_offer(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    await service.expire(session, int(payload["quote_id"]), int(payload["offer"]))


def _event_paragraph(event: QuoteEvent, quote: Quote, title: str) -> str | None:
    """What the recipient is told about a step, in the current language."""
    ref = quote.reference
    if event.to_state == QuoteState.REQUESTED:
        return _(
            "A buyer asks you for a quote %(ref)s: %(quantity)s of %(title)s.",
            ref=ref,
            quantity=quote.quantity,
            title=title,
        )
    if event.to_state == QuoteState.OFFERED:
        return _(
            "The seller made an offer on your quote %(ref)s for %(title)s. Accept it before it "
            "expires.",
            ref=ref,
            title=title,
        )
    if event.to_state == QuoteState.ACCEPTED:
        return _(
            "The buyer accepted your offer on quote %(ref)s for %(title)s.", ref=ref, title=title
        )
    if event.to_state == QuoteState.DECLINED:
        return _("Quote %(ref)s for %(title)s was declined.", ref=ref, title=title)
    if event.to_state == QuoteState.WITHDRAWN:
        return _("The buyer withdrew quote %(ref)s for %(title)s.", ref=ref, title=title)
    return _("The offer on quote %(ref)s for %(title)s has expired.", ref=ref, title=title)


async def _recipient(session: AsyncSession, quote: Quote, author_side: QuoteSide) -> User | None:
    """The other side: the seller's owner for the buyer's steps and messages, else the buyer
    (the expiry, by the system, is the buyer's news)."""
    if author_side == QuoteSide.BUYER:
        seller = await session.get(Seller, quote.seller_id)
        if seller is None or seller.owner_user_id is None:
            return None
        return await session.get(User, seller.owner_user_id)
    return await session.get(User, quote.buyer_user_id)


@job_handler(service.EMAIL_JOB)
async def send_quote_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    row: QuoteEvent | QuoteMessage | None
    if payload["kind"] == "message":
        row = await repository.message(session, int(payload["id"]))
    else:
        row = await session.get(QuoteEvent, int(payload["id"]))
    if row is None:
        return
    quote = await session.get(Quote, row.quote_id)
    if quote is None:
        return
    listing = await repository.listing(session, quote.listing_id)
    recipient = await _recipient(session, quote, row.side)
    if recipient is None or not recipient.is_active or not recipient.email or listing is None:
        return  # a seller signed up by mobile may have no address
    link = f"{settings.base_url.rstrip('/')}/quotes/{quote.id}"
    token = set_language(recipient.language)
    try:
        title = (listing.title_hi if recipient.language == "hi" else None) or listing.title
        if isinstance(row, QuoteMessage):
            lines = [
                _("New message on quote %(ref)s for %(title)s:", ref=quote.reference, title=title)
            ]
            if row.body:
                lines.append(row.body)
            if row.attachments:
                lines.append(_("It has attached files; open the quote to see them."))
            paragraph: str | None = "\n\n".join(lines)
        else:
            paragraph = _event_paragraph(row, quote, title)
        subject = _("Quote %(ref)s: %(title)s", ref=quote.reference, title=title)
        more = _("Open the quote: %(link)s", link=link)
        body = f"{paragraph}\n\n{more}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    await send_mail(settings, Mail(recipient.email, subject, body, language=recipient.language))
