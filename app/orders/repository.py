"""Every query of the orders domain: carts, orders, stock, events, invoices, sale terms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.listings import sale_terms
from app.listings.models import Listing, ListingStatus
from app.listings.sale_models import (
    GstRate,
    SaleUnit,
    SellerExportRate,
    SellerShipping,
    ShippingZone,
    ShippingZoneCountry,
)
from app.orders.models import (
    Cart,
    CartLine,
    Invoice,
    InvoiceCounter,
    Order,
    OrderLine,
    OrderPart,
    OrderPartEvent,
    PartState,
    PaymentStatus,
    ReservationStatus,
    StockReservation,
    WeeklyCapacity,
)
from app.reference.models import State
from app.sellers.models import Seller, SellerStatus

# Sale terms ---------------------------------------------------------------------------------------


async def units(session: AsyncSession) -> list[SaleUnit]:
    return await sale_terms.units(session)


async def gst_rates(session: AsyncSession, day: date) -> list[GstRate]:
    """Rows in effect on ``day`` (a small table: loaded whole, matched in Python)."""
    return await sale_terms.gst_rates_on(session, day)


async def shipping_terms(
    session: AsyncSession, seller_ids: Sequence[int]
) -> dict[int, SellerShipping]:
    rows = await session.scalars(
        select(SellerShipping).where(SellerShipping.seller_id.in_(seller_ids))
    )
    return {row.seller_id: row for row in rows}


async def export_rates(
    session: AsyncSession, seller_ids: Sequence[int], zone_code: str
) -> dict[int, int]:
    rows = await session.execute(
        select(SellerExportRate.seller_id, SellerExportRate.rate_paise).where(
            SellerExportRate.seller_id.in_(seller_ids), SellerExportRate.zone_code == zone_code
        )
    )
    return dict(rows.all())


async def seller_export_rates(session: AsyncSession, seller_id: int) -> list[SellerExportRate]:
    return list(
        await session.scalars(
            select(SellerExportRate).where(SellerExportRate.seller_id == seller_id)
        )
    )


async def zones(session: AsyncSession) -> list[ShippingZone]:
    return list(await session.scalars(select(ShippingZone).order_by(ShippingZone.position)))


async def zone_countries(session: AsyncSession) -> dict[str, str]:
    """Country code -> zone code."""
    rows = await session.execute(
        select(ShippingZoneCountry.country_code, ShippingZoneCountry.zone_code)
    )
    return dict(rows.all())


async def states(session: AsyncSession) -> list[State]:
    return list(await session.scalars(select(State).order_by(State.name)))


# Listings as they are sold -----------------------------------------------------------------------


async def sellable_listings(session: AsyncSession, ids: Sequence[int]) -> dict[int, Listing]:
    """Listings with what pricing needs; unpublished ones too (the cart flags them)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Listing)
        .where(Listing.id.in_(ids))
        .options(
            selectinload(Listing.price_tiers),
            joinedload(Listing.seller),
            selectinload(Listing.images),
        )
    )
    return {row.id: row for row in rows.unique()}


def is_buyable(listing: Listing) -> bool:
    return (
        listing.status == ListingStatus.PUBLISHED and listing.seller.status == SellerStatus.VERIFIED
    )


# Carts --------------------------------------------------------------------------------------------


async def cart_of_user(session: AsyncSession, user_id: int) -> Cart | None:
    return await session.scalar(
        select(Cart).where(Cart.user_id == user_id).options(selectinload(Cart.lines))
    )


async def cart_by_token_hash(session: AsyncSession, token_hash: str) -> Cart | None:
    return await session.scalar(
        select(Cart).where(Cart.token_hash == token_hash).options(selectinload(Cart.lines))
    )


async def delete_cart_line(session: AsyncSession, line: CartLine) -> None:
    await session.delete(line)
    await session.flush()


# Stock --------------------------------------------------------------------------------------------


