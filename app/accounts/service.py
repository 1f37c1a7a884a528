"""Account rules: registration, sign-in with throttling, sessions, emailed tokens, API tokens.

No HTTP here: views and the API call these and turn the errors into pages or JSON. Every function
only flushes; the caller's transaction (the request, a job, the CLI) commits.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import emails, passwords, repository, throttle, tokens
from app.accounts.errors import FieldError, SignInFailed, TooManyAttempts
from app.accounts.models import ApiToken, EmailToken, Role, TokenPurpose, User, UserSession
from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import Conflict, Forbidden, FormErrors, NotFound, ValidationFailed
from app.i18n import LANGUAGES
from app.i18n import gettext as _

# Scopes a personal API token can carry. Routes ask for one with ``require_scope("...")``.
SCOPES = ("catalog:read", "seller:read", "seller:write", "orders:read", "orders:write", "admin")


def scope_labels() -> dict[str, str]:
    """What each scope allows, in the current language (for the token form)."""
    return {
        "catalog:read": _("Read the catalog"),
        "seller:read": _("Read your seller profile, listings and orders"),
        "seller:write": _("Change your seller profile and listings"),
        "orders:read": _("Read your orders"),
        "orders:write": _("Place and change your orders"),
        "admin": _("Administration (administrators only)"),
    }


ADMIN_ONLY_SCOPES = frozenset({"admin"})
# How long ago a session was last marked seen before we write the new time (saves a write per
# page view; the idle timeout is measured in minutes anyway).
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
MAX_RESET_EMAILS_PER_HOUR = 3


def normalise_email(email: str, field: str = "email") -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(email) > 254
        or any(c.isspace() for c in email)
    ):
        raise FieldError(field, _("Enter a valid email address, like name@example.com."))
    return f"{local}@{domain.lower()}"


def check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise FieldError(field, _("Use at least %(n)s characters.", n=passwords.MIN_LENGTH))
    if len(password) > passwords.MAX_LENGTH:
        raise FieldError(field, _("Use at most %(n)s characters.", n=passwords.MAX_LENGTH))
    if passwords.is_common(password):
        raise FieldError(
            field, _("This password is too common and easy to guess. Choose another one.")
        )


async def _hash(password: str) -> str:
    # argon2 takes ~50 ms of CPU; a thread keeps the event loop serving other requests.
    return await asyncio.to_thread(passwords.hash_password, password)


async def _verify(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(passwords.verify_password, password_hash, password)


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise FieldError("display_name", _("Enter your name."))
    if len(name) > 120:
        raise FieldError("display_name", _("Use at most %(n)s characters.", n=120))
    return name


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    language: str = "en",
    role: Role = Role.BUYER,
    next_path: str = "",
    client: Client | None = None,
) -> User:
    """Create an account and email a verification link (after commit, by a job); the link
    leads on to ``next_path`` (a same-site path) after confirming.

    With a ``client`` (a registration from the web), every attempt counts against the IP and
    the email (``throttle.REGISTRATION_RULES``); over the limit, ``TooManyAttempts`` is raised
    before anything is checked. The caller must let the transaction commit the count."""
    if client is not None:
        await _throttle_registration(session, email, client)
    FormErrors.collect(
        lambda: _check_name(display_name),
        lambda: normalise_email(email),
        lambda: check_password_rules(password),
    )
    name = _check_name(display_name)
    email = normalise_email(email)
    if await repository.user_by_email(session, email) is not None:
        raise FieldError(
            "email",
            _("An account with this email already exists. Sign in, or reset your password."),
        )
    user = User(
        email=email,
        password_hash=await _hash(password),
        display_name=name,
        role=role,
        language=language if language in LANGUAGES else "en",
        password_changed_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    if next_path:
        emails.queue(session, emails.VERIFY_EMAIL, user.id, next=next_path)
    else:
        emails.queue(session, emails.VERIFY_EMAIL, user.id)
    return user


async def _throttle_registration(session: AsyncSession, email: str, client: Client) -> None:
    now = utcnow()
    rules = throttle.REGISTRATION_RULES
    checked = {
        "register_ip": rules["register_ip"].key(client.ip),
        "register_email": rules["register_email"].key(email.strip().lower()),
    }
    rows = await repository.throttles(session, list(checked.values()))
    wait = max(
        (
            rules[name].wait(row.failures, row.window_started_at, row.last_failure_at, now)
            for name, key in checked.items()
            if (row := rows.get(key)) is not None
        ),
        default=0.0,
    )
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(
            _(
                "Too many attempts to create an account. Wait %(n)s seconds and try again.",
                n=seconds,
            ),
            seconds,
        )
    await repository.record_failure(session, sorted(checked.values()), now)


async def create_admin(session: AsyncSession, email: str, password: str, name: str) -> User:
    """`odop admin create`: an administrator whose email counts as verified."""
    email = normalise_email(email)
    check_password_rules(password)
    if await repository.user_by_email(session, email) is not None:
        raise Conflict(f"An account with the email {email} already exists.")
    user = User(
        email=email,
        password_hash=await _hash(password),
        display_name=_check_name(name),
        role=Role.ADMIN,
        email_verified_at=utcnow(),
        password_changed_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    return user


# Sign-in and sessions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """Who is knocking: the IP, the browser, and the device cookie's contents if it has one."""

    ip: str
    user_agent: str = ""
    device_user_id: int | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_token: str  # for the cookie; only its digest is stored
    device_id: str  # for the device cookie


