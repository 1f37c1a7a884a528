"""All account queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import case

from app.accounts.models import (
    ApiToken,
    EmailToken,
    PhoneCode,
    SignInThrottle,
    TokenPurpose,
    User,
    UserSession,
)
from app.accounts.throttle import WINDOW


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return await session.scalar(select(User).where(User.phone == phone))


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


# Sessions ----------------------------------------------------------------------------------------


async def session_with_user(
    session: AsyncSession, token_hash: str
) -> tuple[UserSession, User] | None:
    row = (
        await session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == token_hash)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(UserSession).where(UserSession.token_hash == token_hash))


async def delete_sessions_of(
    session: AsyncSession, user_id: int, *, except_id: int | None = None
) -> None:
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if except_id is not None:
        query = query.where(UserSession.id != except_id)
    await session.execute(query)


async def delete_expired_sessions(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at <= now)
    )


async def count_sessions(session: AsyncSession, user_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
        )
        or 0
    )


# Emailed tokens ----------------------------------------------------------------------------------


async def email_token(session: AsyncSession, token_hash: str) -> EmailToken | None:
    return await session.scalar(
        select(EmailToken).where(EmailToken.token_hash == token_hash).with_for_update()
    )


async def retire_email_tokens(
    session: AsyncSession, user_id: int, purpose: TokenPurpose, now: datetime
) -> None:
    await session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


async def recent_email_tokens(
    session: AsyncSession, user_id: int, purpose: TokenPurpose, since: datetime
) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(EmailToken)
            .where(
                EmailToken.user_id == user_id,
                EmailToken.purpose == purpose,
                EmailToken.created_at >= since,
            )
        )
        or 0
    )


# Texted codes -----------------------------------------------------------------------------------


async def live_phone_code(session: AsyncSession, phone: str, now: datetime) -> PhoneCode | None:
    """The newest unused, unexpired code of a number (older ones are retired when one is sent)."""
    return await session.scalar(
        select(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None), PhoneCode.expires_at > now)
        .order_by(PhoneCode.id.desc())
        .limit(1)
        .with_for_update()
    )


async def retire_phone_codes(session: AsyncSession, phone: str, now: datetime) -> None:
    await session.execute(
        update(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None))
        .values(used_at=now)
    )


# API tokens --------------------------------------------------------------------------------------


async def api_token_with_user(
    session: AsyncSession, token_hash: str
) -> tuple[ApiToken, User] | None:
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def api_tokens_of(session: AsyncSession, user_id: int) -> Sequence[ApiToken]:
    return (
        await session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    ).all()


async def api_token_of(session: AsyncSession, user_id: int, token_id: int) -> ApiToken | None:
    return await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )


# Sign-in throttles -------------------------------------------------------------------------------


async def throttles(session: AsyncSession, keys: Sequence[str]) -> dict[str, SignInThrottle]:
    rows = await session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.key.in_(keys))
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in rows}


async def record_failure(session: AsyncSession, keys: Sequence[str], now: datetime) -> None:
    """Count one failure under each key, atomically (INSERT .. ON CONFLICT DO UPDATE), so
    concurrent processes never lose a count; a window older than an hour starts again at 1."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = SignInThrottle.window_started_at <= now - WINDOW
    for key in sorted(keys):  # a fixed order, so two processes never deadlock
        stmt = insert(SignInThrottle).values(
            key=key, failures=1, window_started_at=now, last_failure_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[SignInThrottle.key],
            set_={
                "failures": case((expired, 1), else_=SignInThrottle.failures + 1),
                "window_started_at": case((expired, now), else_=SignInThrottle.window_started_at),
                "last_failure_at": now,
            },
        )
        await session.execute(stmt)


async def clear_throttles(session: AsyncSession, keys: Sequence[str]) -> None:
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(keys)))


async def delete_stale_throttles(session: AsyncSession, now: datetime) -> None:
    await session.execute(
        delete(SignInThrottle).where(SignInThrottle.window_started_at <= now - 2 * WINDOW)
    )


# Housekeeping ------------------------------------------------------------------------------------


async def purge(session: AsyncSession, now: datetime, idle_cutoff: datetime) -> dict[str, int]:
    """Delete expired sessions, spent or expired emailed tokens, and old throttle counters."""
    results = {
        "sessions": await session.execute(
            delete(UserSession).where(
                (UserSession.expires_at <= now) | (UserSession.last_seen_at <= idle_cutoff)
            )
        ),
        "email_tokens": await session.execute(
            delete(EmailToken).where(
                (EmailToken.expires_at <= now) | EmailToken.used_at.is_not(None)
            )
        ),
        "phone_codes": await session.execute(
            delete(PhoneCode).where((PhoneCode.expires_at <= now) | PhoneCode.used_at.is_not(None))
        ),
        "throttles": await session.execute(
            delete(SignInThrottle).where(SignInThrottle.window_started_at <= now - WINDOW)
        ),
    }
    return {name: int(result.rowcount) for name, result in results.items()}  # type: ignore[attr-defined]
