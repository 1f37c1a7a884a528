"""Job handlers of the accounts domain."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import phone
from app.accounts.emails import JOB_KIND, compose
from app.accounts.models import PhoneCode, User
from app.config import Settings
from app.db import utcnow
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.sms import Sms, send_sms


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


@job_handler(phone.JOB_KIND)
async def send_phone_code(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    """Draw the code, store its HMAC, text it. A retried job draws a new code (the old text
    failed or was lost); only the newest code of a number works."""
    row = await session.get(PhoneCode, int(payload["code_id"]))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return
    code = f"{secrets.randbelow(10**phone.CODE_DIGITS):0{phone.CODE_DIGITS}d}"
    row.code_hash = phone.code_hash(settings, row.id, row.phone, code)
    await session.flush()
    token = set_language(row.language)
    try:
        text = phone.sms_text(code, settings.phone_code_minutes)
    finally:
        reset_language(token)
    await send_sms(settings, Sms(row.phone, text))
