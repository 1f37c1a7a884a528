"""Exchange rate queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.rates.models import ExchangeRate


async def rate_on(session: AsyncSession, currency: str, day: date) -> ExchangeRate | None:
    return await session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.currency == currency, ExchangeRate.effective_date == day
        )
    )


async def latest_rates(session: AsyncSession, today: date) -> list[ExchangeRate]:
    latest = (
        select(ExchangeRate.currency, func.max(ExchangeRate.effective_date).label("day"))
        .where(ExchangeRate.effective_date <= today)
        .group_by(ExchangeRate.currency)
        .subquery()
    )
    rows = await session.scalars(
        select(ExchangeRate).join(
            latest,
            (latest.c.currency == ExchangeRate.currency)
            & (latest.c.day == ExchangeRate.effective_date),
        )
    )
    return list(rows.all())


async def recent_rates(session: AsyncSession, limit: int) -> list[ExchangeRate]:
    rows = await session.scalars(
        select(ExchangeRate)
        .order_by(ExchangeRate.effective_date.desc(), ExchangeRate.currency)
        .limit(limit)
    )
    return list(rows.all())