async def lock_listings(session: AsyncSession, ids: Sequence[int]) -> None:
    """Row locks in listing-id order (PostgreSQL), so concurrent checkouts never deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(Listing.id)
            .where(Listing.id.in_(ids))
            .order_by(Listing.id)
            # NO KEY UPDATE: what the stock UPDATE needs, and it does not conflict with the
            # KEY SHARE locks that inserting order lines (foreign keys) take on the listing.
            .with_for_update(key_share=True)
        )


async def take_stock(session: AsyncSession, listing_id: int, quantity: int) -> bool:
    """Take units if enough are left: one conditional UPDATE, so stock never goes negative."""
    result = await session.execute(
        update(Listing)
        .where(Listing.id == listing_id, Listing.stock >= quantity)
        .values(stock=Listing.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def return_stock(session: AsyncSession, listing_id: int, quantity: int) -> None:
    await session.execute(
        update(Listing)
        .where(Listing.id == listing_id)
        .values(stock=Listing.stock + quantity)
        .execution_options(synchronize_session=False)
    )


async def take_capacity(
    session: AsyncSession, listing_id: int, week: date, quantity: int, capacity: int
) -> bool:
    row = await session.get(WeeklyCapacity, (listing_id, week))
    if row is None:
        if quantity > capacity:
            return False
        session.add(WeeklyCapacity(listing_id=listing_id, week_start=week, reserved=0))
        await session.flush()
    result = await session.execute(
        update(WeeklyCapacity)
        .where(
            WeeklyCapacity.listing_id == listing_id,
            WeeklyCapacity.week_start == week,
            WeeklyCapacity.reserved + quantity <= capacity,
        )
        .values(reserved=WeeklyCapacity.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def return_capacity(
    session: AsyncSession, listing_id: int, week: date, quantity: int
) -> None:
    await session.execute(
        update(WeeklyCapacity)
        .where(WeeklyCapacity.listing_id == listing_id, WeeklyCapacity.week_start == week)
        .values(reserved=WeeklyCapacity.reserved - quantity)
        .execution_options(synchronize_session=False)
    )


async def set_reservation_status(
    session: AsyncSession, reservation_id: int, old: ReservationStatus, new: ReservationStatus
) -> bool:
    """Compare-and-set, so a reservation is released (and its stock returned) exactly once."""
    result = await session.execute(
        update(StockReservation)
        .where(StockReservation.id == reservation_id, StockReservation.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def reservations_of_order(
    session: AsyncSession, order_id: int, part_id: int | None = None
) -> list[StockReservation]:
    query = select(StockReservation).where(StockReservation.order_id == order_id)
    if part_id is not None:
        query = query.where(StockReservation.part_id == part_id)
    query = query.order_by(StockReservation.listing_id, StockReservation.id)
    return list(await session.scalars(query.execution_options(populate_existing=True)))


async def expired_order_ids(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    rows = await session.scalars(
        select(StockReservation.order_id)
        .join(Order, Order.id == StockReservation.order_id)
        .where(
            StockReservation.status == ReservationStatus.HELD,
            StockReservation.expires_at <= now,
            Order.payment_status == PaymentStatus.PENDING,
        )
        .distinct()
        .limit(limit)
    )
    return list(rows)


# Orders -------------------------------------------------------------------------------------------


def _order_options() -> list[object]:
    return [
        selectinload(Order.parts).selectinload(OrderPart.lines),
    ]


async def order_by_number(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> Order | None:
    query = select(Order).where(Order.number == number).options(*_order_options())  # type: ignore[arg-type]
    if for_update:
        query = query.with_for_update(of=Order)
    return await session.scalar(query)


async def order_by_id(session: AsyncSession, order_id: int) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.id == order_id).options(*_order_options())  # type: ignore[arg-type]
    )


async def set_payment_status(
    session: AsyncSession, order_id: int, old: PaymentStatus, new: PaymentStatus, **values: object
) -> bool:
    """Compare-and-set on the order's payment status: duplicate events change it once."""
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.payment_status == old)
        .values(payment_status=new, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def set_part_state(
    session: AsyncSession, part_id: int, old: PartState, new: PartState, **values: object
) -> bool:
    result = await session.execute(
        update(OrderPart)
        .where(OrderPart.id == part_id, OrderPart.state == old)
        .values(state=new, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def orders_of_buyer(session: AsyncSession, user_id: int, limit: int = 100) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.buyer_user_id == user_id)
        .options(selectinload(Order.parts))
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return list(rows)


async def part_events(session: AsyncSession, part_ids: Sequence[int]) -> list[OrderPartEvent]:
    if not part_ids:
        return []
    return list(
        await session.scalars(
            select(OrderPartEvent)
            .where(OrderPartEvent.part_id.in_(part_ids))
            .order_by(OrderPartEvent.created_at, OrderPartEvent.id)
        )
    )


async def seller_part(session: AsyncSession, seller_id: int, part_id: int) -> OrderPart | None:
    return await session.scalar(
        select(OrderPart)
        .where(OrderPart.id == part_id, OrderPart.seller_id == seller_id)
        .options(joinedload(OrderPart.order), selectinload(OrderPart.lines))
    )


async def seller_parts(
    session: AsyncSession, seller_id: int, states: Sequence[PartState], limit: int = 200
) -> list[OrderPart]:
    rows = await session.scalars(
        select(OrderPart)
        .where(OrderPart.seller_id == seller_id, OrderPart.state.in_(states))
        .options(joinedload(OrderPart.order), selectinload(OrderPart.lines))
        .order_by(OrderPart.id.desc())
        .limit(limit)
    )
    return list(rows.unique())


async def seller_part_counts(session: AsyncSession, seller_id: int) -> dict[PartState, int]:
    rows = await session.execute(
        select(OrderPart.state, func.count())
        .where(OrderPart.seller_id == seller_id)
        .group_by(OrderPart.state)
    )
    return {PartState(state): count for state, count in rows.all()}


async def seller_sales(session: AsyncSession, seller_id: int, since: datetime) -> tuple[int, int]:
    """(number of paid parts, their total in paise) since a moment, refunds excluded."""
    sold = (
        PartState.PAID,
        PartState.ACCEPTED,
        PartState.PACKED,
        PartState.SHIPPED,
        PartState.DELIVERED,
        PartState.COMPLETED,
    )
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(OrderPart.total_inr_paise), 0))
            .join(Order, Order.id == OrderPart.order_id)
            .where(
                OrderPart.seller_id == seller_id,
                OrderPart.state.in_(sold),
                and_(Order.paid_at.is_not(None), Order.paid_at >= since),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def seller_with_state(session: AsyncSession, seller_id: int) -> Seller | None:
    return await session.scalar(
        select(Seller).where(Seller.id == seller_id).options(joinedload(Seller.state))
    )


async def state_by_id(session: AsyncSession, state_id: int) -> State | None:
    return await session.get(State, state_id)


# Invoices -----------------------------------------------------------------------------------------


async def invoice_of_part(session: AsyncSession, part_id: int) -> Invoice | None:
    return await session.scalar(select(Invoice).where(Invoice.part_id == part_id))


async def next_invoice_sequence(session: AsyncSession, seller_id: int, year: int) -> int:
    """Increment the seller's counter for the year and return the new value.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit, so two
    invoices never get the same number, and a rolled-back invoice rolls back its number too.
    """
    for _attempt in range(2):
        result = await session.execute(
            update(InvoiceCounter)
            .where(InvoiceCounter.seller_id == seller_id, InvoiceCounter.financial_year == year)
            .values(last_number=InvoiceCounter.last_number + 1)
            .returning(InvoiceCounter.last_number)
        )
        value = result.scalar_one_or_none()
        if value is not None:
            return int(value)
        # First invoice of the year: create the counter (a concurrent creator wins the race
        # on the primary key; then the UPDATE above finds its row).
        try:
            async with session.begin_nested():
                session.add(InvoiceCounter(seller_id=seller_id, financial_year=year, last_number=0))
        except IntegrityError:
            pass
    raise RuntimeError("could not allocate an invoice number")


async def order_lines_of_part(session: AsyncSession, part_id: int) -> list[OrderLine]:
    return list(
        await session.scalars(
            select(OrderLine).where(OrderLine.part_id == part_id).order_by(OrderLine.id)
        )
    )


async def buyer_part(session: AsyncSession, user_id: int, part_id: int) -> OrderPart | None:
    return await session.scalar(
        select(OrderPart)
        .join(Order, Order.id == OrderPart.order_id)
        .where(OrderPart.id == part_id, Order.buyer_user_id == user_id)
    )
