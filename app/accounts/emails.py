"""Account emails, sent by the durable job ``accounts.email`` after the request commits.

The job carries only ids (and, for a change of address, the new address). The handler creates
the single-use token itself, so a token's secret exists only in the email, never in the
database or the job table. Messages are written in the recipient's language (``User.language``).
A retried job sends a fresh link; the earlier one stays valid until used or expired.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import tokens
from app.accounts.models import EmailToken, TokenPurpose, User
from app.config import Settings
from app.db import utcnow
from app.i18n import gettext as _
from app.jobs import enqueue
from app.mail import Mail

JOB_KIND = "accounts.email"
VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - a message kind
CHANGE_EMAIL = "change_email"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a message kind


def queue(session: AsyncSession, kind: str, user_id: int, **extra: str) -> None:
    enqueue(session, JOB_KIND, {"kind": kind, "user_id": user_id, **extra})


async def _new_token(
    session: AsyncSession,
    user: User,
    purpose: TokenPurpose,
    lifetime: timedelta,
    new_email: str | None = None,
) -> str:
    secret, secret_hash = tokens.new_secret()
    now = utcnow()
    session.add(
        EmailToken(
            token_hash=secret_hash,
            user_id=user.id,
            purpose=purpose,
            new_email=new_email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return secret


async def compose(
    session: AsyncSession, settings: Settings, kind: str, user: User, payload: dict[str, Any]
) -> Mail | None:
    """The message for ``kind`` in the current language (the caller sets the user's)."""
    base = settings.base_url.rstrip("/")
    greeting = _("Hello %(name)s,", name=user.display_name)
    signature = _("ODOP Bazaar")
    if user.email is None and kind != CHANGE_EMAIL:
        return None  # an account made by mobile number has no address to write to
    to = user.email or ""
    if kind == VERIFY_EMAIL:
        if user.email_verified_at is not None:
            return None
        secret = await _new_token(
            session, user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=settings.email_token_hours)
        )
        subject = _("Confirm your email address")
        body = _(
            "Please confirm your email address for ODOP Bazaar by opening this link:",
        )
        link = f"{base}/account/verify/{secret}"
        if payload.get("next"):
            link += "?next=" + quote(str(payload["next"]), safe="/")
        note = _("If you did not create an account, you can ignore this email.")
        return Mail(to, subject, f"{greeting}\n\n{body}\n{link}\n\n{note}\n\n{signature}\n")
    if kind == RESET_PASSWORD:
        minutes = settings.password_reset_minutes
        secret = await _new_token(
            session, user, TokenPurpose.RESET_PASSWORD, timedelta(minutes=minutes)
        )
        subject = _("Reset your password")
        body = _(
            "Someone asked to reset the password of your ODOP Bazaar account. "
            "To choose a new password, open this link within %(n)s minutes:",
            n=minutes,
        )
        link = f"{base}/account/reset/{secret}"
        note = _("If this was not you, ignore this email: your password stays as it is.")
        return Mail(to, subject, f"{greeting}\n\n{body}\n{link}\n\n{note}\n\n{signature}\n")
    if kind == CHANGE_EMAIL:
        new_email = str(payload["new_email"])
        secret = await _new_token(
            session,
            user,
            TokenPurpose.CHANGE_EMAIL,
            timedelta(hours=settings.email_token_hours),
            new_email=new_email,
        )
        subject = _("Confirm your new email address")
        body = _("To use this address for your ODOP Bazaar account, open this link:")
        link = f"{base}/account/verify/{secret}"
        note = _("If you did not ask for this, you can ignore this email.")
        return Mail(new_email, subject, f"{greeting}\n\n{body}\n{link}\n\n{note}\n\n{signature}\n")
    if kind == PASSWORD_CHANGED:
        subject = _("Your password was changed")
        body = _(
            "The password of your ODOP Bazaar account was just changed, and every other "
            "signed-in device was signed out."
        )
        note = _(
            "If this was not you, reset your password now: %(link)s",
            link=f"{base}/account/forgot-password",
        )
        return Mail(to, subject, f"{greeting}\n\n{body}\n\n{note}\n\n{signature}\n")
    raise ValueError(f"unknown account email kind {kind!r}")
