"""Verification decisions emailed to the seller's owner, in their language, by a durable job."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.emails import current_settings
from app.accounts.models import User
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import enqueue, job_handler
from app.mail import Mail, send_mail
from app.sellers import events
from app.sellers.models import AuditAction, Seller
from app.sms import Sms, send_sms

JOB_KIND = "sellers.decision_email"


def queue(
    session: AsyncSession,
    seller_id: int,
    action: AuditAction,
    reason: str,
    *,
    gi_tag: str | None = None,
) -> None:
    enqueue(
        session,
        JOB_KIND,
        {"seller_id": seller_id, "action": action.value, "reason": reason, "gi_tag": gi_tag},
    )


def compose(
    seller: Seller,
    action: AuditAction,
    reason: str,
    gi_tag: str | None,
    listings: tuple[int, int] = (0, 0),
) -> tuple[str, str]:
    """(subject, main paragraph) in the current language; ``listings`` is the seller's
    (published, draft) listing count, so an approval says what it actually changed."""
    name = seller.display_name
    if action == AuditAction.APPROVED:
        published, drafts = listings
        if published:
            what = _(
                "%(name)s is verified. Your published listings (%(n)s) are now visible to buyers.",
                name=name,
                n=published,
            )
        elif drafts:
            what = _(
                "%(name)s is verified. You have draft listings (%(n)s): publish them from your "
                "seller dashboard so buyers can see them.",
                name=name,
                n=drafts,
            )
        else:
            what = _(
                "%(name)s is verified. Add your first listing from your seller dashboard and "
                "publish it: buyers see it at once.",
                name=name,
            )
        return _("You are a verified seller"), what
    if action == AuditAction.REJECTED:
        return _("Your seller application was not accepted"), _(
            "We could not verify %(name)s. Reason: %(reason)s. "
            "You can correct your details and submit again.",
            name=name,
            reason=reason,
        )
    if action == AuditAction.CHANGES_REQUESTED:
        return _("Please update your seller application"), _(
            "We need changes before we can verify %(name)s: %(reason)s", name=name, reason=reason
        )
    if action == AuditAction.SUSPENDED:
        return _("Your seller account is suspended"), _(
            "%(name)s is suspended and its listings are hidden. Reason: %(reason)s",
            name=name,
            reason=reason,
        )
    if action == AuditAction.REINSTATED:
        return _("Your seller account is active again"), _(
            "%(name)s is reinstated; your published listings are visible again.", name=name
        )
    if action == AuditAction.GI_APPROVED:
        return _("Your GI claim is verified"), _(
            "Your claim to the GI %(gi)s is verified: you can now tag listings with it.",
            gi=gi_tag or "",
        )
    if action == AuditAction.GI_REJECTED:
        return _("Your GI claim was not accepted"), _(
            "We could not verify your claim to the GI %(gi)s. Reason: %(reason)s",
            gi=gi_tag or "",
            reason=reason,
        )
    raise ValueError(f"no email for {action}")


@job_handler(JOB_KIND)
async def send_decision_email(session: AsyncSession, payload: dict[str, Any]) -> None:
    seller = await session.get(Seller, int(payload["seller_id"]))
    if seller is None or seller.owner_user_id is None:
        return
    user = await session.get(User, seller.owner_user_id)
    if user is None or not user.is_active:
        return
    settings = current_settings()
    token = set_language(user.language)
    try:
        action = AuditAction(payload["action"])
        counts = (
            await events.listing_counts(session, seller.id)
            if action == AuditAction.APPROVED
            else (0, 0)
        )
        subject, paragraph = compose(
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
