"""Every query of quotes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.listings.models import Listing
from app.orders.models import Order, OrderLine, OrderPart, PaymentStatus
from app.procurement.quotes.models import (
    Quote,
    QuoteAttachment,
    QuoteEvent,
    QuoteMessage,
    QuoteState,
)
from app.reference.models import District, State
from app.sellers.models import Seller

OPEN_STATES = (QuoteState.REQUESTED, QuoteState.OFFERED)


async def quote(session: AsyncSession, quote_id: int, *, lock: bool = False) -> Quote | None:
    statement = select(Quote).where(Quote.id == quote_id)
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def listing(session: AsyncSession, listing_id: int) -> Listing | None:
    return await session.scalar(
        select(Listing)
        .where(Listing.id == listing_id)
        .options(selectinload(Listing.price_tiers), selectinload(Listing.seller))
    )


async def listings(session: AsyncSession, ids: Sequence[int]) -> dict[int, Listing]:
    if not ids:
        return {}
    rows = await session.scalars(select(Listing).where(Listing.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def sellers(session: AsyncSession, ids: Sequence[int]) -> dict[int, Seller]:
    if not ids:
        return {}
    rows = await session.scalars(select(Seller).where(Seller.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def seller(session: AsyncSession, seller_id: int) -> Seller | None:
    return await session.get(Seller, seller_id)


async def seller_of_user(session: AsyncSession, user_id: int) -> Seller | None:
    return await session.scalar(select(Seller).where(Seller.owner_user_id == user_id))


async def open_quote_of(session: AsyncSession, buyer_user_id: int, listing_id: int) -> Quote | None:
    return await session.scalar(
        select(Quote)
        .where(
            Quote.buyer_user_id == buyer_user_id,
            Quote.listing_id == listing_id,
            Quote.state.in_(OPEN_STATES),
        )
        .limit(1)
    )


async def quotes_of_buyer(session: AsyncSession, user_id: int, limit: int = 200) -> list[Quote]:
    rows = await session.scalars(
        select(Quote).where(Quote.buyer_user_id == user_id).order_by(Quote.id.desc()).limit(limit)
    )
    return list(rows)


async def quotes_of_seller(
    session: AsyncSession,
    seller_id: int,
    states: Sequence[QuoteState] | None = None,
    limit: int = 200,
) -> list[Quote]:
    statement = select(Quote).where(Quote.seller_id == seller_id)
    if states:
        statement = statement.where(Quote.state.in_(states))
    rows = await session.scalars(statement.order_by(Quote.id.desc()).limit(limit))
    return list(rows)


async def events(session: AsyncSession, quote_id: int) -> list[QuoteEvent]:
    rows = await session.scalars(
        select(QuoteEvent).where(QuoteEvent.quote_id == quote_id).order_by(QuoteEvent.id)
    )
    return list(rows)


async def messages(session: AsyncSession, quote_id: int) -> list[QuoteMessage]:
    rows = await session.scalars(
        select(QuoteMessage)
        .where(QuoteMessage.quote_id == quote_id)
        .options(selectinload(QuoteMessage.attachments))
        .order_by(QuoteMessage.id)
    )
    return list(rows)


async def message(session: AsyncSession, message_id: int) -> QuoteMessage | None:
    return await session.scalar(
        select(QuoteMessage)
        .where(QuoteMessage.id == message_id)
        .options(selectinload(QuoteMessage.attachments))
    )


async def attachment(
    session: AsyncSession, quote_id: int, attachment_id: int
) -> QuoteAttachment | None:
    return await session.scalar(
        select(QuoteAttachment)
        .join(QuoteMessage, QuoteMessage.id == QuoteAttachment.message_id)
        .where(QuoteAttachment.id == attachment_id, QuoteMessage.quote_id == quote_id)
    )


async def district(session: AsyncSession, district_id: int) -> District | None:
    return await session.get(District, district_id)


async def districts(session: AsyncSession, ids: Sequence[int]) -> dict[int, District]:
    if not ids:
        return {}
    rows = await session.scalars(select(District).where(District.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def districts_of(session: AsyncSession, state_id: int) -> list[District]:
    rows = await session.scalars(
        select(District).where(District.state_id == state_id).order_by(District.name)
    )
    return list(rows)


async def states(session: AsyncSession) -> list[State]:
    return list(await session.scalars(select(State).order_by(State.name)))


async def offers_due_to_expire(session: AsyncSession, before: date) -> list[int]:
    rows = await session.scalars(
        select(Quote.id).where(Quote.state == QuoteState.OFFERED, Quote.valid_until < before)
    )
    return list(rows)


async def orders_with_agreement(session: AsyncSession, user_id: int, agreement: str) -> list[str]:
    """Numbers of the buyer's orders, paid or waiting for payment, with a line at this
    agreement's price."""
    rows = await session.scalars(
        select(Order.number)
        .join(OrderPart, OrderPart.order_id == Order.id)
        .join(OrderLine, OrderLine.part_id == OrderPart.id)
        .where(
            Order.buyer_user_id == user_id,
            OrderLine.agreement == agreement,
            Order.payment_status.in_((PaymentStatus.PENDING, PaymentStatus.PAID)),
        )
        .distinct()
    )
    return list(rows)
