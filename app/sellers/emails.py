"""Verification decisions emailed to the seller's owner, in their language, by a durable job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import gettext as _
from app.jobs import enqueue
from app.sellers.models import AuditAction, Seller

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