def _rules(settings: Settings) -> dict[str, throttle.Rule]:
    return throttle.rules(
        settings.sign_in_max_failures_per_account_hour, settings.sign_in_max_failures_per_ip_hour
    )


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    client: Client,
    old_session_token: str | None = None,
) -> SignedIn:
    """Check the password under the throttles (see ``throttle``), then start a new session.

    Raises ``TooManyAttempts`` (nothing is checked) or ``SignInFailed`` (one message for unknown
    emails and wrong passwords, after the same argon2 work). The caller must let the transaction
    COMMIT after these errors, so the failure counts persist (views catch them and render).
    """
    now = utcnow()
    email_key = email.strip().lower()
    user = await repository.user_by_email(session, email_key) if email_key else None
    rules = _rules(settings)
    known_device = (
        user is not None and client.device_id is not None and client.device_user_id == user.id
    )
    if known_device and client.device_id is not None:
        checked = {"device": rules["device"].key(client.device_id)}
    else:
        checked = {
            "account": rules["account"].key(email_key),
            "account_ip": rules["account_ip"].key(email_key, client.ip),
            "ip": rules["ip"].key(client.ip),
        }
    rows = await repository.throttles(session, list(checked.values()))
    wait = max(
        (
            rules[name].wait(row.failures, row.window_started_at, row.last_failure_at, now)
            for name, key in checked.items()
            if (row := rows.get(key)) is not None
        ),
        default=0.0,
    )
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(
            _("Too many failed attempts. Wait %(n)s seconds and try again.", n=seconds), seconds
        )

    if user is None:
        await asyncio.to_thread(passwords.verify_dummy, password)
        ok = False
    else:
        ok = (
            user.password_hash is not None
            and await _verify(user.password_hash, password)
            and user.is_active
        )
    if not ok or user is None:
        failed = set(checked.values())
        if known_device:  # still counts towards the account, which slows any other guesser
            failed.add(rules["account"].key(email_key))
        await repository.record_failure(session, sorted(failed), now)
        await repository.delete_stale_throttles(session, now)
        raise SignInFailed(_("The email or password is not correct."))

    await repository.clear_throttles(
        session,
        [
            rules["account"].key(email_key),
            rules["account_ip"].key(email_key, client.ip),
            *([rules["device"].key(client.device_id)] if client.device_id else []),
        ],
    )
    if user.password_hash is not None and passwords.needs_rehash(user.password_hash):
        user.password_hash = await _hash(password)
    token = await start_session(session, settings, user, client, old_session_token)
    device_id = client.device_id if known_device and client.device_id else secrets.token_hex(16)
    return SignedIn(user=user, session_token=token, device_id=device_id)


