"""Job handlers of the sellers domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.sellers import emails, events
from app.sellers.models import AuditAction, Seller
from app.sms import Sms, send_sms


@job_handler(events.SELLER_CHANGED)
async def deliver_seller_change(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await events.deliver_seller_change(session, int(payload["seller_id"]), settings)


@job_handler(emails.JOB_KIND)
async def send_decision_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    seller = await session.get(Seller, int(payload["seller_id"]))
    if seller is None or seller.owner_user_id is None:
        return
    user = await session.get(User, seller.owner_user_id)
    if user is None or not user.is_active:
        return
    token = set_language(user.language)
    try:
        action = AuditAction(payload["action"])
        counts = (
            await events.listing_counts(session, seller.id)
            if action == AuditAction.APPROVED
            else (0, 0)
        )
        subject, paragraph = emails.compose(
            seller, action, str(payload["reason"]), payload.get("gi_tag"), counts
        )
        greeting = _("Hello %(name)s,", name=user.display_name)
        link = settings.base_url.rstrip("/") + "/sell"
        more = _("See your seller page: %(link)s", link=link)
        body = f"{greeting}\n\n{paragraph}\n\n{more}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    if user.email is not None:
        await send_mail(settings, Mail(user.email, subject, body, language=user.language))
    elif user.phone is not None:  # an account made by mobile number is told by text message
        await send_sms(settings, Sms(user.phone, f"ODOP Bazaar: {paragraph} {link}"))
