"""User accounts, server-side sessions, emailed one-time tokens, API tokens, sign-in throttles.

Secrets (session ids, emailed tokens, API tokens) are never stored: only their SHA-256 digest,
so a copy of the database does not let anyone sign in. See ``app/accounts/tokens.py``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin, str_enum, utcnow


class Role(enum.StrEnum):
    BUYER = "buyer"
    SELLER_MEMBER = "seller_member"
    SELLER_OWNER = "seller_owner"
    PROCUREMENT_BUYER = "procurement_buyer"
    PROCUREMENT_APPROVER = "procurement_approver"
    ADMIN = "admin"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An account has an email address, a mobile number, or both (a CHECK keeps one of them).
    # Accounts made by mobile number have no password: they sign in with a texted code.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.BUYER)
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None]
    phone_verified_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact"),)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def contact(self) -> str:
        """How the account is known: its email address, else its mobile number."""
        return self.email or self.phone or ""


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; the row holds its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # the absolute timeout
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    CHANGE_EMAIL = "change_email"


class EmailToken(Base):
    """A single-use token sent by email (verification, password reset, change of address)."""

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, "token_purpose"))
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token: ``Authorization: Bearer odop_...``; scopes are space-separated."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so a token can be recognised
    scopes: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class SignInThrottle(Base):
    """Failed sign-in counters shared by every app process. ``key`` is a SHA-256 of what is
    counted (an account, an IP, an account from an IP, a device), so no address is stored."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (Index("ix_sign_in_throttles_window", "window_started_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]


class PhoneCodePurpose(enum.StrEnum):
    SIGN_UP = "sign_up"
    SIGN_IN = "sign_in"


class PhoneCode(Base):
    """A one-time code texted to a mobile number. Only an HMAC of the code is stored (keyed by
    the secret key: six digits are too few for a bare hash to protect). A sign-up keeps the
    name here until the code proves the number, so no account exists for an unproven number."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[PhoneCodePurpose] = mapped_column(
        str_enum(PhoneCodePurpose, "phone_code_purpose")
    )
    code_hash: Mapped[str | None] = mapped_column(String(64))  # set when the text is sent
    display_name: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
