"""No unit sold twice, no invoice number given twice: real concurrent transactions on a real
engine (not the rolled-back test transaction), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.config import Settings
from app.db import make_session_factory
from app.jobs import Job
from app.listings.models import Listing
from app.orders import cart as cart_service
from app.orders import checkout, invoices, service
from app.orders.errors import CartNeedsReview, OutOfStock
from app.orders.models import (
    Cart,
    Invoice,
    InvoiceCounter,
    Order,
    OrderPart,
    PartState,
    PaymentStatus,
    ReservationStatus,
    StockReservation,
)
from app.sellers.models import Seller
from tests import factories
from tests.orders.conftest import UP_ADDRESS, make_shop

BUYERS = 200
UNITS = 10


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory whose commits are real; what the test made is deleted afterwards."""
    factory = make_session_factory(engine)
    yield factory
    async with factory() as session, session.begin():
        for model in (Invoice, InvoiceCounter, StockReservation, Order, Cart):
            await session.execute(delete(model))
        await session.execute(delete(Job).where(Job.kind.like("orders.%")))
        await session.execute(delete(Listing).where(Listing.slug.like("test-listing-%")))
        await session.execute(delete(Seller).where(Seller.slug.like("test-seller-%")))
        await session.execute(delete(User).where(User.email.like("%@example.test")))


async def test_200_concurrent_checkouts_for_10_units_sell_exactly_10(
    committed: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with committed() as db, db.begin():
        shop = await make_shop(db)
        shop.glass.stock, shop.glass.moq = UNITS, 1
        listing_id = shop.glass.id
        buyers = [await factories.user(db) for _ in range(BUYERS)]
        for buyer in buyers:
            cart, _ = await cart_service.open_cart(db, user_id=buyer.id, token=None)
            await cart_service.add(db, cart, listing_id, 1)
        buyer_ids = [b.id for b in buyers]
    address = checkout.parse_address(
        {key: str(value) for key, value in UP_ADDRESS.items()},
        await _states(committed),
        set(),
    )

    async def go_to_payment(buyer_id: int) -> str | None:
        async with committed() as session:
            try:
                buyer = await session.get(User, buyer_id)
                assert buyer is not None
                cart = await cart_service.find(session, user_id=buyer_id, token=None)
                assert cart is not None
                order = await checkout.place_order(
                    session, settings, buyer=buyer, cart=cart, address=address, currency="INR"
                )
                await session.commit()
                return order.number
            except (OutOfStock, CartNeedsReview):
                await session.rollback()
                return None

    numbers = await asyncio.gather(*(go_to_payment(b) for b in buyer_ids))
    placed = [n for n in numbers if n is not None]
    assert len(placed) == UNITS

    async def pay(number: str) -> bool:
        async with committed() as session:
            amount, currency = await service.payable_amount(session, order_number=number)
            changed = await service.on_payment_succeeded(
                session,
                order_number=number,
                provider="sandbox",
                provider_payment_id=f"pi_{number}",
                amount_minor=amount,
                currency=currency,
            )
            await session.commit()
            return changed

    # Every payment delivered twice, concurrently: each order changes once.
    results = await asyncio.gather(*(pay(n) for n in placed + placed))
    assert sum(results) == UNITS
    async with committed() as session:
        listing = await session.get(Listing, listing_id)
        assert listing is not None and listing.stock == 0
        paid = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.payment_status == PaymentStatus.PAID)
        )
        assert paid == UNITS
        consumed = await session.scalar(
            select(func.sum(StockReservation.quantity)).where(
                StockReservation.listing_id == listing_id,
                StockReservation.status == ReservationStatus.CONSUMED,
            )
        )
        assert consumed == UNITS
        parts = await session.scalars(select(OrderPart.state))
        assert set(parts) == {PartState.PAID}


async def _states(factory: async_sessionmaker[AsyncSession]) -> list:  # type: ignore[type-arg]
    from app.orders import repository

    async with factory() as session:
        return await repository.states(session)


async def test_concurrent_invoices_are_numbered_without_gaps_or_duplicates(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as db, db.begin():
        shop = await make_shop(db)
        seller_id = shop.up_seller.id
        part_ids = []
        for n in range(30):
            order = Order(
                number=f"OD-TESTINV{n:04d}",
                buyer_email="b@example.test",
                goods_inr_paise=0,
                shipping_inr_paise=0,
                tax_inr_paise=0,
                total_inr_paise=0,
                total_minor=0,
                ship_name="x",
                ship_line1="x",
                ship_city="x",
                ship_postal_code="x",
            )
            db.add(order)
            await db.flush()
            part = OrderPart(
                order_id=order.id,
                seller_id=seller_id,
                seller_state_id=shop.up_seller.state_id,
                goods_inr_paise=0,
                shipping_inr_paise=0,
                taxable_inr_paise=0,
                total_inr_paise=0,
            )
            db.add(part)
            await db.flush()
            part_ids.append(part.id)

    async def issue(part_id: int) -> str:
        async with committed() as session:
            part = await session.get(OrderPart, part_id)  # a read first, as a request does
            assert part is not None
            invoice = await invoices.issue(session, part)
            await session.commit()
            return invoice.number

    numbers = await asyncio.gather(*(issue(p) for p in part_ids))
    assert len(set(numbers)) == 30
    sequences = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert sequences == list(range(1, 31))
    assert all(len(n) <= 16 for n in numbers)
