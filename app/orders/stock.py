"""Stock reservations: taken when the buyer goes to payment, released when the payment fails or
the reservation expires, consumed when the order is paid.

Stock is decremented by a conditional UPDATE (``stock >= n``), one listing at a time in listing-id
order after taking row locks in that order on PostgreSQL; on SQLite the transaction holds the
single write lock from its start (``app.db.begin_write``). So stock never goes negative and no
unit is sold twice, whatever the concurrency. Made-to-order listings with a weekly capacity take
capacity of the dispatch week instead of stock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.listings.models import Listing
from app.orders import repository
from app.orders.errors import OutOfStock
from app.orders.models import ReservationStatus, StockReservation


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def reserve(
    session: AsyncSession,
    *,
    order_id: int,
    items: list[tuple[int, Listing, int]],  # (part id, listing, quantity)
    expires_at: datetime,
) -> list[StockReservation]:
    """Take the units of every item or none (the caller's savepoint rolls back a partial take)."""
    ordered = sorted(items, key=lambda item: item[1].id)
    await repository.lock_listings(session, [listing.id for _, listing, _ in ordered])
    reservations = []
    for part_id, listing, quantity in ordered:
        week: date | None = None
        if listing.made_to_order:
            if listing.weekly_capacity is not None:
                week = week_of(utcnow().date() + timedelta(days=listing.lead_time_days))
                if not await repository.take_capacity(
                    session, listing.id, week, quantity, listing.weekly_capacity
                ):
                    raise OutOfStock(details={"listing_id": listing.id})
            else:
                continue  # unlimited: nothing to reserve
        elif not await repository.take_stock(session, listing.id, quantity):
            raise OutOfStock(details={"listing_id": listing.id})
        reservation = StockReservation(
            order_id=order_id,
            part_id=part_id,
            listing_id=listing.id,
            quantity=quantity,
            week_start=week,
            expires_at=expires_at,
        )
        session.add(reservation)
        reservations.append(reservation)
    await session.flush()
    return reservations


async def _give_back(session: AsyncSession, reservation: StockReservation) -> None:
    if reservation.week_start is not None:
        await repository.return_capacity(
            session, reservation.listing_id, reservation.week_start, reservation.quantity
        )
    else:
        await repository.return_stock(session, reservation.listing_id, reservation.quantity)


async def release(session: AsyncSession, order_id: int, part_id: int | None = None) -> int:
    """Return the held units of an order (or one part) to stock, exactly once. Returns how many
    reservations were released."""
    released = 0
    for reservation in await repository.reservations_of_order(session, order_id, part_id):
        if await repository.set_reservation_status(
            session, reservation.id, ReservationStatus.HELD, ReservationStatus.RELEASED
        ):
            await _give_back(session, reservation)
            released += 1
    return released


async def restock(session: AsyncSession, order_id: int, part_id: int) -> int:
    """Goods of a paid part that were never shipped go back to stock (a cancellation)."""
    restocked = 0
    for reservation in await repository.reservations_of_order(session, order_id, part_id):
        for old in (ReservationStatus.HELD, ReservationStatus.CONSUMED):
            if await repository.set_reservation_status(
                session, reservation.id, old, ReservationStatus.RELEASED
            ):
                await _give_back(session, reservation)
                restocked += 1
                break
    return restocked


async def retake_released(session: AsyncSession, order_id: int) -> set[int]:
    """The order is paid: held reservations become consumed; released ones (the reservation
    expired first) take their units again if the stock is still there. Returns the ids of the
    parts that could not get their units back."""
    short: set[int] = set()
    reservations = await repository.reservations_of_order(session, order_id)
    listings = await repository.sellable_listings(
        session, sorted({r.listing_id for r in reservations})
    )
    await repository.lock_listings(session, sorted(listings))
    for reservation in reservations:
        if await repository.set_reservation_status(
            session, reservation.id, ReservationStatus.HELD, ReservationStatus.CONSUMED
        ):
            continue
        if reservation.status != ReservationStatus.RELEASED:
            continue
        listing = listings[reservation.listing_id]
        if reservation.week_start is not None:
            taken = await repository.take_capacity(
                session,
                listing.id,
                reservation.week_start,
                reservation.quantity,
                listing.weekly_capacity or 0,
            )
        else:
            taken = await repository.take_stock(session, listing.id, reservation.quantity)
        if taken:
            await repository.set_reservation_status(
                session, reservation.id, ReservationStatus.RELEASED, ReservationStatus.CONSUMED
            )
        else:
            short.add(reservation.part_id)
    return short
