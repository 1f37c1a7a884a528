"""PreparedSelect: on PostgreSQL it runs on asyncpg directly, and must answer exactly as
SQLAlchemy would, be seen by the engine's statement listeners and keep the NUL guard."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import bindparam, select, text, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import (
    PreparedSelect,
    make_engine,
    make_read_session_factory,
    make_session_factory,
)
from app.errors import ValidationFailed
from app.listings.models import Listing, ListingStatus
from app.sellers.models import Seller, SellerStatus, SellerType
from tests import factories
from tests.helpers import recorded_statements

# Every kind of value a public page reads: an integer, texts (one NULL), a str_enum on both sides
# of the join, a JSON list, a UTC datetime, booleans, a labelled column and a computed one, with
# a parameter given by the call and constants bound in the statement (enums, a boolean).
LISTINGS_OF_SELLER = PreparedSelect(
    select(
        Listing.id,
        Listing.slug,
        Listing.title_hi,
        Listing.status,
        Listing.ships_to,
        Listing.published_at,
        Listing.made_to_order,
        Listing.export_ready,
        Seller.seller_type.label("seller_type"),
        (Listing.price_paise * 2).label("double_price"),
    )
    .join(Seller, Seller.id == Listing.seller_id)
    .where(
        Seller.slug == bindparam("seller_slug"),
        Seller.status == SellerStatus.VERIFIED,
        Listing.status != ListingStatus.UNPUBLISHED,
        Listing.moq >= bindparam("min_moq"),
        Listing.made_to_order.is_not(true()) | Listing.export_ready,
    )
    .order_by(Listing.id)
)


async def _two_listings(db: AsyncSession) -> Seller:
    owner = await factories.seller(db, seller_type=SellerType.SHG)
    await factories.listing(db, owner, ships_to=["US", "AE"], export_ready=True)
    await factories.listing(
        db, owner, status=ListingStatus.DRAFT, title_hi="परीक्षण", published_at=None, moq=3
    )
    return owner


async def test_rows_equal_sqlalchemys_for_every_kind_of_value(db: AsyncSession) -> None:
    owner = await _two_listings(db)
    params: dict[str, Any] = {"seller_slug": owner.slug, "min_moq": 1}

    rows = await LISTINGS_OF_SELLER.all(db, **params)
    expected = (await db.execute(LISTINGS_OF_SELLER.statement, params)).all()

    assert len(rows) == 2
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert [type(value) for value in rows[0]] == [type(value) for value in expected[0]]
    first, second = rows
    assert first.status is ListingStatus.PUBLISHED and second.status is ListingStatus.DRAFT
    assert first.seller_type is SellerType.SHG
    assert first.ships_to == ["US", "AE"] and first.published_at is not None
    assert first.published_at.tzinfo is not None
    assert second.title_hi == "परीक्षण" and second.published_at is None
    assert first.double_price == 2 * 150_000

    assert await LISTINGS_OF_SELLER.first(db, seller_slug=owner.slug, min_moq=2) == second
    assert await LISTINGS_OF_SELLER.first(db, seller_slug="no-such-seller", min_moq=1) is None


async def test_the_engines_statement_listeners_see_it(db: AsyncSession) -> None:
    owner = await _two_listings(db)
    with recorded_statements(db.get_bind()) as seen:
        await LISTINGS_OF_SELLER.all(db, seller_slug=owner.slug, min_moq=1)
    assert len(seen) == 1 and "FROM listings JOIN sellers" in seen[0]


async def test_a_nul_character_is_refused_as_everywhere(db: AsyncSession) -> None:
    with pytest.raises(ValidationFailed):
        await LISTINGS_OF_SELLER.all(db, seller_slug="bad\x00slug", min_moq=1)
    assert await LISTINGS_OF_SELLER.all(db, seller_slug="still-usable", min_moq=1) == []


def test_an_in_list_parameter_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="IN list"):
        PreparedSelect(select(Listing.id).where(Listing.id.in_(bindparam("ids", expanding=True))))


async def test_a_dropped_connection_is_replaced_not_reused(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("runs on asyncpg only on PostgreSQL")
    factory = make_read_session_factory(engine)
    async with factory() as session:
        backend = await session.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the driver raises
            await LISTINGS_OF_SELLER.all(session, seller_slug="any", min_moq=1)
    for _ in range(3):  # the pool must not hand the dead connection out again
        async with factory() as session:
            assert await LISTINGS_OF_SELLER.all(session, seller_slug="any", min_moq=1) == []


async def test_a_connection_given_back_at_commit_is_not_used_again(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("runs on asyncpg only on PostgreSQL")
    one_connection = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    factory = make_session_factory(one_connection)
    try:
        async with factory() as first:
            assert await LISTINGS_OF_SELLER.all(first, seller_slug="any", min_moq=1) == []
            await first.commit()  # its connection goes back to the pool
            async with factory() as second:
                assert await LISTINGS_OF_SELLER.all(second, seller_slug="any", min_moq=1) == []
                # The pool's only connection is the second session's now: the first must wait.
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(
                        LISTINGS_OF_SELLER.all(first, seller_slug="any", min_moq=1), 0.5
                    )
    finally:
        await one_connection.dispose()