async def start_session(
    session: AsyncSession,
    settings: Settings,
    user: User,
    client: Client,
    old_session_token: str | None = None,
) -> str:
    """A new session id every time someone signs in (the old one, if any, is deleted)."""
    now = utcnow()
    if old_session_token:
        await repository.delete_session(session, tokens.digest(old_session_token))
    await repository.delete_expired_sessions(session, user.id, now)
    token, token_hash = tokens.new_secret()
    session.add(
        UserSession(
            token_hash=token_hash,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=client.ip[:64],
            user_agent=client.user_agent[:300] or None,
        )
    )
    await session.flush()
    return token


async def session_user(
    session: AsyncSession, settings: Settings, token: str
) -> tuple[UserSession, User] | None:
    """The session and user behind a cookie, or None when unknown, idle too long, past its
    absolute lifetime, or the user is deactivated (expired rows are deleted)."""
    found = await repository.session_with_user(session, tokens.digest(token))
    if found is None:
        return None
    user_session, user = found
    now = utcnow()
    idle_limit = user_session.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= user_session.expires_at or now >= idle_limit:
        await begin_write(session)
        await repository.delete_session(session, user_session.token_hash)
        return None
    if not user.is_active:
        return None
    if now - user_session.last_seen_at >= SESSION_TOUCH_INTERVAL:
        await begin_write(session)
        user_session.last_seen_at = now
    return user_session, user


async def sign_out(session: AsyncSession, token: str) -> None:
    await repository.delete_session(session, tokens.digest(token))


async def change_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    current: str,
    new: str,
    client: Client,
    current_session_token: str | None,
) -> str:
    """Requires the current password. Ends every session of the user (other browsers are signed
    out) and returns a fresh session token for this browser."""
    if user.password_hash is None:
        raise FieldError("current_password", _("Your account signs in with texted codes."))
    if not await _verify(user.password_hash, current):
        raise FieldError("current_password", _("Your current password is not correct."))
    check_password_rules(new, "new_password")
    await _set_password(session, user, new)
    token = await start_session(session, settings, user, client, current_session_token)
    emails.queue(session, emails.PASSWORD_CHANGED, user.id)
    return token


async def _set_password(session: AsyncSession, user: User, new: str) -> None:
    now = utcnow()
    user.password_hash = await _hash(new)
    user.password_changed_at = now
    await repository.delete_sessions_of(session, user.id)
    await repository.retire_email_tokens(session, user.id, TokenPurpose.RESET_PASSWORD, now)
    await session.flush()


# Emailed tokens ----------------------------------------------------------------------------------


async def request_password_reset(session: AsyncSession, email: str) -> None:
    """Queue a reset email if the account exists. Callers answer the same either way."""
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return
    user = await repository.user_by_email(session, email)
    if user is None or not user.is_active:
        return
    since = utcnow() - timedelta(hours=1)
    recent = await repository.recent_email_tokens(
        session, user.id, TokenPurpose.RESET_PASSWORD, since
    )
    if recent < MAX_RESET_EMAILS_PER_HOUR:
        emails.queue(session, emails.RESET_PASSWORD, user.id)


async def _usable_token(
    session: AsyncSession, token: str, purposes: Sequence[TokenPurpose]
) -> EmailToken:
    found = await repository.email_token(session, tokens.digest(token))
    if (
        found is None
        or found.purpose not in purposes
        or found.used_at is not None
        or found.expires_at <= utcnow()
    ):
        raise NotFound(
            _("This link has expired or has already been used. Ask for a new one."),
            suggestions=[("/account/forgot-password", _("Reset your password"))],
        )
    return found


async def check_reset_token(session: AsyncSession, token: str) -> None:
    await _usable_token(session, token, [TokenPurpose.RESET_PASSWORD])


async def reset_password(session: AsyncSession, token: str, new: str) -> User:
    """Single use: the token is spent, every session of the user ends, other reset links die."""
    found = await _usable_token(session, token, [TokenPurpose.RESET_PASSWORD])
    check_password_rules(new, "new_password")
    user = await repository.user_by_id(session, found.user_id)
    if user is None:
        raise NotFound()
    found.used_at = utcnow()
    await _set_password(session, user, new)
    if user.email_verified_at is None:  # the link reached the inbox, which proves it
        user.email_verified_at = utcnow()
    emails.queue(session, emails.PASSWORD_CHANGED, user.id)
    return user


