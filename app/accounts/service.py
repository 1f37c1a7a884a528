"""Account rules."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import passwords, repository
from app.accounts.models import Role, User
from app.db import utcnow
from app.errors import Conflict, ValidationFailed


def normalise_email(email: str) -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 254:
        raise ValidationFailed("Enter a valid email address, like name@example.com.")
    return f"{local}@{domain.lower()}"


def check_password_rules(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise ValidationFailed(f"Use at least {passwords.MIN_LENGTH} characters.")
    if len(password) > passwords.MAX_LENGTH:
        raise ValidationFailed(f"Use at most {passwords.MAX_LENGTH} characters.")


async def create_admin(session: AsyncSession, email: str, password: str, name: str) -> User:
    email = normalise_email(email)
    check_password_rules(password)
    if await repository.user_by_email(session, email) is not None:
        raise Conflict(f"An account with the email {email} already exists.")
    user = User(
        email=email,
        password_hash=passwords.hash_password(password),
        display_name=name,
        role=Role.ADMIN,
        email_verified_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    return user
