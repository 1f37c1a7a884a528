"""All catalog queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.catalog.models import (
    District,
    ExchangeRate,
    Listing,
    ListingStatus,
    OdopProduct,
    State,
)
from app.sellers.models import Seller, SellerStatus

ModelT = TypeVar("ModelT")


async def all_rows(session: AsyncSession, model: type[ModelT]) -> Sequence[ModelT]:
    return (await session.scalars(select(model))).all()


async def count_rows(session: AsyncSession, model: type[Any]) -> int:
    return (await session.scalar(select(func.count()).select_from(model))) or 0


def public_listing_filter() -> Any:
    """Listings anyone may see: published, by a verified (and so not suspended) seller."""
    return (Listing.status == ListingStatus.PUBLISHED) & Listing.seller_id.in_(
        select(Seller.id).where(Seller.status == SellerStatus.VERIFIED)
    )


async def states_with_counts(session: AsyncSession) -> list[tuple[State, int, int]]:
    """Every state with its number of districts and of public listings."""
    district_counts = (
        select(District.state_id, func.count().label("n")).group_by(District.state_id).subquery()
    )
    listing_counts = (
        select(Listing.state_id, func.count().label("n"))
        .where(public_listing_filter())
        .group_by(Listing.state_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            State,
            func.coalesce(district_counts.c.n, 0),
            func.coalesce(listing_counts.c.n, 0),
        )
        .outerjoin(district_counts, district_counts.c.state_id == State.id)
        .outerjoin(listing_counts, listing_counts.c.state_id == State.id)
        .order_by(State.name)
    )
    return [(state, int(d), int(n)) for state, d, n in rows.all()]


async def state_by_slug(session: AsyncSession, slug: str) -> State | None:
    return await session.scalar(select(State).where(State.slug == slug))


async def districts_with_products(
    session: AsyncSession, state_id: int
) -> list[tuple[District, int]]:
    listing_counts = (
        select(Listing.district_id, func.count().label("n"))
        .where(public_listing_filter(), Listing.state_id == state_id)
        .group_by(Listing.district_id)
        .subquery()
    )
    rows = await session.execute(
        select(District, func.coalesce(listing_counts.c.n, 0))
        .outerjoin(listing_counts, listing_counts.c.district_id == District.id)
        .where(District.state_id == state_id)
        .options(selectinload(District.odop_products))
        .order_by(District.name)
    )
    return [(district, int(n)) for district, n in rows.all()]


async def district_by_slug(session: AsyncSession, state_id: int, slug: str) -> District | None:
    return await session.scalar(
        select(District)
        .where(District.state_id == state_id, District.slug == slug)
        .options(selectinload(District.odop_products).selectinload(OdopProduct.gi_tag))
    )


async def public_listings_in_district(
    session: AsyncSession, district_id: int, *, limit: int, offset: int
) -> tuple[list[Listing], int]:
    where = (Listing.district_id == district_id) & public_listing_filter()
    total = await session.scalar(select(func.count()).select_from(Listing).where(where)) or 0
    listings = (
        await session.scalars(
            select(Listing)
            .where(where)
            .options(selectinload(Listing.images))
            .order_by(Listing.published_at.desc(), Listing.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return list(listings), total


async def district_names_in_state(session: AsyncSession, state_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(District.slug, District.name).where(District.state_id == state_id)
    )
    return [(slug, name) for slug, name in rows.all()]


async def state_names(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(State.slug, State.name))
    return [(slug, name) for slug, name in rows.all()]


async def odop_products_for_demo(session: AsyncSession) -> list[OdopProduct]:
    return list((await session.scalars(select(OdopProduct).order_by(OdopProduct.id))).all())


async def count_demo_listings(session: AsyncSession) -> int:
    return (
        await session.scalar(select(func.count()).select_from(Listing).where(Listing.is_demo))
    ) or 0


async def listing_ids_by_slug(session: AsyncSession, slugs: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(select(Listing.slug, Listing.id).where(Listing.slug.in_(slugs)))
    return {row.slug: row.id for row in rows}


async def refresh_planner_statistics(session: AsyncSession) -> None:
    """ANALYZE after a bulk load, so the query planner sees the new table sizes."""
    await session.execute(text("ANALYZE"))


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