async def confirm_email(session: AsyncSession, token: str) -> User:
    """Verify an address (after registration) or switch to a new one (after a change)."""
    await begin_write(session)  # opened from an email: a GET that writes
    found = await _usable_token(
        session, token, [TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL]
    )
    user = await repository.user_by_id(session, found.user_id)
    if user is None:
        raise NotFound()
    now = utcnow()
    found.used_at = now
    if found.purpose == TokenPurpose.CHANGE_EMAIL and found.new_email:
        other = await repository.user_by_email(session, found.new_email)
        if other is not None and other.id != user.id:
            raise Conflict(_("Another account already uses that email address."))
        user.email = found.new_email
    user.email_verified_at = now
    await session.flush()
    return user


async def resend_verification(session: AsyncSession, user: User) -> None:
    if user.email_verified_at is None:
        emails.queue(session, emails.VERIFY_EMAIL, user.id)


async def request_email_change(
    session: AsyncSession, user: User, *, new_email: str, password: str
) -> None:
    """Needs the password; the new address must confirm by its link before it is used."""
    if user.password_hash is None or not await _verify(user.password_hash, password):
        raise FieldError("email_password", _("Your current password is not correct."))
    email = normalise_email(new_email, "new_email")
    if user.email is not None and email.lower() == user.email.lower():
        raise FieldError("new_email", _("That is already your email address."))
    if await repository.user_by_email(session, email) is not None:
        raise FieldError("new_email", _("Another account already uses that email address."))
    emails.queue(session, emails.CHANGE_EMAIL, user.id, new_email=email)


async def set_language(session: AsyncSession, user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise FieldError("language", _("Choose a language from the list."))
    user.language = language
    await session.flush()


# API tokens --------------------------------------------------------------------------------------


def scopes_for(user: User) -> list[str]:
    return [s for s in SCOPES if user.is_admin or s not in ADMIN_ONLY_SCOPES]


async def create_api_token(
    session: AsyncSession, user: User, *, name: str, scopes: Sequence[str]
) -> tuple[ApiToken, str]:
    """Returns the row and the secret, which is shown once and never stored."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise FieldError("token_name", _("Give the token a name of up to 80 characters."))
    chosen = sorted(set(scopes))
    if not chosen:
        raise FieldError("scopes", _("Choose at least one permission."))
    allowed = scopes_for(user)
    if any(scope not in allowed for scope in chosen):
        raise Forbidden(_("You cannot give a token that permission."))
    secret, secret_hash = tokens.new_secret(tokens.API_TOKEN_PREFIX)
    token = ApiToken(
        token_hash=secret_hash,
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        scopes=" ".join(chosen),
    )
    session.add(token)
    await session.flush()
    return token, secret


async def api_tokens(session: AsyncSession, user: User) -> Sequence[ApiToken]:
    return await repository.api_tokens_of(session, user.id)


async def revoke_api_token(session: AsyncSession, user: User, token_id: int) -> ApiToken:
    token = await repository.api_token_of(session, user.id, token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    token.revoked_at = utcnow()
    await session.flush()
    return token


async def api_token_user(session: AsyncSession, secret: str) -> tuple[ApiToken, User] | None:
    """The live token and active user behind a bearer secret (marks the token used)."""
    if not secret.startswith(tokens.API_TOKEN_PREFIX):
        return None
    found = await repository.api_token_with_user(session, tokens.digest(secret))
    if found is None or not found[1].is_active:
        return None
    token, _user = found
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= SESSION_TOUCH_INTERVAL:
        await begin_write(session)
        token.last_used_at = now
    return found


async def count_sessions(session: AsyncSession, user: User) -> int:
    return await repository.count_sessions(session, user.id)


async def sign_out_other_sessions(session: AsyncSession, user: User, current: UserSession) -> None:
    await repository.delete_sessions_of(session, user.id, except_id=current.id)


async def purge(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """`odop accounts purge` (run it daily): expired sessions, spent tokens, old counters."""
    now = utcnow()
    return await repository.purge(
        session, now, now - timedelta(minutes=settings.session_idle_minutes)
    )
