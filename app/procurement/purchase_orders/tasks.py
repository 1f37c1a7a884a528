"""Job handlers of purchase orders: the step emails, the deadline checks that raise incidents,
and the email telling a person they were added to an organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.procurement.organisations import repository as org_repository
from app.procurement.organisations import service as organisations
from app.procurement.organisations.models import Role
from app.procurement.purchase_orders import emails, repository, service


@job_handler(service.DEADLINE_JOB)
async def check_deadlines(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await service.check_deadlines(session, int(payload["purchase_order_id"]))


@job_handler(emails.JOB_KIND)
async def send_step_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    po = await repository.by_id(session, int(payload["purchase_order_id"]))
    if po is None:
        return
    step = str(payload["step"])
    tell_seller, roles = emails.recipients_of(step)
    base = settings.base_url.rstrip("/")
    users: dict[int, User] = {}
    if roles:
        for membership, user in await org_repository.members(session, po.organisation_id):
            if membership.role.value in roles:
                users[user.id] = user
    for user in users.values():
        token = set_language(user.language)
        try:
            paragraph = emails.message(step, po.number)
            subject = _("Purchase order %(number)s", number=po.number)
        finally:
            reset_language(token)
        await _mail(settings, user, subject, paragraph, f"{base}/procurement/po/{po.number}")
    if tell_seller:
        seller = await repository.seller_by_id(session, po.seller_id)
        owner = (
            await session.get(User, seller.owner_user_id)
            if seller and seller.owner_user_id
            else None
        )
        if owner is not None and owner.id not in users:
            token = set_language(owner.language)
            try:
                paragraph = emails.message(step, po.number)
                subject = _("Purchase order %(number)s", number=po.number)
            finally:
                reset_language(token)
            await _mail(settings, owner, subject, paragraph, f"{base}/procurement/po/{po.number}")


async def _mail(settings: Settings, user: User, subject: str, paragraph: str, link: str) -> None:
    if not user.is_active or not user.email:
        return
    await send_mail(
        settings,
        Mail(
            user.email, subject, f"{paragraph}\n\n{link}\n\nODOP Bazaar\n", language=user.language
        ),
    )


@job_handler(organisations.MEMBER_EMAIL_JOB)
async def send_member_added(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    org = await org_repository.organisation_by_id(session, int(payload["organisation_id"]))
    user = await session.get(User, int(payload["user_id"]))
    if org is None or user is None or not user.is_active or not user.email:
        return
    token = set_language(user.language)
    try:
        roles = ", ".join(organisations.role_label(Role(r)) for r in payload["roles"])
        subject = _("You were added to %(organisation)s", organisation=org.name)
        body = _(
            "You now hold these roles in %(organisation)s on ODOP Bazaar: %(roles)s.",
            organisation=org.name,
            roles=roles,
        )
        link = f"{settings.base_url.rstrip('/')}/procurement/organisations/{org.id}"
        text = f"{body}\n\n{link}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    await send_mail(settings, Mail(user.email, subject, text, language=user.language))
