"""Made-to-order capacity, export invoices (zero-rated with the LUT note), emails in Hindi."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from app.mail import folder_messages
from app.orders import cart as cart_service
from app.orders import checkout, invoices, repository, service, stock
from app.orders.errors import OutOfStock
from app.orders.models import Order, PartState, WeeklyCapacity
from app.web import build_environment
from tests.orders.conftest import UP_ADDRESS, make_shop

ABROAD = {
    "name": "Jane Doe",
    "line1": "1 Main Street",
    "city": "Boston",
    "region": "MA",
    "postal_code": "02108",
    "country": "US",
}


async def _order(
    db: AsyncSession, settings: Settings, shop_buyer_id: int, values: dict[str, str]
) -> Order:
    buyer = await db.get(User, shop_buyer_id)
    cart = await cart_service.find(db, user_id=shop_buyer_id, token=None)
    assert buyer is not None and cart is not None
    countries = set(await repository.zone_countries(db))
    address = checkout.parse_address(values, await repository.states(db), countries)
    return await checkout.place_order(
        db, settings, buyer=buyer, cart=cart, address=address, currency="INR"
    )


async def test_made_to_order_takes_weekly_capacity_not_stock(
    db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    shop.quilt.made_to_order, shop.quilt.weekly_capacity, shop.quilt.stock = True, 5, 0
    shop.quilt.lead_time_days = 7
    cart, _ = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, cart, shop.quilt.id, 4)  # no stock needed
    order = await _order(db, settings, shop.buyer.id, {k: str(v) for k, v in UP_ADDRESS.items()})
    week = stock.week_of(utcnow().date() + timedelta(days=7))
    taken = await db.get(WeeklyCapacity, (shop.quilt.id, week))
    assert taken is not None and taken.reserved == 4
    await db.refresh(shop.quilt)
    assert shop.quilt.stock == 0
    with pytest.raises(OutOfStock):  # only 1 of the week's 5 is left
        await stock.reserve(
            db, order_id=order.id, items=[(order.parts[0].id, shop.quilt, 2)], expires_at=utcnow()
        )
    await stock.release(db, order.id)
    await db.refresh(taken)
    assert taken.reserved == 0


async def test_an_export_invoice_is_zero_rated_with_the_lut_note(
    db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    cart, _ = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, cart, shop.glass.id, 2)
    order = await _order(db, settings, shop.buyer.id, ABROAD)
    await service.on_payment_succeeded(
        db,
        order_number=order.number,
        provider="sandbox",
        provider_payment_id="pi_export",
        amount_minor=order.total_minor,
        currency=order.currency,
    )
    part = order.parts[0]
    for step in (PartState.ACCEPTED, PartState.PACKED):
        await service.seller_advance(db, shop.up_owner, shop.up_seller.id, part.id, step)
    await service.seller_advance(
        db,
        shop.up_owner,
        shop.up_seller.id,
        part.id,
        PartState.SHIPPED,
        carrier="Speed Post",
        tracking_number="EM1234IN",
    )
    view = await invoices.load(db, part)
    assert view.place_of_supply is None and not view.intra_state
    assert part.cgst_inr_paise == part.sgst_inr_paise == part.igst_inr_paise == 0
    html = build_environment().get_template("orders/invoice.html").render({"v": view})
    assert "Letter of Undertaking (LUT)" in html and "Outside India (export)" in html
    year = invoices.financial_year(utcnow())
    assert view.invoice.number == invoices.invoice_number(year, 1)


async def test_order_emails_are_in_the_recipients_language(
    db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    shop = await make_shop(db)
    shop.buyer.language = "hi"
    cart, _ = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, cart, shop.quilt.id, 1)
    order = await _order(db, settings, shop.buyer.id, {k: str(v) for k, v in UP_ADDRESS.items()})
    await service.on_payment_succeeded(
        db,
        order_number=order.number,
        provider="sandbox",
        provider_payment_id="pi_hi",
        amount_minor=order.total_minor,
        currency="INR",
    )
    await db.commit()
    await jobs.run_until_idle()
    mails = folder_messages(settings.mail_dir)
    to_buyer = [m for m in mails if m.to == shop.buyer.email]
    to_seller = [m for m in mails if m.to == shop.rj_owner.email]
    assert to_buyer and to_buyer[0].subject == f"आपका ऑर्डर {order.number}"
    assert "हमें ऑर्डर" in to_buyer[0].body
    assert to_seller and "New paid order" in to_seller[0].body  # the seller reads English
