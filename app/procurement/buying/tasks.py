"""Job handlers of the buying modes: tell eligible sellers of a new bid, and every bidder of the
award, each in their own language."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.procurement.buying import repository
from app.procurement.buying.service import DECIDED_JOB, PUBLISHED_JOB
from app.sellers.models import Seller


async def _owner(session: AsyncSession, seller: Seller) -> User | None:
    owner = await session.get(User, seller.owner_user_id) if seller.owner_user_id else None
    return owner if owner is not None and owner.is_active and owner.email else None


async def _send(settings: Settings, owner: User, subject: str, paragraph: str) -> None:
    """``subject`` and ``paragraph`` are already in the owner's language."""
    assert owner.email is not None  # _owner keeps only owners with an address
    token = set_language(owner.language)
    try:
        body = f"{paragraph}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    await send_mail(settings, Mail(owner.email, subject, body, language=owner.language))


@job_handler(PUBLISHED_JOB)
async def tell_eligible_sellers(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    requirement = await repository.requirement(session, int(payload["requirement_id"]))
    if requirement is None or requirement.closes_at is None:
        return
    link = f"{settings.base_url.rstrip('/')}/seller/bids/{requirement.id}"
    seller_ids = await repository.eligible_seller_ids(session, requirement)
    for seller in await repository.sellers_with_owners(session, seller_ids):
        owner = await _owner(session, seller)
        if owner is None:
            continue
        token = set_language(owner.language)
        try:
            subject = _("New bid: %(title)s", title=requirement.title)
            paragraph = _(
                "A buyer invites sealed quotes for %(quantity)s × %(title)s, delivery by "
                "%(date)s. The bid closes at %(closes)s UTC. Quote here: %(link)s",
                quantity=requirement.quantity,
                title=requirement.title,
                date=requirement.delivery_by.isoformat(),
                closes=requirement.closes_at.strftime("%d %b %Y %H:%M"),
                link=link,
            )
        finally:
            reset_language(token)
        await _send(settings, owner, subject, paragraph)


@job_handler(DECIDED_JOB)
async def tell_bidders(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    requirement = await repository.requirement(session, int(payload["requirement_id"]))
    if requirement is None:
        return
    for bid in await repository.bids_of(session, requirement.id):
        seller = await session.get(Seller, bid.seller_id)
        owner = await _owner(session, seller) if seller else None
        if owner is None:
            continue
        token = set_language(owner.language)
        try:
            subject = _("Bid result: %(title)s", title=requirement.title)
            if bid.awarded_quantity:
                paragraph = _(
                    "You are awarded %(quantity)s of %(title)s. The purchase order follows.",
                    quantity=bid.awarded_quantity,
                    title=requirement.title,
                )
            else:
                paragraph = _(
                    "The bid for %(title)s is awarded to another seller. Thank you for quoting.",
                    title=requirement.title,
                )
        finally:
            reset_language(token)
        await _send(settings, owner, subject, paragraph)
