"""Job handlers of the accounts domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.emails import JOB_KIND, compose
from app.accounts.models import User
from app.config import Settings
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail


@job_handler(JOB_KIND)
async def send_account_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    user = await session.get(User, int(payload["user_id"]))
    if user is None or not user.is_active:
        return
    token = set_language(user.language)
    try:
        mail = await compose(session, settings, str(payload["kind"]), user, payload)
        if mail is not None:
            mail = Mail(mail.to, mail.subject, mail.text, language=user.language)
    finally:
        reset_language(token)
    if mail is not None:
        await send_mail(settings, mail)
